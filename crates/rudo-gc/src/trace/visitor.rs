//! The `Visitor` handed to `Trace::trace`: one edge at a time, it feeds the
//! collector's three passes over the object graph.
//!
//! The passes (see `gc::collector` for the whole algorithm):
//!
//! 1. **Subtract**: for every edge into the collected set S, count one
//!    *internal* reference of the target; if the source object's destructor
//!    will run when it dies (its `drop` bit), count the edge in *dropping*
//!    too (unless the pass records the edge list: its mark pass counts
//!    *dropping* from the dead sources' recorded edges instead). An object
//!    whose strong count exceeds its internal count is referenced from
//!    outside S: a root. A source whose destructor the
//!    collector would skip, and that has a weak edge or a strong edge leaving
//!    S, is flagged for the fix-up trace.
//! 2. **Mark**: for every edge into S from a live object, mark the target,
//!    queue it for tracing (an explicit work list, never recursion) and take
//!    the edge off both counts. Afterwards a live object's `internal -
//!    dropping` is the number of references it receives from dead objects
//!    whose destructors will not run: references nobody else will release,
//!    which the collector gives back in one subtraction.
//! 3. **Fix up**: for the flagged dead objects only, give back the strong
//!    edges leaving S and every weak edge.
//!
//! Dead objects whose destructors run release their own references, with
//! ordinary `Gc::drop`/`Weak::drop`.
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
    /// `Subtract`, recording every edge into S as well (`gc::edges`).
    Record,
    Mark,
    FixUp,
    /// Not a collection: every edge goes to the work list, a `Weak`'s with
    /// its address's low bit set (headers are 8-aligned), for
    /// `heap::write_snapshot`.
    Edges,
}

/// The collector's per-collection scratch arrays a visitor updates.
pub(crate) struct Counters<'a> {
    /// References from inside S, per scratch index.
    pub(crate) internal: &'a mut [u32],
    /// Of those, references from objects whose destructor runs when they die.
    pub(crate) dropping: &'a mut [u32],
    /// One bit per scratch index: the object needs the fix-up trace.
    pub(crate) fixup: &'a mut [u64],
    /// Marked objects still to be traced.
    pub(crate) worklist: &'a mut Vec<NonNull<GcHeader>>,
}

/// Receives the `Gc` and `Weak` pointers an object owns. Handed to
/// [`Trace::trace`](crate::Trace::trace); it cannot be built outside the
/// collector.
pub struct Visitor {
    pass: Pass,
    /// Epoch of the running collection (`PagePtr::in_collection`).
    epoch: u64,
    internal: NonNull<u32>,
    dropping: NonNull<u32>,
    len: usize,
    fixup: NonNull<u64>,
    worklist: NonNull<Vec<NonNull<GcHeader>>>,
    /// `Pass::Record`: where the scratch indices of edges into S are
    /// recorded for the mark pass (`gc::edges`). Dangling, and never used,
    /// in every other pass.
    edges: NonNull<Vec<u32>>,
    /// Scratch index of the object being traced.
    current: usize,
    /// Whether the object being traced has a destructor that will run.
    current_drops: bool,
    /// Edges into S from objects whose destructor runs (the sum of
    /// `dropping`): after the mark pass, the edges from *dead* such objects.
    /// When zero, no destructor can reach a dead object.
    dropping_edges: usize,
    /// Fix-up pass: a count it gave back outside S reached zero (the
    /// evidence of acyclic garbage of `gc::config`).
    zeroed: bool,
}

impl Visitor {
    /// A visitor for `pass` of the collection `epoch`.
    ///
    /// # Safety
    ///
    /// The buffers in `counters` must stay valid and otherwise unused for as
    /// long as the visitor is.
    pub(crate) unsafe fn new(pass: Pass, epoch: u64, counters: Counters<'_>) -> Self {
        let len = counters.internal.len();
        assert!(
            counters.dropping.len() == len && counters.fixup.len() * 64 >= len,
            "rudo-gc: collector scratch buffers disagree in length"
        );
        Visitor {
            pass,
            epoch,
            len,
            internal: NonNull::from(counters.internal).cast(),
            dropping: NonNull::from(counters.dropping).cast(),
            fixup: NonNull::from(counters.fixup).cast(),
            worklist: NonNull::from(counters.worklist),
            edges: NonNull::dangling(),
            current: 0,
            current_drops: false,
            dropping_edges: 0,
            zeroed: false,
        }
    }

    /// A visitor that only lists edges (`Pass::Edges`) into `out`.
    ///
    /// # Safety
    ///
    /// `out` must stay valid and otherwise unused for as long as the
    /// visitor is.
    pub(crate) unsafe fn edges(out: &mut Vec<NonNull<GcHeader>>) -> Visitor {
        let counters = Counters {
            internal: &mut [],
            dropping: &mut [],
            fixup: &mut [],
            worklist: out,
        };
        // SAFETY: the empty buffers are never indexed (the `Edges` pass
        // touches only the work list); `out` as the caller promises.
        unsafe { Visitor::new(Pass::Edges, 0, counters) }
    }

    /// Makes this subtract-pass visitor record the scratch index of every
    /// edge into S into `edges`, in the order it sees them.
    ///
    /// # Safety
    ///
    /// `edges` must stay valid and otherwise unused for as long as the
    /// visitor is.
    pub(crate) unsafe fn record_edges(&mut self, edges: &mut Vec<u32>) {
        assert_eq!(
            self.pass,
            Pass::Subtract,
            "rudo-gc: only a subtract pass records"
        );
        self.pass = Pass::Record;
        self.edges = NonNull::from(edges);
    }

    /// `Pass::Record`: takes the strong count `strong` of the object at
    /// scratch index `index` off its counter, so that after the pass the
    /// counter holds `internal - strong` (wrapping; negative as an `i32`
    /// for a root), with no snapshot array (`gc::edges`, "One array").
    #[inline(always)]
    pub(crate) fn take_strong(&mut self, index: usize, strong: u32) {
        debug_assert_eq!(self.pass, Pass::Record);
        let (internal, _) = self.counters(index);
        *internal = internal.wrapping_sub(strong);
    }

    /// Edges recorded so far (`record_edges`); 0 if none are.
    #[inline(always)]
    pub(crate) fn recorded_edges(&self) -> usize {
        if self.pass == Pass::Record {
            // SAFETY: set with the pass (`record_edges`' contract).
            unsafe { self.edges.as_ref() }.len()
        } else {
            0
        }
    }

    /// Whether the fix-up pass took a count outside S to zero.
    pub(crate) fn zeroed(&self) -> bool {
        self.zeroed
    }

    /// The sum of the `dropping` counters, as this visitor left it.
    pub(crate) fn dropping_edges(&self) -> usize {
        self.dropping_edges
    }

    /// Starts a pass from the sum the previous pass left.
    pub(crate) fn set_dropping_edges(&mut self, edges: usize) {
        self.dropping_edges = edges;
    }

    /// Sets the object about to be traced: its scratch index, and whether its
    /// destructor runs when it dies.
    #[inline(always)]
    pub(crate) fn set_current(&mut self, index: usize, drops: bool) {
        debug_assert!(index < self.len);
        self.current = index;
        self.current_drops = drops;
    }

    #[inline(always)]
    fn flag_current_for_fixup(&mut self) {
        if self.current_drops {
            // Its destructor releases this edge itself.
            return;
        }
        let (word, bit) = (self.current / 64, self.current % 64);
        // SAFETY: `current < len <= 64 * fixup.len()` (constructor assertion
        // and `set_current`); exclusive use by contract.
        unsafe { *self.fixup.as_ptr().add(word) |= 1 << bit };
    }

    /// Takes the next marked object still to be traced (mark pass).
    pub(crate) fn pop_work(&mut self) -> Option<NonNull<GcHeader>> {
        // SAFETY: the constructor's contract gives the visitor exclusive use
        // of the work list; `trace` pushes to it only while it runs.
        unsafe { self.worklist.as_mut() }.pop()
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

    /// Reports the strong reference an [`ErasedGc`](crate::ErasedGc) holds
    /// (at most once per `ErasedGc`, like [`visit`](Visitor::visit)).
    #[inline(always)]
    pub fn visit_erased(&mut self, gc: &crate::ErasedGc) {
        self.edge(gc.header_ptr());
    }

    /// Reports one `Weak` that the traced value owns (at most once per `Weak`).
    #[inline]
    pub fn visit_weak<T: ?Sized + 'static>(&mut self, weak: &Weak<T>) {
        let Some(header) = weak.header_ptr() else {
            return;
        };
        match self.pass {
            Pass::Subtract | Pass::Record => self.flag_current_for_fixup(),
            Pass::Mark => {}
            // SAFETY: a `Weak` keeps its target's header allocated.
            Pass::FixUp => unsafe { GcHeader::from_ptr(header.cast()) }.dec_weak(),
            // SAFETY: constructor contract.
            Pass::Edges => unsafe { self.worklist.as_mut() }.push(header.map_addr(|a| a | 1)),
        }
    }

    /// The counters of scratch index `index`.
    ///
    /// # Panics
    ///
    /// Panics if `index` is out of range (a corrupted page header).
    #[inline(always)]
    fn counters(&mut self, index: usize) -> (&mut u32, &mut u32) {
        assert!(index < self.len, "rudo-gc: scratch index out of range");
        // SAFETY: bounds checked above; the visitor has exclusive use of the
        // counters (constructor contract), and the two arrays are distinct.
        unsafe {
            (
                &mut *self.internal.as_ptr().add(index),
                &mut *self.dropping.as_ptr().add(index),
            )
        }
    }

    /// Subtract pass: an edge to slot `slot` of `page`; `record`ed in the
    /// edge list too if asked (a constant at both call sites, so the
    /// plain pass pays nothing for the recording one).
    #[inline(always)]
    fn count_edge(&mut self, page: PagePtr, slot: usize, in_set: bool, record: bool) {
        if !in_set {
            self.flag_current_for_fixup();
            return;
        }
        let drops = self.current_drops;
        let index = page.scratch_base() + slot;
        if record {
            // SAFETY: `Pass::Record` (`record_edges`' contract). Indices fit:
            // `gc::edges` records only sets of fewer than 2^31 slots.
            unsafe { self.edges.as_mut() }.push(index as u32);
        }
        let (internal, dropping) = self.counters(index);
        // Wrapping: a recording pass's counters start below zero once their
        // object's strong count is taken off (`take_strong`).
        *internal = internal.wrapping_add(1);
        // A recording pass leaves `dropping` alone: the mark pass counts it
        // afresh from the dead sources' edges, if any source dies
        // (`gc::edges` rule 4), so counting it here would be one more
        // read-modify-write per edge, in a second array, for nothing.
        if drops && !record {
            *dropping += 1;
            self.dropping_edges += 1;
        }
    }

    #[inline(always)]
    fn edge(&mut self, target: NonNull<GcHeader>) {
        // SAFETY: a `Gc` keeps its target allocated; its header is in a page
        // of this heap.
        let page = unsafe { PagePtr::of_object(target.cast()) };
        let slot = page.slot_index(target.cast());
        let in_set = page.in_collection(slot, self.epoch);
        match self.pass {
            Pass::Subtract => self.count_edge(page, slot, in_set, false),
            Pass::Record => self.count_edge(page, slot, in_set, true),
            Pass::Mark => {
                if in_set {
                    let drops = self.current_drops;
                    let (internal, dropping) = self.counters(page.scratch_base() + slot);
                    *internal = internal.saturating_sub(1);
                    if drops && *dropping > 0 {
                        *dropping -= 1;
                        self.dropping_edges -= 1;
                    }
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
                    self.zeroed |= unsafe { GcHeader::from_ptr(target.cast()) }.dec_strong();
                }
            }
            // SAFETY: constructor contract.
            Pass::Edges => unsafe { self.worklist.as_mut() }.push(target),
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
