//! The `Visitor` handed to `Trace::trace`: one edge at a time, it feeds the
//! collector's three passes over the object graph.
//!
//! The passes (see `gc::collect` for the whole algorithm):
//!
//! 1. **Subtract**: for every edge into the collected set S, count one
//!    *internal* reference of the target. An object whose strong count exceeds
//!    its internal count is referenced from outside S: a root. An object with
//!    a weak edge, or a strong edge leaving S, is flagged for the fix-up pass.
//! 2. **Mark**: for every edge into S from a live object, mark the target,
//!    queue it for tracing (an explicit work list, never recursion) and take
//!    the edge off the target's internal count. Afterwards a live object's
//!    internal count is the number of references it receives from dead
//!    objects, which the collector gives back in one subtraction.
//! 3. **Fix up**: for the flagged dead objects only, give back what the other
//!    edges hold: strong edges leaving S, and every weak edge; the dead value
//!    will later be dropped with `Gc::drop` and `Weak::drop` made inert.
//!
//! The mark pass decrements with saturation: if a cell skipped in pass 1
//! (mutably borrowed then) is traced in pass 2 (released meanwhile), its edges
//! were never counted, and saturation turns the mismatch into a leak of one
//! collection instead of an over-subtraction. (The reverse, a cell borrowed
//! between the passes, cannot happen: taking a mutable borrow is a heap
//! operation, which waits for the collection.)

use core::ptr::NonNull;

use crate::heap::page::PagePtr;
use crate::ptr::header::GcHeader;
use crate::ptr::{Gc, Weak};

/// Which pass a [`Visitor`] serves.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Pass {
    Subtract,
    Mark,
    FixUp,
}

/// Receives the `Gc` and `Weak` pointers an object owns. Handed to
/// [`Trace::trace`](crate::Trace::trace); it cannot be built outside the
/// collector.
pub struct Visitor {
    pass: Pass,
    /// Epoch of the running collection: a page takes part iff its epoch matches.
    epoch: u64,
    /// A minor collection: of the pages taking part, only young objects are in S.
    minor: bool,
    /// Internal-reference counters of S, indexed by page scratch base + slot.
    internal: NonNull<u32>,
    internal_len: usize,
    /// Marked objects still to be traced.
    worklist: NonNull<Vec<NonNull<GcHeader>>>,
    /// One bit per scratch index: the object needs the fix-up pass.
    fixup: NonNull<u64>,
    /// Scratch index of the object being traced (subtract pass).
    current: usize,
}

impl Visitor {
    /// A visitor for `pass` of the collection `epoch`.
    ///
    /// # Safety
    ///
    /// `internal` and `worklist` must stay valid and otherwise unused for as
    /// long as the visitor is.
    pub(crate) unsafe fn new(
        pass: Pass,
        epoch: u64,
        minor: bool,
        internal: &mut [u32],
        fixup: &mut [u64],
        worklist: &mut Vec<NonNull<GcHeader>>,
    ) -> Self {
        assert!(
            fixup.len() * 64 >= internal.len(),
            "rudo-gc: fix-up bitmap too short"
        );
        Visitor {
            pass,
            epoch,
            minor,
            internal_len: internal.len(),
            internal: NonNull::from(internal).cast(),
            worklist: NonNull::from(worklist),
            fixup: NonNull::from(fixup).cast(),
            current: 0,
        }
    }

    /// Sets the scratch index of the object about to be traced.
    #[inline(always)]
    pub(crate) fn set_current(&mut self, index: usize) {
        debug_assert!(index < self.internal_len);
        self.current = index;
    }

    #[inline(always)]
    fn flag_current_for_fixup(&mut self) {
        let (word, bit) = (self.current / 64, self.current % 64);
        // SAFETY: `current < internal_len <= 64 * fixup.len()` (constructor
        // assertion and `set_current`); exclusive use by contract.
        unsafe { *self.fixup.as_ptr().add(word) |= 1 << bit };
    }

    /// Reports one `Gc` that the traced value owns.
    ///
    /// Call it at most once per owned `Gc` (see [`Trace`](crate::Trace)'s
    /// safety section); `Gc`'s own `Trace` impl does exactly that, so
    /// `gc.trace(visitor)` and `visitor.visit(&gc)` are the same.
    #[inline(always)]
    pub fn visit<T: ?Sized + 'static>(&mut self, gc: &Gc<T>) {
        self.edge(gc.header_ptr());
    }

    /// Reports one `Weak` that the traced value owns (at most once per `Weak`).
    #[inline]
    pub fn visit_weak<T: ?Sized + 'static>(&mut self, weak: &Weak<T>) {
        let Some(header) = weak.header_ptr() else {
            return;
        };
        match self.pass {
            Pass::Subtract => self.flag_current_for_fixup(),
            Pass::Mark => {}
            // SAFETY: a `Weak` keeps its target's header allocated.
            Pass::FixUp => unsafe { GcHeader::from_ptr(header.cast()) }.dec_weak(),
        }
    }

    /// Takes the next marked object still to be traced (mark pass).
    pub(crate) fn pop_work(&mut self) -> Option<NonNull<GcHeader>> {
        // SAFETY: the constructor's contract gives the visitor exclusive use
        // of the work list; `trace` pushes to it only while it runs.
        unsafe { self.worklist.as_mut() }.pop()
    }

    #[inline(always)]
    fn edge(&mut self, target: NonNull<GcHeader>) {
        // SAFETY: a `Gc` keeps its target allocated; its header is in a page
        // of this heap.
        let page = unsafe { PagePtr::of_object(target.cast()) };
        let slot = page.slot_index(target.cast());
        let in_set = page.epoch() == self.epoch && !(self.minor && page.is_old(slot));
        match self.pass {
            Pass::Subtract => {
                if in_set {
                    let index = page.scratch_base() + slot;
                    assert!(
                        index < self.internal_len,
                        "rudo-gc: scratch index out of range"
                    );
                    // SAFETY: bounds checked above; the visitor has exclusive
                    // use of the counters (constructor contract).
                    unsafe { *self.internal.as_ptr().add(index) += 1 };
                } else {
                    self.flag_current_for_fixup();
                }
            }
            Pass::Mark => {
                if in_set {
                    let index = page.scratch_base() + slot;
                    assert!(
                        index < self.internal_len,
                        "rudo-gc: scratch index out of range"
                    );
                    // SAFETY: as above.
                    let count = unsafe { &mut *self.internal.as_ptr().add(index) };
                    *count = count.saturating_sub(1);
                    if !page.test_and_mark(slot) {
                        // SAFETY: constructor contract.
                        unsafe { self.worklist.as_mut() }.push(target);
                    }
                }
            }
            Pass::FixUp => {
                if !in_set {
                    // SAFETY: the target is outside this collection, so it
                    // survives it.
                    unsafe { GcHeader::from_ptr(target.cast()) }.dec_strong();
                }
            }
        }
    }
}

impl core::fmt::Debug for Visitor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Visitor")
            .field("pass", &self.pass)
            .finish_non_exhaustive()
    }
}
