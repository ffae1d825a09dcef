//! Helpers shared by the adapter's integration tests (`mod common;`).

// Each test binary uses a subset of the helpers.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use rudo_gc::{Gc, Trace, collect};

/// A value that counts its drops.
#[derive(Trace)]
#[gc(unsafe_drop)]
pub(crate) struct Tracked {
    pub(crate) value: u64,
    #[gc(skip)]
    drops: Arc<AtomicUsize>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

/// A `Tracked` counting into `drops`.
pub(crate) fn tracked(value: u64, drops: &Arc<AtomicUsize>) -> Gc<Tracked> {
    Gc::new(Tracked {
        value,
        drops: drops.clone(),
    })
}

/// A collection that runs whatever else happened (a decrement counts as a
/// change), then this thread's dead values dropped.
pub(crate) fn collect_now() {
    drop(Gc::new(0_u8));
    collect();
    rudo_gc::sweep_pending();
}
