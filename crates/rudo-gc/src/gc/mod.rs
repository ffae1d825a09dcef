//! The collector: scheduling, the collection algorithm and statistics.

pub(crate) mod collector;
pub(crate) mod config;
pub(crate) mod stats;

/// Runs a full (major) collection of the calling thread's heap now.
///
/// Frees every object of this thread that is no longer reachable from outside
/// the GC heap, cycles included. Skipped (and counted as skipped in
/// [`stats`](crate::stats)) when nothing was allocated or released since the
/// previous collection. Does nothing when called from inside a running
/// collection (for example from a destructor of a collected value).
///
/// Only the calling thread's objects are collected: in this version a `Gc`
/// never leaves the thread that allocated it.
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
    crate::heap::collect_current_thread(collector::Trigger::Explicit);
}

/// Runs a minor collection of the calling thread's heap now: only objects
/// allocated since its last collection are examined, and the survivors are
/// promoted to the old generation.
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
    crate::heap::collect_current_thread(collector::Trigger::ExplicitMinor);
}
