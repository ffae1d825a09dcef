//! # rudo-gc
//!
//! A garbage collector for Rust that is sound by construction, fast, and does
//! not ask you to register roots or scan stacks.
//!
//! ## The model
//!
//! Every [`Gc<T>`] carries a reference count, like `Rc`. The count is never
//! used to free anything; it answers one question when a collection runs: *is
//! this object referenced from outside the GC heap?* A collection traces every
//! object and subtracts the references that come from inside the heap (*trial
//! deletion*). What remains positive is held from a stack, a `Vec`, a `Box`, a
//! thread-local: a root. Everything reachable from the roots survives;
//! everything else, cycles included, is freed.
//!
//! Consequences:
//!
//! - A `Gc` can live anywhere a Rust value can, with nothing to register.
//! - There is no stack scanning and no write barrier.
//! - A wrong [`Trace`] impl can only leak. Forgetting a field makes its target
//!   look externally held (it stays alive). Only visiting a `Gc` more often
//!   than it is owned could free something early, which is why `Trace` is an
//!   `unsafe trait` and `#[derive(Trace)]` is the way to implement it.
//!
//! ## Quick start
//!
//! ```
//! use rudo_gc::{Gc, GcCell, Trace, Weak, collect};
//!
//! #[derive(Trace)]
//! struct Node {
//!     value: i32,
//!     parent: GcCell<Weak<Node>>,
//!     children: GcCell<Vec<Gc<Node>>>,
//! }
//!
//! let root = Gc::new(Node { value: 1, parent: GcCell::default(), children: GcCell::default() });
//! let child = Gc::new(Node { value: 2, parent: GcCell::default(), children: GcCell::default() });
//! *child.parent.borrow_mut() = Gc::downgrade(&root);
//! root.children.borrow_mut().push(child.clone());
//!
//! assert_eq!(child.parent.borrow().upgrade().unwrap().value, 1);
//! let watch = Gc::downgrade(&child);
//! drop((root, child));
//! collect();
//! assert!(watch.upgrade().is_none()); // the whole tree is gone
//! ```
//!
//! ## What is where
//!
//! - [`Gc`], [`Weak`]: pointers. `Gc<str>` and `Gc<[T]>` too. [`ErasedGc`]:
//!   a `Gc` whose type is forgotten (it only keeps its object alive).
//! - [`Trace`], [`Visitor`], [`GcFree`]: how the collector sees your types.
//! - [`GcCell`], [`GcMutex`], [`GcRwLock`]: interior mutability the
//!   collector can see into, for one thread and across threads.
//! - [`collect`], [`collect_minor`], [`sweep_pending`], [`stats`],
//!   [`set_config`], [`set_drop_panic_hook`]: control and observation.
//! - [`handles`]: V8-style handle scopes, rooted references with no count
//!   traffic.
//! - [`heap::find_gc_box`]: interior-pointer lookup.
//! - [`stats`] (pause histograms, a printable report), [`heap::census`]
//!   (live objects per type), and with the `tracing` feature a span per
//!   collection: what the collector is doing, and what the heap holds.
//! - [`roots`]: root tables, values kept alive by 8-byte tickets (for
//!   embedders and FFI).
//!
//! ## Threads
//!
//! `Gc<T>` is `Send + Sync` when `T: Send + Sync`, like `Arc<T>`; share
//! mutable state with [`GcMutex`] or [`GcRwLock`] ([`GcCell`] is the
//! single-thread cell). Every thread allocates from its own pages without
//! atomics, and [`collect`] collects the whole process. Threads are never
//! stopped: only short *heap operations* (dropping a `Gc`, allocating,
//! upgrading a `Weak`, borrowing a cell mutably, creating a handle) wait while
//! a collection traces, and a thread that computes or blocks elsewhere never
//! delays a collection. One collection runs at a time; a thread that needs one
//! while another runs waits for it.
//!
//! A value is dropped on the thread that allocated it, because `T` need not be
//! `Send`: after a collection, at that thread's next allocation, in
//! [`sweep_pending`], or when the thread exits (which first collects). What an
//! exited thread leaves alive is dropped by any thread once it dies.
//!
//! ## Destructors
//!
//! Dead values are dropped on the thread that allocated them (see above).
//! Their destructors run like any other code (they may allocate, clone and drop
//! `Gc`s), except that objects dying in the same collection are destroyed in no
//! particular order: a dead object's `Gc` fields may point to values already
//! dropped. So a type deriving `Trace` may not implement `Drop` unless it opts
//! in with `#[gc(unsafe_drop)]`, taking on not to use its `Gc` fields in
//! `drop`. Breaking that is never undefined behaviour: using an object the
//! collector found dead (dereferencing, cloning, rooting it in a handle) is a
//! checked panic in every build. Types whose only drop glue is
//! their `Gc` and `Weak` fields ([`Trace::NEEDS_DROP`] is `false`) are not
//! dropped at all: the collector releases their references in bulk.
//!
//! A destructor that panics never takes down the operation that happened to
//! run it (an allocation, a [`collect`], a thread's exit): the panic is
//! caught, the rest of the value and every other dead value are dropped, and
//! the panic is reported, with the value's type, to the drop-panic hook
//! ([`set_drop_panic_hook`]; the default prints to stderr). It is counted in
//! [`GcStats::destructor_panics`].

#![cfg_attr(docsrs, feature(doc_cfg))]

// Under `cfg(loom)` only the thread protocol and its models are built
// (`cargo xtask loom`); the heap uses process-wide statics loom cannot model.
#[cfg(not(loom))]
mod cell;
#[cfg(not(loom))]
mod gc;
#[cfg(not(loom))]
pub mod handles;
#[cfg(not(loom))]
pub mod heap;
mod mutator;
#[cfg(not(loom))]
mod ptr;
pub mod roots;
mod sync;
#[cfg(not(loom))]
mod trace;

#[cfg(not(loom))]
pub use cell::{
    BorrowError, BorrowMutError, GcCell, GcMutex, GcMutexGuard, GcRef, GcRefMut, GcRwLock,
    GcRwLockReadGuard, GcRwLockWriteGuard,
};
#[cfg(not(loom))]
pub use gc::config::{GcConfig, config, set_config};
#[cfg(not(loom))]
pub use gc::drop_panic::{DropPanic, set_drop_panic_hook, take_drop_panic_hook};
#[cfg(not(loom))]
pub use gc::histogram::PauseHistogram;
#[cfg(not(loom))]
pub use gc::safepoint::safepoint;
#[cfg(not(loom))]
pub use gc::stats::{GcStats, PhaseTimes, stats};
#[cfg(not(loom))]
pub use gc::sweep::sweep_pending;
#[cfg(not(loom))]
pub use gc::{collect, collect_minor};
#[cfg(not(loom))]
pub use ptr::{ErasedGc, Gc, Weak};
#[cfg(not(loom))]
pub use trace::{GcFree, Trace, Visitor};

/// Not part of the API: hooks for the crate's own benchmarks.
#[cfg(not(loom))]
#[doc(hidden)]
pub mod __private {
    /// Makes the calling thread enter heap operations with a full `SeqCst`
    /// fence instead of the light one (`membarrier`), to measure the
    /// difference. Always correct.
    pub fn use_full_fence_on_this_thread(on: bool) {
        crate::mutator::current(|m| m.force_full_fence(on));
    }

    /// Whether the process uses the light fence (`membarrier` registered).
    pub fn light_fence_available() -> bool {
        crate::mutator::light_fence_available()
    }

    /// Whether the `membarrier` registration ran before `main` (Linux).
    pub fn membarrier_registered_before_main() -> bool {
        crate::sync::barrier::registered_before_main()
    }

    /// Sets the size of a major collection (in slots) from which its subtract
    /// pass uses a second thread (0: every one with two pages, even on one
    /// core), so tests and
    /// benchmarks can take the split path with small heaps; returns the
    /// previous value.
    pub fn set_parallel_min_slots(slots: usize) -> usize {
        crate::gc::parallel::set_parallel_min_slots(slots)
    }

    /// How many subtract passes ran on two threads so far.
    pub fn split_subtract_passes() -> usize {
        crate::gc::parallel::SPLIT_PASSES.load(core::sync::atomic::Ordering::Relaxed)
    }

    /// Whether collections record the edge list for their mark pass:
    /// `Some(true)` every one (minor ones too), `Some(false)` none, `None`
    /// as the collector bets (the default). Returns the previous setting.
    pub fn set_edge_recording(force: Option<bool>) -> Option<bool> {
        crate::gc::edges::set_recording(force)
    }

    /// Makes edge lists of `edges` edges or more count as too long to use
    /// (`None`: the real bound, 2^31 - 1), so that tests reach the
    /// collection's way out of an overlong list; returns the previous
    /// bound.
    pub fn set_edge_list_limit(edges: Option<usize>) -> usize {
        crate::gc::edges::set_limit(edges)
    }

    /// How many mark passes walked a recorded edge list so far.
    pub fn edge_list_marks() -> usize {
        crate::gc::edges::MARKS.load(core::sync::atomic::Ordering::Relaxed)
    }
}

/// Derives [`Trace`](trait@Trace). See the `rudo-gc-derive` crate for options
/// (`#[gc(skip)]`, `#[gc(crate = "...")]`, `#[gc(bound = "...")]`,
/// `#[gc(unsafe_drop)]`).
#[cfg(all(feature = "derive", not(loom)))]
pub use rudo_gc_derive::Trace;

/// Derives [`GcFree`](trait@GcFree), checking that every field is `GcFree`.
#[cfg(all(feature = "derive", not(loom)))]
pub use rudo_gc_derive::GcFree;
