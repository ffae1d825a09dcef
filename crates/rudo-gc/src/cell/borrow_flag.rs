//! The borrow state word shared by a cell's owner and the collector.
//!
//! ```text
//!  0              not borrowed
//!  1..=MAX-1      that many shared borrows
//!  WRITING (MAX)  one mutable borrow: the collector skips the contents
//! ```

use crate::sync::raw::{AtomicUsize, Ordering};

const WRITING: usize = usize::MAX;

/// A cell's borrow state.
pub(crate) struct BorrowFlag(AtomicUsize);

impl BorrowFlag {
    pub(crate) const fn new() -> Self {
        BorrowFlag(AtomicUsize::new(0))
    }

    /// Takes a shared borrow, unless mutably borrowed or at the limit.
    #[inline]
    pub(crate) fn try_share(&self) -> bool {
        let n = self.0.load(Ordering::Relaxed);
        if n >= WRITING - 1 {
            return false;
        }
        // Only the owning thread changes the flag (cells are `!Sync`).
        self.0.store(n + 1, Ordering::Relaxed);
        true
    }

    /// Releases a shared borrow.
    #[inline]
    pub(crate) fn unshare(&self) {
        let n = self.0.load(Ordering::Relaxed);
        debug_assert!(n > 0 && n != WRITING);
        self.0.store(n - 1, Ordering::Relaxed);
    }

    /// Takes the mutable borrow, unless borrowed at all. Call inside a heap
    /// operation.
    #[inline]
    pub(crate) fn try_write(&self) -> bool {
        if self.0.load(Ordering::Relaxed) != 0 {
            return false;
        }
        // Ordering: callers take the flag inside a heap operation, so no
        // collector reads the contents meanwhile, and the operation's exit
        // (Release) publishes the flag before any write to the contents.
        self.0.store(WRITING, Ordering::Relaxed);
        true
    }

    /// Releases the mutable borrow.
    #[inline]
    pub(crate) fn end_write(&self) {
        debug_assert_eq!(self.0.load(Ordering::Relaxed), WRITING);
        // Ordering: Release publishes the writes made under the borrow to a
        // collector that then sees the flag clear (Acquire in `is_writing`).
        self.0.store(0, Ordering::Release);
    }

    /// Whether the contents are being mutated (the collector must skip them).
    #[inline]
    pub(crate) fn is_writing(&self) -> bool {
        // Ordering: Acquire pairs with the Release in `end_write`.
        self.0.load(Ordering::Acquire) == WRITING
    }
}
