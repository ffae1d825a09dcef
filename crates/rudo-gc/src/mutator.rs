//! Per-thread mutator state that must stay reachable without borrowing the
//! thread's heap: whether anything changed since the last collection.
//!
//! A `const`-initialised thread-local without a destructor: always
//! accessible, even while other thread-locals are being destroyed.

use core::cell::Cell;

thread_local! {
    /// A count was decremented (or a collection abandoned) since the last
    /// collection started.
    static DIRTY: Cell<bool> = const { Cell::new(false) };
}

/// Records that a count was decremented (or a collection abandoned): the next
/// collection must not be skipped.
#[inline(always)]
pub(crate) fn mark_dirty() {
    DIRTY.with(|d| d.set(true));
}

/// Returns and clears the dirty flag.
pub(crate) fn take_dirty() -> bool {
    DIRTY.with(|d| d.replace(false))
}
