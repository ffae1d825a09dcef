//! The `Visitor` handed to `Trace::trace`: one edge at a time, it feeds the
//! collector's three passes over the object graph.
//!
//! The passes (see `gc::collect` for the whole algorithm):
//!
//! 1. **Subtract**: for every edge into the collected set S, count one
//!    *internal* reference of the target. An object whose strong count exceeds
//!    its internal count is referenced from outside S: a root.
//! 2. **Mark**: for every edge into S from a live object, mark the target and
//!    queue it for tracing (an explicit work list, never recursion).
//! 3. **Fix up**: for every edge out of a dead object, give back the count the
//!    edge holds when the target survives (strong edges to live targets, every
//!    weak edge), because the dead value will later be dropped with `Gc::drop`
//!    and `Weak::drop` made inert.

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
    /// Epoch of the running collection: a page is in S iff its epoch matches.
    epoch: u64,
    /// Internal-reference counters of S, indexed by page scratch base + slot.
    internal: NonNull<u32>,
    internal_len: usize,
    /// Marked objects still to be traced.
    worklist: NonNull<Vec<NonNull<GcHeader>>>,
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
        internal: &mut [u32],
        worklist: &mut Vec<NonNull<GcHeader>>,
    ) -> Self {
        Visitor {
            pass,
            epoch,
            internal_len: internal.len(),
            internal: NonNull::from(internal).cast(),
            worklist: NonNull::from(worklist),
        }
    }

    /// Reports one `Gc` that the traced value owns.
    ///
    /// Call it at most once per owned `Gc` (see [`Trace`](crate::Trace)'s
    /// safety section); `Gc`'s own `Trace` impl does exactly that, so
    /// `gc.trace(visitor)` and `visitor.visit(&gc)` are the same.
    #[inline]
    pub fn visit<T: ?Sized + 'static>(&mut self, gc: &Gc<T>) {
        self.edge(gc.header_ptr());
    }

    /// Reports one `Weak` that the traced value owns (at most once per `Weak`).
    #[inline]
    pub fn visit_weak<T: ?Sized + 'static>(&mut self, weak: &Weak<T>) {
        if self.pass == Pass::FixUp
            && let Some(header) = weak.header_ptr()
        {
            // SAFETY: a `Weak` keeps its target's header allocated.
            unsafe { GcHeader::from_ptr(header.cast()) }.dec_weak();
        }
    }

    /// Takes the next marked object still to be traced (mark pass).
    pub(crate) fn pop_work(&mut self) -> Option<NonNull<GcHeader>> {
        // SAFETY: the constructor's contract gives the visitor exclusive use
        // of the work list; `trace` pushes to it only while it runs.
        unsafe { self.worklist.as_mut() }.pop()
    }

    #[inline]
    fn edge(&mut self, target: NonNull<GcHeader>) {
        // SAFETY: a `Gc` keeps its target allocated; its header is in a page
        // of this heap.
        let page = unsafe { PagePtr::of_object(target.cast()) };
        let in_set = page.epoch() == self.epoch;
        match self.pass {
            Pass::Subtract => {
                if in_set {
                    let index = page.scratch_base() + page.slot_index(target.cast());
                    assert!(index < self.internal_len, "rudo-gc: scratch index out of range");
                    // SAFETY: bounds checked above; the visitor has exclusive
                    // use of the counters (constructor contract).
                    unsafe { *self.internal.as_ptr().add(index) += 1 };
                }
            }
            Pass::Mark => {
                if in_set && !page.test_and_mark(page.slot_index(target.cast())) {
                    // SAFETY: live target, see above.
                    if unsafe { GcHeader::from_ptr(target.cast()) }.vtable().trace.is_some() {
                        // SAFETY: constructor contract.
                        unsafe { self.worklist.as_mut() }.push(target);
                    }
                }
            }
            Pass::FixUp => {
                if !in_set || page.is_marked(page.slot_index(target.cast())) {
                    // SAFETY: the target survives this collection.
                    unsafe { GcHeader::from_ptr(target.cast()) }.dec_strong();
                }
            }
        }
    }
}

impl core::fmt::Debug for Visitor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Visitor").field("pass", &self.pass).finish_non_exhaustive()
    }
}
