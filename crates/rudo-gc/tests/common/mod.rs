//! Helpers shared by the integration tests (`mod common;` in each file).

// Each test binary uses a subset of the helpers.
#![allow(dead_code)]

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use rudo_gc::{Gc, GcCell, Trace, Visitor, collect};

/// A small node for cyclic garbage (so it is only freed by tracing), with a
/// destructor that counts on its thread.
pub(crate) struct Pair {
    pub(crate) other: GcCell<Option<Gc<Pair>>>,
    pub(crate) _pad: [u64; 4],
    pub(crate) drops: Rc<Cell<usize>>,
}

impl Drop for Pair {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

// SAFETY: visits the one `Gc`-owning field once.
unsafe impl Trace for Pair {
    fn trace(&self, v: &mut Visitor) {
        self.other.trace(v);
    }
}

/// A value whose destructor counts into the given counter, on whatever thread
/// drops it (each test passes its own `static`).
pub(crate) struct Counted(pub(crate) u64, pub(crate) &'static AtomicUsize);

impl Drop for Counted {
    fn drop(&mut self) {
        self.1.fetch_add(1, SeqCst);
    }
}

// SAFETY: holds no `Gc`.
unsafe impl Trace for Counted {
    fn trace(&self, _: &mut Visitor) {}
}

/// A `Pair` with no partner yet.
pub(crate) fn pair(drops: &Rc<Cell<usize>>) -> Gc<Pair> {
    Gc::new(Pair {
        other: GcCell::new(None),
        _pad: [0; 4],
        drops: drops.clone(),
    })
}

/// Makes one garbage cycle of two `Pair`s (`drops` counts 2 once it is
/// collected).
pub(crate) fn garbage_pair(drops: &Rc<Cell<usize>>) {
    let a = pair(drops);
    let b = pair(drops);
    *b.other.borrow_mut() = Some(a.clone());
    *a.other.borrow_mut() = Some(b);
}

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
