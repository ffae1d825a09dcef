//! Per-thread mutator state that must stay reachable without borrowing the
//! thread's heap: whether this thread is destroying dead values (which makes
//! `Gc::drop` and `Weak::drop` inert) and whether anything changed since the
//! last collection.
//!
//! A `const`-initialised thread-local without a destructor: always
//! accessible, even while other thread-locals are being destroyed.

use core::cell::Cell;

/// Bit: dead values are being dropped on this thread.
const SWEEPING: u8 = 1;
/// Bit: a count was decremented since the last collection.
const DIRTY: u8 = 2;

thread_local! {
    static FLAGS: Cell<u8> = const { Cell::new(0) };
}

/// Records a decrement; returns `true` if the decrement must be skipped
/// because dead values are being dropped.
#[inline(always)]
pub(crate) fn note_decrement() -> bool {
    FLAGS.with(|f| {
        let v = f.get();
        if v & SWEEPING != 0 {
            return true;
        }
        f.set(v | DIRTY);
        false
    })
}

pub(crate) fn set_sweeping(on: bool) {
    FLAGS.with(|f| {
        f.set(if on {
            f.get() | SWEEPING
        } else {
            f.get() & !SWEEPING
        })
    });
}

/// Returns and clears the dirty bit.
pub(crate) fn take_dirty() -> bool {
    FLAGS.with(|f| {
        let v = f.get();
        f.set(v & !DIRTY);
        v & DIRTY != 0
    })
}
