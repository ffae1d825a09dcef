//! The collector: scheduling, the collection algorithm and statistics.

pub(crate) mod collector;
pub(crate) mod config;
pub(crate) mod drop_panic;
pub(crate) mod edges;
pub(crate) mod histogram;
pub(crate) mod parallel;
pub(crate) mod phases;
pub(crate) mod safepoint;
pub(crate) mod stats;
pub(crate) mod sweep;
mod telemetry;

pub(crate) use collector::collection_lock;

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::mutator::{self, Mutator};

/// The thread-exit path of a mutator record: the thread's own garbage dies,
/// and its values are dropped, on the thread itself.
///
/// Returns whether the thread's remaining pages may become orphans, which
/// other threads collect and whose dead values they drop. Not when a panic
/// in `Trace::trace` abandoned the exit collection: the thread's garbage,
/// `!Send` values included, would then die later on another thread. Its heap
/// is leaked instead (`heap::orphans::abandon_heap`), and the panic is
/// reported, not resumed (unwinding out of a thread-local destructor aborts
/// the process).
pub(crate) fn thread_exit(record: &Mutator) -> bool {
    let has_objects = mutator::op(false, || {
        // SAFETY: inside an operation on the owner thread (access rule 1 of
        // `mutator::record`).
        let heap = unsafe { record.heap() };
        !heap.small.is_empty() || !heap.large.is_empty()
    });
    let collected = !has_objects
        || catch_unwind(AssertUnwindSafe(|| {
            collector::run(collector::Trigger::ThreadExit);
        }))
        .map_err(|payload| {
            let message = drop_panic::message_of(&*payload).unwrap_or("");
            eprintln!(
                "rudo-gc: `Trace::trace` panicked during the exit collection of thread {:?} \
                 ({message}); the collection was abandoned, and the values this thread \
                 allocated are leaked (never dropped), because only this thread could drop \
                 the `!Send` ones",
                std::thread::current().name().unwrap_or("<unnamed>")
            );
        })
        .is_ok();
    sweep::sweep_current_thread();
    collected
}

/// Runs a full (major) collection now.
///
/// Frees every object, of every thread, that is no longer reachable from
/// outside the GC heap, cycles included. Other threads are not stopped: only
/// their heap operations (allocating, dropping a `Gc`, ...) wait while the
/// collector traces. Values with a destructor are dropped on the thread that
/// allocated them; the calling thread drops its own before returning (see
/// [`sweep_pending`](crate::sweep_pending) for the others).
///
/// Until a dead value has been dropped, the `Gc`s inside it still count: an
/// object that only such a value refers to is freed by the first collection
/// after the value's thread dropped it. The calling thread drops its own
/// waiting values before it collects, so in a single thread `collect()`
/// frees all garbage; values waiting for *other* threads (left by an
/// earlier collection, until those threads' next heap operation or
/// `sweep_pending`) can delay what they refer to by one collection.
///
/// If another thread is collecting, waits for it, and returns without
/// collecting again if that collection started after this call. Skipped (and
/// counted as skipped in [`stats`](crate::stats)) when nothing was allocated
/// or released since the previous major collection. Does nothing when called
/// from `Trace::trace`. From a destructor the collector runs, it collects
/// like anywhere else (and so does the allocation budget there).
///
/// Never panics because of a destructor: a destructor that panics is caught
/// and reported to the drop-panic hook
/// ([`set_drop_panic_hook`](crate::set_drop_panic_hook)), and every other
/// dead value is still dropped.
///
/// # Panics
///
/// Resumes a panic of a `Trace::trace` impl, after abandoning the collection
/// (nothing is freed; the next collection runs in full).
///
/// # Examples
///
/// ```
/// use rudo_gc::{Gc, collect};
///
/// let weak = Gc::downgrade(&Gc::new([0_u8; 64]));
/// collect();
/// assert!(weak.upgrade().is_none());
/// ```
pub fn collect() {
    collector::run(collector::Trigger::Explicit);
}

/// Runs a minor collection now: only objects allocated since the last
/// collection are examined, and the survivors are promoted to the old
/// generation.
///
/// Cheaper than [`collect`] when most of the heap is long-lived, but it frees
/// nothing old: garbage that was already old waits for a major collection.
/// Skipped like [`collect`] when nothing changed.
///
/// # Examples
///
/// ```
/// use rudo_gc::{Gc, collect_minor};
///
/// let weak = Gc::downgrade(&Gc::new(String::from("short-lived")));
/// collect_minor();
/// assert!(weak.upgrade().is_none());
/// ```
pub fn collect_minor() {
    collector::run(collector::Trigger::ExplicitMinor);
}
