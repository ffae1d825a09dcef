//! Helpers shared by the integration tests (`mod common;` in each file).

// Each test binary uses a subset of the helpers.
#![allow(dead_code)]

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

/// The message of a caught panic (`&str` or `String` payloads).
pub(crate) fn panic_message(payload: &(dyn core::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}
