//! Helpers shared by the integration tests (`mod common;` in each file).

use rudo_gc::{Gc, collect};

/// Forces the next collection to run even if nothing else changed: any
/// decrement counts as a change. (Dropping a clone of a long-lived object
/// instead of allocating keeps pages from being released and set up again,
/// which is slow under Miri.)
pub(crate) fn collect_now() {
    thread_local! {
        // Initialised by its first allocation, so destroyed before the heap.
        static ANCHOR: Gc<u8> = Gc::new(0);
    }
    ANCHOR.with(|a| drop(a.clone()));
    collect();
}
