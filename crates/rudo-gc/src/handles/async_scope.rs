//! `AsyncHandleScope` and `AsyncHandle<T>`: handles for async code, which
//! may cross `.await`s and threads.
//!
//! A scope owns a chain of slot blocks through an `Arc`, shared with every
//! handle it made. Rules:
//!
//! 1. Creating a handle takes the next slot with one atomic increment of
//!    the fill counter (no lock) and stores a strong reference
//!    ([`ErasedGc`]) in it: the slot roots the object by its count, like a
//!    `Gc` would, so the collector needs no registry of async slots.
//! 2. The slots are released when the last owner of the chain (the scope or
//!    any handle) is dropped, so an object is never freed under a live
//!    handle, whether its scope is closed or not.
//! 3. Closing the scope (dropping it) only makes later [`AsyncHandle::get`]
//!    calls panic (and `try_get` return `None`): using a handle past its
//!    scope is a logic error the handle reports, never a dangling read.
//! 4. The first `INLINE` slots live in the chain itself; the rest in blocks
//!    of `BLOCK` allocated on first use, at most `BLOCKS` of them: a scope
//!    holds at most `CAPACITY` handles, and one more panics.

use core::fmt;
use core::marker::PhantomData;
use core::ptr::NonNull;
use std::sync::{Arc, OnceLock};

use crate::ptr::gc_box::GcBox;
use crate::ptr::{ErasedGc, Gc};
use crate::sync::raw::{AtomicBool, AtomicUsize, Ordering};

/// Slots stored in the chain itself.
const INLINE: usize = 8;
/// Slots per further block.
const BLOCK: usize = 256;
/// Further blocks at most.
const BLOCKS: usize = 256;
/// Handles one scope can hold.
pub const ASYNC_SCOPE_CAPACITY: usize = INLINE + BLOCK * BLOCKS;

type Block = [OnceLock<ErasedGc>; BLOCK];

/// The slot chain a scope shares with its handles.
struct Slots {
    /// Slots handed out (rule 1).
    fill: AtomicUsize,
    /// The scope was dropped (rule 3).
    closed: AtomicBool,
    first: [OnceLock<ErasedGc>; INLINE],
    more: OnceLock<Box<[OnceLock<Box<Block>>; BLOCKS]>>,
}

impl Slots {
    fn slot(&self, index: usize) -> &OnceLock<ErasedGc> {
        if index < INLINE {
            return &self.first[index];
        }
        let (block, slot) = ((index - INLINE) / BLOCK, (index - INLINE) % BLOCK);
        let blocks = self
            .more
            .get_or_init(|| Box::new(core::array::from_fn(|_| OnceLock::new())));
        &blocks[block].get_or_init(|| Box::new(core::array::from_fn(|_| OnceLock::new())))[slot]
    }
}

/// A scope for [`AsyncHandle`]s: handles that keep their objects alive, are
/// `'static` and `Send`, and so can be held across `.await` points and moved
/// into tasks (the async counterpart of
/// [`HandleScope`](super::HandleScope)).
///
/// Every handle created in the scope roots its object for as long as the
/// handle or the scope exists. Dropping the scope *closes* it: handles still
/// around then keep their objects alive (never a dangling reference), but
/// [`AsyncHandle::get`] panics to report the use after the scope, and
/// [`AsyncHandle::try_get`] returns `None`.
///
/// # Examples
///
/// ```
/// use rudo_gc::Gc;
/// use rudo_gc::handles::AsyncHandleScope;
///
/// let scope = AsyncHandleScope::new();
/// let config = scope.handle(&Gc::new(String::from("config")));
/// let worker = std::thread::spawn({
///     let config = config.clone();
///     move || config.get().len() // a task on another thread, say
/// });
/// rudo_gc::collect();
/// assert_eq!(worker.join().unwrap(), 6);
/// drop(scope);
/// assert!(config.try_get().is_none(), "closed");
/// ```
pub struct AsyncHandleScope {
    slots: Arc<Slots>,
}

impl AsyncHandleScope {
    /// An empty, open scope.
    pub fn new() -> AsyncHandleScope {
        AsyncHandleScope {
            slots: Arc::new(Slots {
                fill: AtomicUsize::new(0),
                closed: AtomicBool::new(false),
                first: core::array::from_fn(|_| OnceLock::new()),
                more: OnceLock::new(),
            }),
        }
    }

    /// Roots `gc`'s object in this scope and returns a handle to it.
    ///
    /// # Panics
    ///
    /// Panics if the scope already holds [`ASYNC_SCOPE_CAPACITY`] handles
    /// (open a scope per task or per request), or if `gc`'s object is dead
    /// (see [`Gc`]'s `Deref`).
    #[track_caller]
    pub fn handle<T: Send + Sync + 'static>(&self, gc: &Gc<T>) -> AsyncHandle<T> {
        // Ordering: Relaxed: the index only has to be unique; the slot's
        // `OnceLock` publishes what is stored in it.
        let index = self.slots.fill.fetch_add(1, Ordering::Relaxed);
        if index >= ASYNC_SCOPE_CAPACITY {
            self.slots.fill.fetch_sub(1, Ordering::Relaxed);
            capacity_panic();
        }
        let stored = self.slots.slot(index).set(Gc::erase(gc.clone()));
        assert!(
            stored.is_ok(),
            "rudo-gc: an async handle slot was handed out twice"
        );
        AsyncHandle {
            slots: Arc::clone(&self.slots),
            ptr: Gc::box_ptr(gc),
            _value: PhantomData,
        }
    }

    /// The number of handles created in this scope.
    pub fn len(&self) -> usize {
        self.slots.fill.load(Ordering::Relaxed)
    }

    /// Whether no handle was created in this scope yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for AsyncHandleScope {
    fn default() -> Self {
        AsyncHandleScope::new()
    }
}

impl Drop for AsyncHandleScope {
    fn drop(&mut self) {
        // Ordering: Release pairs with the Acquire in `AsyncHandle::is_open`:
        // a handle that sees the scope open was used before it closed.
        self.slots.closed.store(true, Ordering::Release);
    }
}

impl fmt::Debug for AsyncHandleScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncHandleScope")
            .field("handles", &self.len())
            .finish()
    }
}

/// A handle to a GC object made by an [`AsyncHandleScope`]: `'static`,
/// `Clone`, `Send` and `Sync` (its value is `Send + Sync`), and valid across
/// `.await` points.
///
/// The object stays alive while the handle exists (rule 2 of this module).
/// Using the handle after its scope was dropped is a logic error:
/// [`get`](AsyncHandle::get) panics, [`try_get`](AsyncHandle::try_get)
/// returns `None`.
pub struct AsyncHandle<T: 'static> {
    slots: Arc<Slots>,
    ptr: NonNull<GcBox<T>>,
    _value: PhantomData<Gc<T>>,
}

// SAFETY: made only for `T: Send + Sync` (`AsyncHandleScope::handle`); the
// handle gives shared access to the value and keeps it alive through the
// slot chain, like a `Gc<T>` (which is `Send + Sync` for such `T`).
unsafe impl<T: Send + Sync + 'static> Send for AsyncHandle<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync + 'static> Sync for AsyncHandle<T> {}

impl<T: 'static> AsyncHandle<T> {
    /// Whether the handle's scope is still open.
    pub fn is_open(&self) -> bool {
        // Ordering: Acquire pairs with the Release in the scope's drop.
        !self.slots.closed.load(Ordering::Acquire)
    }

    /// The value.
    ///
    /// # Panics
    ///
    /// Panics if the handle's scope was dropped: the handle was used past
    /// the scope that made it (keep the scope alive as long as its handles,
    /// or take a [`Gc`] with [`to_gc`](AsyncHandle::to_gc) to keep the value
    /// longer).
    #[track_caller]
    pub fn get(&self) -> &T {
        match self.try_get() {
            Some(value) => value,
            None => closed_panic(),
        }
    }

    /// The value, or `None` if the handle's scope was dropped.
    pub fn try_get(&self) -> Option<&T> {
        // SAFETY: checked open, which is the whole contract.
        self.is_open().then(|| unsafe { self.get_unchecked() })
    }

    /// The value, without checking that the scope is open.
    ///
    /// # Safety
    ///
    /// The handle's scope must not have been dropped. (The object is kept
    /// alive regardless, rule 2, so today a violation reads a live value;
    /// the contract keeps the freedom to release a closed scope's slots
    /// early.)
    pub unsafe fn get_unchecked(&self) -> &T {
        // SAFETY: the slot chain this handle owns holds a strong reference
        // to the object (rules 1 and 2), so it is allocated and, being
        // reachable, never found dead: its value is initialised and not
        // dropped for as long as `self` lives.
        unsafe { &(*self.ptr.as_ptr()).value }
    }

    /// A counted [`Gc`] to the object, which may outlive the scope.
    pub fn to_gc(&self) -> Gc<T> {
        Gc::from_box(self.ptr)
    }

    /// Whether two handles refer to the same object.
    pub fn ptr_eq(this: &AsyncHandle<T>, other: &AsyncHandle<T>) -> bool {
        this.ptr == other.ptr
    }
}

impl<T: 'static> Clone for AsyncHandle<T> {
    fn clone(&self) -> Self {
        AsyncHandle {
            slots: Arc::clone(&self.slots),
            ptr: self.ptr,
            _value: PhantomData,
        }
    }
}

impl<T: fmt::Debug + 'static> fmt::Debug for AsyncHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_get() {
            Some(value) => f.debug_tuple("AsyncHandle").field(value).finish(),
            None => f.write_str("AsyncHandle(<scope closed>)"),
        }
    }
}

#[cold]
#[track_caller]
fn closed_panic() -> ! {
    panic!(
        "rudo-gc: AsyncHandle::get after its AsyncHandleScope was dropped; keep the scope alive \
         as long as its handles (spawn_with_gc! does), use try_get to check, or to_gc for a Gc \
         that outlives the scope"
    )
}

#[cold]
#[track_caller]
fn capacity_panic() -> ! {
    panic!(
        "rudo-gc: an AsyncHandleScope holds at most {ASYNC_SCOPE_CAPACITY} handles; a loop \
         probably creates handles in one long-lived scope: open a scope per task or per request"
    )
}
