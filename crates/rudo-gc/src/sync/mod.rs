//! The one place the core takes its synchronisation primitives from.
//!
//! Two families:
//!
//! - [`raw`]: atomics that live *inside heap memory* (page headers, object
//!   headers, bitmaps) or in `static` tables. They are cast from raw bytes, so
//!   they must be the plain `core` atomics even under `loom`.
//! - The protocol primitives at this module's top level: the
//!   mutator/collector handshake state (atomics, fences, the gate threads wait
//!   at, `UnsafeCell`). Under `cfg(loom)` they come from `loom`, so the thread
//!   protocol can be model-checked. Model: tokio's `tokio/src/loom/mod.rs`.

pub(crate) mod barrier;
mod gate;

pub(crate) use gate::Gate;

/// Atomics embedded in heap memory or statics; never switched to `loom`.
#[cfg_attr(loom, allow(unused_imports))]
pub(crate) mod raw {
    pub(crate) use core::sync::atomic::{
        AtomicBool, AtomicPtr, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering,
    };
}

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{
    AtomicBool, AtomicU64, AtomicUsize, Ordering, compiler_fence, fence,
};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};

/// A mutex for shared protocol state: `parking_lot`'s, or `loom`'s under
/// `cfg(loom)` (behind the same `lock()`).
#[cfg(not(loom))]
pub(crate) use parking_lot::Mutex;

/// `loom`'s mutex behind `parking_lot`'s interface (`lock` without a
/// `Result`: a poisoned lock means a model already failed).
#[cfg(loom)]
pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

#[cfg(loom)]
impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Mutex<T> {
        Mutex(loom::sync::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
        self.0
            .lock()
            .expect("a model thread panicked holding the lock")
    }

    pub(crate) fn try_lock(&self) -> Option<loom::sync::MutexGuard<'_, T>> {
        self.0.try_lock().ok()
    }
}

/// `loom` has no compiler fence: under it, a light barrier is a full one.
#[cfg(loom)]
pub(crate) fn compiler_fence(order: Ordering) {
    fence(order);
}

/// Lets other threads run while this one waits for them (a real yield, or a
/// `loom` scheduling point).
pub(crate) fn yield_now() {
    #[cfg(not(loom))]
    std::thread::yield_now();
    #[cfg(loom)]
    loom::thread::yield_now();
}

/// Backs off inside a short wait: a few spins, then yields to the scheduler.
pub(crate) fn backoff(round: &mut u32) {
    if *round < 6 && !cfg!(loom) {
        for _ in 0..(1 << *round) {
            core::hint::spin_loop();
        }
        *round += 1;
    } else {
        yield_now();
    }
}
