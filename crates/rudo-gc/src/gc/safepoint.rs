//! Safepoints: where a thread runs the collection its allocations made due.
//!
//! By default allocation runs it at once (`heap::after_allocation`). In
//! safepoint-only mode (`GcConfig::automatic(false)`) allocation only turns
//! the request into a `*_DUE` bit of the thread's record
//! (`Mutator::defer_to_safepoint`), which its allocation fast path does not
//! look at, and [`safepoint`] acts on it.
//!
//! Determinism: a thread's budget counts the bytes it allocated, and whether
//! the due collection is minor or major depends only on the bytes collections
//! found and promoted, so a single-threaded program that allocates the same
//! way makes the same collections at the same safepoints on every run.

use crate::gc::collector::{self, Trigger};
use crate::gc::sweep;
use crate::mutator::{
    self, BUDGET_SPENT, COLLECTION_DUE, SECTION_YIELD, VALUES_DUE, VALUES_PENDING,
};

/// Runs the collection that is due on this thread, if one is, and drops the
/// thread's pending dead values; otherwise does nothing, cheaply (one
/// thread-local load, one load of the thread's record and a branch).
///
/// This is where a program in safepoint-only mode
/// ([`GcConfig::automatic(false)`](crate::GcConfig::automatic)) collects: at
/// points of its choosing, where its own state is consistent (an
/// interpreter's instruction boundary, a frame's end). Memory stays bounded
/// as long as every allocating thread reaches safepoints. Whether the
/// collection is minor or major follows the usual schedule
/// ([`GcConfig`](crate::GcConfig)); a single-threaded program makes the same
/// collections at the same safepoints on every run.
///
/// Legal anywhere, in either mode. In the default mode allocation has already
/// collected, so a safepoint only drops dead values another thread's
/// collection left for this one, like [`sweep_pending`](crate::sweep_pending).
/// From `Trace::trace` it does nothing (as [`collect`](crate::collect) does
/// not).
///
/// Never panics because of a destructor: a destructor that panics is caught
/// and reported to the drop-panic hook
/// ([`set_drop_panic_hook`](crate::set_drop_panic_hook)).
///
/// # Panics
///
/// Resumes a panic of a `Trace::trace` impl during the collection, after
/// abandoning it (as [`collect`](crate::collect) does).
///
/// # Examples
///
/// ```
/// use rudo_gc::{Gc, GcConfig, set_config, safepoint, stats};
///
/// set_config(GcConfig::default().automatic(false).young_budget_bytes(64 << 10));
/// let before = stats().collections;
/// for i in 0..10_000_u64 {
///     drop(Gc::new([i; 8])); // 640 KB of garbage: ten budgets' worth
/// }
/// assert_eq!(stats().collections, before, "allocation does not collect");
/// safepoint();
/// assert_eq!(stats().collections, before + 1, "the safepoint does");
/// # set_config(GcConfig::default());
/// ```
#[inline]
pub fn safepoint() {
    if mutator::has_attention() {
        run_requested();
    }
}

/// Runs the work requested of this thread (any mode, any kind): the due
/// collection, which also drops the thread's pending values, or only those.
#[cold]
#[inline(never)]
pub(crate) fn run_requested() {
    let work = mutator::current(|m| m.take_attention()).unwrap_or(0);
    if work & SECTION_YIELD != 0 {
        // A collector waits for this thread's mutator section.
        mutator::section::yield_to_collector();
    }
    if work & (BUDGET_SPENT | COLLECTION_DUE) != 0 {
        if collector::defer_budget_collection() {
            // Pacing (`collector::pace`): the next allocation slow path asks
            // again for `BUDGET_SPENT`; `COLLECTION_DUE` is put back for the
            // next safepoint (the allocation fast path does not see it).
            if work & COLLECTION_DUE != 0 {
                mutator::current(|m| m.request(COLLECTION_DUE));
            }
            // The values taken with the request are dropped now, as the
            // collection would have (it sweeps first), not one collection
            // later.
            if work & (VALUES_PENDING | VALUES_DUE) != 0 {
                sweep::sweep_current_thread();
            }
            return;
        }
        // `COLLECTION_DUE` is safepoint-only mode's request.
        let trigger = if work & COLLECTION_DUE != 0 {
            Trigger::Safepoint
        } else {
            Trigger::Budget
        };
        collector::run(trigger);
    } else if work & (VALUES_PENDING | VALUES_DUE) != 0 {
        sweep::sweep_current_thread();
    }
}
