//! The collection algorithm proper, run with the world stopped: trial
//! deletion, mark, fix-up, and freeing what can be freed at once.
//!
//! The set S is, for a *major* collection, every object of every thread's
//! pages and of the orphan pages that is not already pending; for a *minor*
//! collection, only the young ones (allocated since the last collection; see
//! `heap::local` rule 3) of every thread. A minor collection is the same
//! algorithm: edges from old objects are not subtracted, so a young object
//! referenced by an old one keeps a count above its internal references and
//! survives. The counts are the remembered set; there is no write barrier.
//! Survivors are promoted (their `old` bit is set).
//!
//! The steps, numbered as in `docs/architecture.md` ("Roots"):
//!
//! 1. **Subtract.** Trace every object of S; for each edge into S count one
//!    internal reference of the target (`Scratch::internal`), and snapshot
//!    every object's strong count (`Scratch::strong`; a pass that records
//!    the edge list takes it off `internal` instead, `gc::edges`, "One
//!    array").
//! 2. **Roots.** An object whose strong count exceeds its internal count is
//!    referenced from outside S (a stack, a `Vec` on the Rust heap, a static,
//!    a thread-local, a pending object) and is a root; so is every handle
//!    slot of every thread.
//! 3. **Mark.** From the roots, through edges into S, with an explicit work
//!    list. Unmarked objects of S are dead. Over the edges step 1 recorded
//!    when it recorded them (`gc::edges`), else by tracing the live objects
//!    again.
//! 4. **Fix up.** Every object, live or dead, gets back the references it
//!    received from dead objects whose destructor will not run (types with
//!    `Trace::NEEDS_DROP == false`): in bulk for edges inside S (see
//!    `trace::visitor`), by tracing the few such objects with weak edges or
//!    edges leaving S. Dead objects whose destructor runs release their
//!    references themselves, later, with ordinary `Gc::drop`. So afterwards
//!    a dead object's strong count is exactly the number of decrements still
//!    to come from destructors of other dead objects. Dead objects a `Weak`
//!    or a dead object's destructor may reach are flagged `DEAD`, before the
//!    world is released, so no upgrade can resurrect them and no destructor
//!    can read them (a checked panic). Survivors are promoted.
//! 5. **Free or defer.** A dead object with no destructor, no `Weak` ever and
//!    no decrement to come is freed now, whichever thread owns it. Every
//!    other dead object becomes *pending*: its value is dropped on its home
//!    thread (`gc::sweep`), and its slot is freed once its value is gone and
//!    both counts are zero (`gc::sweep::reclaim`).
//!
//! Invariants:
//!
//! - A pending object (and one under construction by `new_cyclic`, flagged
//!   `DEAD`) is never part of S: it is never traced, counted or found dead
//!   again. Tracing it a second time would give back its references twice.
//! - No live object references a pending one (it was dead when it became
//!   pending), so pending objects receive no internal references.
//! - A slot is freed only when nothing can touch its header any more: no
//!   `Gc` (strong count zero, and no destructor of a dead object will
//!   decrement it), no `Weak` (weak count zero), and its value dropped.
//! - A panic in `Trace::trace` during steps 1-3 abandons the collection with
//!   nothing changed but scratch state. A panic in step 4 aborts the process
//!   (counts were partly given back and cannot be restored).

use core::ptr::NonNull;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

use super::edges::{EdgeList, MarkCounters, Recorder};
use super::parallel;
use super::stats;
use super::sweep::{self, Reclaimed};
use crate::heap::local::LocalHeap;
use crate::heap::orphans::Orphans;
use crate::heap::page::{MIXED, PageFlag, PageKind, PagePtr};
use crate::heap::tcb::Areas;
use crate::heap::{chunk, lookup};
use crate::mutator::{Mutator, Role, VALUES_PENDING};
use crate::ptr::header::GcHeader;
use crate::sync::raw::{AtomicU64, Ordering::Relaxed};
use crate::trace::visitor::{Counters, Pass, Visitor};

/// Source of unique collection epochs, all even: a page takes part in
/// collection `E` iff its epoch is `E` or `E | MIXED`
/// (`PagePtr::in_collection`). Pages start at epoch 0, which no collection
/// has.
static EPOCH: AtomicU64 = AtomicU64::new(0);

/// Buffers reused from one collection to the next.
pub(crate) struct Scratch {
    internal: Vec<u32>,
    dropping: Vec<u32>,
    /// Strong counts read in the subtract pass, so that finding roots scans
    /// two arrays instead of touching every object header again. Not
    /// written (nor grown) by a pass that records the edge list.
    strong: Vec<u32>,
    fixup: Vec<u64>,
    worklist: Vec<NonNull<GcHeader>>,
    pages: Vec<PagePtr>,
    /// The sum of `dropping` (`Visitor::dropping_edges`).
    dropping_edges: usize,
    /// Whether `dropping` may hold a non-zero entry.
    dropping_dirty: bool,
    /// After the mark pass: whether an object may have references to give
    /// back (false when the edge list shows no edge into S leaves a dead
    /// object; `internal` then holds the subtract pass's counts, `dropping`
    /// zeros, and `dropping_edges` is zero).
    give_back: bool,
    /// The helper thread's counters in a split subtract pass.
    helper: HelperScratch,
    /// The edges the subtract pass recorded for the mark pass.
    edge_list: EdgeList,
}

/// The second thread's arrays of a split subtract pass (`gc::parallel`),
/// kept from one collection to the next.
struct HelperScratch {
    internal: Vec<u32>,
    dropping: Vec<u32>,
    fixup: Vec<u64>,
    /// Whether `dropping` may hold a non-zero entry (as
    /// `Scratch::dropping_dirty`).
    dropping_dirty: bool,
}

// SAFETY: the work list's pointers are only dereferenced by the collector
// holding the scratch (under the collection lock, world stopped); between
// collections the list is empty.
unsafe impl Send for Scratch {}

impl Scratch {
    pub(crate) const fn new() -> Self {
        Scratch {
            internal: Vec::new(),
            dropping: Vec::new(),
            strong: Vec::new(),
            fixup: Vec::new(),
            worklist: Vec::new(),
            pages: Vec::new(),
            dropping_edges: 0,
            dropping_dirty: false,
            give_back: true,
            helper: HelperScratch {
                internal: Vec::new(),
                dropping: Vec::new(),
                fixup: Vec::new(),
                dropping_dirty: false,
            },
            edge_list: EdgeList::new(),
        }
    }

    fn counters(&mut self) -> Counters<'_> {
        Counters {
            internal: &mut self.internal,
            dropping: &mut self.dropping,
            fixup: &mut self.fixup,
            worklist: &mut self.worklist,
        }
    }
}

/// What a collection found.
pub(crate) struct Outcome {
    /// Objects in the collected set, and their slots' bytes (counted only
    /// with the `tracing` feature, for its span; zero otherwise).
    pub(crate) traced_objects: usize,
    pub(crate) traced_bytes: usize,
    pub(crate) dead_objects: usize,
    pub(crate) dead_bytes: usize,
    /// Bytes a minor collection promoted (`age_survivors`).
    pub(crate) promoted_bytes: usize,
    /// The fix-up took the strong count of an object outside S to zero
    /// (`gc::config`, "Evidence of acyclic garbage").
    pub(crate) zeroed: bool,
    pub(crate) phases: stats::PhaseTimes,
}

/// Runs steps 1-5 over the pages of `heaps` (aligned with `mutators`) and
/// `orphans`, with the handle slots of `areas` as roots. The world must be
/// stopped and the collection lock held; `areas` locked before any count is
/// read (`heap::tcb` rule 3).
pub(crate) fn collect(
    scratch: &mut Scratch,
    mutators: &[Arc<Mutator>],
    areas: &Areas,
    heaps: &mut [&mut LocalHeap],
    orphans: &mut Orphans,
    minor: bool,
) -> Outcome {
    let started = Instant::now();
    let mut phases = stats::PhaseTimes::default();
    let epoch = EPOCH.fetch_add(2, Relaxed) + 2;
    let mut pages = core::mem::take(&mut scratch.pages);
    pages.clear();
    for heap in heaps.iter_mut() {
        heap.reset_caches();
        if minor {
            pages.extend(heap.young.iter().copied());
        } else {
            pages.extend(heap.small.iter().copied());
            pages.extend(heap.large.iter().copied());
        }
    }
    if !minor {
        pages.extend(orphans.small.iter().copied());
        pages.extend(orphans.large.iter().copied());
    }
    #[cfg(debug_assertions)]
    {
        let unique: std::collections::HashSet<_> = pages.iter().collect();
        assert_eq!(unique.len(), pages.len(), "rudo-gc: a page is listed twice");
    }
    let mut total = 0;
    for &page in &pages {
        // A minor collection's page that holds old objects is enrolled
        // `MIXED`, so that only its edges pay for the old-bitmap load.
        let mixed = page.reset_marks(minor);
        page.enrol(if mixed { epoch | MIXED } else { epoch }, total);
        total += page.slot_count();
    }
    let (traced_objects, traced_bytes) = if cfg!(feature = "tracing") {
        collected_set_size(&pages, minor)
    } else {
        (0, 0)
    };
    // Zeroing the counters is a pass over 4 bytes per slot and evicts the
    // young objects from the cache, so only what must be zero is zeroed:
    // `internal` always; `dropping` only if the last collection wrote it
    // (`dropping_dirty`); `strong` never, since every entry the mark pass
    // reads was written by this collection's subtract pass first.
    let record = scratch.edge_list.start(total, minor);
    let mut objects = subtract_afresh(scratch, &pages, epoch, minor, record, total);
    if record && !scratch.edge_list.recorded {
        // The list outgrew `gc::edges` rule 1, and the counters hold
        // `internal - strong` with no snapshot left to tell them apart:
        // count again, the plain way (nothing but scratch state was
        // written).
        objects = subtract_afresh(scratch, &pages, epoch, minor, false, total);
    }
    // The mark pass only decrements entries above zero, so nothing written
    // by subtract means nothing written at all; except over a recorded
    // list, whose subtract pass writes nothing there and whose mark pass
    // sets the flag itself before it counts (`gc::edges` rule 4).
    scratch.dropping_dirty = scratch.dropping_edges > 0;
    phases.subtract = started.elapsed();

    let mark_start = Instant::now();
    mark(scratch, &pages, mutators, areas, epoch);
    phases.mark = mark_start.elapsed();

    let fix_start = Instant::now();
    let (dead_objects, zeroed) = fix_up(scratch, &pages, epoch);
    scratch
        .edge_list
        .note_survivors(minor, objects, dead_objects);
    let promoted_bytes = age_survivors(&pages, minor);
    let owners: HashMap<usize, usize> = mutators
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id(), i))
        .collect();
    let dead_bytes = free_or_defer(scratch, &pages, mutators, heaps, &owners, orphans);
    phases.fix_up = fix_start.elapsed();
    scratch.pages = pages;
    Outcome {
        traced_objects,
        traced_bytes,
        dead_objects,
        dead_bytes,
        promoted_bytes,
        zeroed,
        phases,
    }
}

/// Step 1 from fresh counters over a set of `total` slots: recording the
/// edge list if `record`, with the strong counts taken off `internal`
/// (`gc::edges`, "One array"), else with them in `strong`. Returns the
/// objects of S.
fn subtract_afresh(
    scratch: &mut Scratch,
    pages: &[PagePtr],
    epoch: u64,
    minor: bool,
    record: bool,
    total: usize,
) -> usize {
    scratch.internal.clear();
    scratch.internal.resize(total, 0);
    // Dirty until the subtract pass shows it wrote nothing (also if a
    // `Trace` panic abandons the collection midway).
    zero_for_pass(&mut scratch.dropping, &mut scratch.dropping_dirty, total);
    if !record && scratch.strong.len() < total {
        scratch.strong.resize(total, 0);
    }
    scratch.fixup.clear();
    scratch.fixup.resize(total.div_ceil(64), 0);
    scratch.worklist.clear();
    subtract(scratch, pages, epoch, minor, record)
}

/// Objects of the collected set and their slots' bytes: every allocated
/// object of `pages`, or for a minor collection every young one.
fn collected_set_size(pages: &[PagePtr], minor: bool) -> (usize, usize) {
    pages.iter().fold((0, 0), |(objects, bytes), &page| {
        let n: usize = (0..page.bitmap_words())
            .map(|w| {
                // Ordering: Relaxed, as every bitmap read of a collection:
                // the world is stopped.
                let mut live = page.alloc_word(w).load(Relaxed);
                if minor {
                    live &= !page.old_word(w).load(Relaxed);
                }
                live.count_ones() as usize
            })
            .sum();
        (objects + n, bytes + n * page.slot_size())
    })
}

/// Step 1, on two threads for a large major collection (`gc::parallel`),
/// recording the edge list if `record` (`gc::edges`). Returns the number of
/// objects in S.
fn subtract(
    scratch: &mut Scratch,
    pages: &[PagePtr],
    epoch: u64,
    minor: bool,
    record: bool,
) -> usize {
    let min = parallel::parallel_min_slots();
    let split = if !minor && (min == 0 || scratch.internal.len() >= min && parallel::second_core())
    {
        let counts: Vec<usize> = pages.iter().map(|p| p.slot_count()).collect();
        parallel::halfway(&counts)
    } else {
        0
    };
    let total = scratch.internal.len();
    let strong = SlotArray::new(&mut scratch.strong);
    let list = &mut scratch.edge_list;
    let first = SlotArray::new(&mut list.first);
    if split == 0 {
        let counters = Counters {
            internal: &mut scratch.internal,
            dropping: &mut scratch.dropping,
            fixup: &mut scratch.fixup,
            worklist: &mut scratch.worklist,
        };
        let record = record.then_some((&mut list.edges, first));
        // SAFETY: the only thread; the buffers are borrowed for this call.
        let (edges, recorded, objects) =
            unsafe { subtract_run(counters, epoch, pages, strong, record, total) };
        scratch.dropping_edges = edges;
        list.recorded = recorded;
        return objects;
    }
    parallel::SPLIT_PASSES.fetch_add(1, Relaxed);
    let (mine, theirs) = pages.split_at(split);
    let split_at = theirs[0].scratch_base();
    list.split_at = split_at;
    let helper = &mut scratch.helper;
    helper.internal.clear();
    helper.internal.resize(total, 0);
    // Dirty until the pass shows the helper wrote nothing there.
    zero_for_pass(&mut helper.dropping, &mut helper.dropping_dirty, total);
    helper.fixup.clear();
    helper.fixup.resize(total.div_ceil(64), 0);
    // Each thread's list is moved to its own stack: two `Vec` headers
    // pushed to from two threads must not share a cache line.
    let mut theirs_list = core::mem::take(&mut list.helper_edges);
    let mut mine_list = core::mem::take(&mut list.edges);
    let (
        (mine_edges, mine_recorded, mine_objects),
        (theirs_edges, theirs_recorded, theirs_objects, theirs_list),
    ) = std::thread::scope(|s| {
        let worker = s.spawn(move || {
            // Rule 2 of `gc::parallel`.
            let _tracing = Role::Tracing.take();
            let mut worklist = Vec::new();
            let counters = Counters {
                internal: &mut helper.internal,
                dropping: &mut helper.dropping,
                fixup: &mut helper.fixup,
                worklist: &mut worklist,
            };
            let record = record.then_some((&mut theirs_list, first));
            // SAFETY: the two halves of the pages have disjoint scratch
            // ranges, so the threads write disjoint snapshots and
            // `first` entries; the helper's buffers are its own.
            let (edges, recorded, objects) =
                unsafe { subtract_run(counters, epoch, theirs, strong, record, total) };
            (edges, recorded, objects, theirs_list)
        });
        let counters = Counters {
            internal: &mut scratch.internal,
            dropping: &mut scratch.dropping,
            fixup: &mut scratch.fixup,
            worklist: &mut scratch.worklist,
        };
        let record = record.then_some((&mut mine_list, first));
        // SAFETY: as above, the other half.
        let mine = unsafe { subtract_run(counters, epoch, mine, strong, record, split_at - 1) };
        // Rule 3: a panic of either half is resumed once both stopped.
        match worker.join() {
            Ok(theirs) => (mine, theirs),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    list.edges = mine_list;
    list.helper_edges = theirs_list;
    list.recorded = mine_recorded && theirs_recorded;
    parallel::add_counts(&mut scratch.internal, &scratch.helper.internal);
    scratch.helper.dropping_dirty = theirs_edges > 0;
    if theirs_edges > 0 {
        parallel::add_counts(&mut scratch.dropping, &scratch.helper.dropping);
    }
    parallel::or_bits(&mut scratch.fixup, &scratch.helper.fixup);
    scratch.dropping_edges = mine_edges + theirs_edges;
    mine_objects + theirs_objects
}

/// One thread's share of step 1: traces `pages` with `counters`, writing
/// strong counts into `strong` and, with `record`, the edge list and its
/// `first` entries up to and including `end` (`gc::edges`). Returns the
/// visitor's `dropping_edges`, whether a usable list was recorded, and the
/// objects of S traced.
///
/// # Safety
///
/// No other thread uses the entries of `strong` and `first` of these pages
/// (up to `end`) meanwhile; the buffers stay valid and otherwise unused for
/// the call.
unsafe fn subtract_run(
    counters: Counters<'_>,
    epoch: u64,
    pages: &[PagePtr],
    strong: SlotArray,
    record: Option<(&mut Vec<u32>, SlotArray)>,
    end: usize,
) -> (usize, bool, usize) {
    // SAFETY: caller contract.
    let mut visitor = unsafe { Visitor::new(Pass::Subtract, epoch, counters) };
    let mut recorder = None;
    if let Some((edges, first)) = record {
        // SAFETY: caller contract.
        unsafe { visitor.record_edges(edges) };
        let start = pages.first().map_or(end, |p| p.scratch_base());
        recorder = Some(Recorder::new(first, start));
    }
    let objects = match recorder.as_mut() {
        // SAFETY: caller contract.
        Some(r) => unsafe { subtract_pages::<true>(&mut visitor, pages, strong, Some(r)) },
        // SAFETY: caller contract.
        None => unsafe { subtract_pages::<false>(&mut visitor, pages, strong, None) },
    };
    let recorded = match recorder {
        // SAFETY: caller contract.
        Some(r) => unsafe { r.finish(end, visitor.recorded_edges()) },
        None => false,
    };
    (visitor.dropping_edges(), recorded, objects)
}

/// Makes a rarely written counter array (`dropping`: only edges from
/// objects whose destructor runs count there) `len` zeros for a subtract
/// pass, touching as little of it as it can, and marks it `dirty` (the pass
/// clears the flag when it wrote nothing). Cleared only if `dirty`: a pass
/// that wrote nothing left it zero. Grown, when it must be, by a fresh
/// zeroed allocation (`vec![0; len]`), whose pages the system hands out
/// untouched, so the array stays mostly out of the resident set
/// (binary-trees: none of its objects count there).
fn zero_for_pass(array: &mut Vec<u32>, dirty: &mut bool, len: usize) {
    if *dirty {
        array.clear();
    }
    if array.capacity() < len {
        debug_assert!(
            array.iter().all(|&n| n == 0),
            "zero_for_pass: a non-zero entry in an array marked clean"
        );
        *array = vec![0; len];
    } else {
        array.resize(len, 0);
    }
    *dirty = true;
}

/// A per-slot scratch array the subtract pass writes, shared by the threads
/// of a split pass, each writing its own pages' entries only: the
/// strong-count snapshots (`Scratch::strong`) and the edge list's `first`
/// entries (`gc::edges`).
#[derive(Clone, Copy)]
pub(super) struct SlotArray {
    ptr: NonNull<u32>,
    len: usize,
}

// SAFETY: a pointer into `Scratch::strong` or `EdgeList::first`, which
// outlive the pass; the threads that share it write disjoint entries
// (`subtract_pages` contract), and the scope's join orders their writes
// before any read.
unsafe impl Send for SlotArray {}
// SAFETY: as above.
unsafe impl Sync for SlotArray {}

impl SlotArray {
    pub(super) fn new(array: &mut [u32]) -> SlotArray {
        SlotArray {
            len: array.len(),
            ptr: NonNull::from(array).cast(),
        }
    }

    /// # Safety
    ///
    /// No other thread writes or reads entry `index` meanwhile.
    pub(super) unsafe fn write(self, index: usize, value: u32) {
        assert!(index < self.len, "rudo-gc: scratch index out of range");
        // SAFETY: in bounds (checked); exclusive (caller contract).
        unsafe { self.ptr.as_ptr().add(index).write(value) };
    }
}

/// Step 1 over `pages`: traces every object of S in them with `visitor` and
/// writes its strong count into `strong`.
///
/// # Safety
///
/// No other thread uses the entries of `strong` (and of `recorder`) of
/// these pages meanwhile. (`RECORD` says whether `recorder` is `Some`, so
/// that the plain pass is compiled without it.)
unsafe fn subtract_pages<const RECORD: bool>(
    visitor: &mut Visitor,
    pages: &[PagePtr],
    strong: SlotArray,
    mut recorder: Option<&mut Recorder>,
) -> usize {
    let mut objects = 0;
    for &page in pages {
        let slot_size = page.slot_size();
        let base = page.scratch_base();
        for w in 0..page.bitmap_words() {
            // S: allocated and not premarked (pending objects, and old
            // objects in a minor collection, are).
            let mut bits = page.alloc_word(w).load(Relaxed) & !page.mark_word(w).load(Relaxed);
            let drops = page.drop_word(w).load(Relaxed);
            while bits != 0 {
                let bit = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let index = w * 64 + bit;
                let object = page.slot(index);
                // SAFETY: allocated slots hold initialised headers.
                let header = unsafe { GcHeader::from_ptr(object) };
                if header.is_dead() {
                    // Under construction (`Gc::new_cyclic`): neither a root
                    // nor dead.
                    page.test_and_mark(index);
                    continue;
                }
                objects += 1;
                if RECORD {
                    visitor.take_strong(base + index, header.strong());
                } else {
                    // SAFETY: this page's entries are ours (caller contract).
                    unsafe { strong.write(base + index, header.strong()) };
                }
                if let Some(trace) = header.vtable().trace {
                    let drops = drops & (1 << bit) != 0;
                    if RECORD && let Some(recorder) = recorder.as_deref_mut() {
                        // SAFETY: this page's entries are ours.
                        unsafe { recorder.source(base + index, visitor.recorded_edges(), drops) };
                    }
                    visitor.set_current(base + index, drops);
                    // SAFETY: a live object of this vtable's type, traced
                    // with its slot size; no thread mutates it (its cells are
                    // skipped while mutably borrowed).
                    unsafe { trace(object.cast(), slot_size, visitor) };
                }
            }
        }
    }
    objects
}

/// Steps 2 and 3: over the edge list if the subtract pass recorded one
/// (`gc::edges`), else by tracing every live object again. (There, whether
/// an object is traceable is checked when it is popped, where its header is
/// loaded anyway.)
fn mark(
    scratch: &mut Scratch,
    pages: &[PagePtr],
    mutators: &[Arc<Mutator>],
    areas: &Areas,
    epoch: u64,
) {
    // Handle slots of every live thread control block are roots besides the
    // counts, whether or not its thread still runs (`heap::tcb` rule 1); so
    // are the objects conservative regions point into. Those in S, with
    // their page and slot:
    let mut held = Vec::new();
    // SAFETY: the world is stopped and the collection lock held (caller
    // contract of `collect`).
    unsafe {
        for_each_root(areas, mutators, |object, _| {
            // SAFETY: a root is a live object of the heap.
            let page = PagePtr::of_object(object.cast());
            let index = page.slot_index(object.cast());
            if page.in_collection(index, epoch) {
                held.push((page, index));
            }
        });
    }
    if scratch.edge_list.recorded {
        let total = scratch.internal.len();
        let counters = MarkCounters {
            internal: &mut scratch.internal[..total],
            dropping: &mut scratch.dropping,
            dropping_edges: &mut scratch.dropping_edges,
            dropping_dirty: &mut scratch.dropping_dirty,
        };
        let held = held
            .iter()
            .map(|&(page, index)| page.scratch_base() + index);
        scratch.give_back = scratch.edge_list.mark(pages, counters, held, total);
        return;
    }
    for_each_count_root(
        pages,
        &scratch.strong,
        &scratch.internal,
        |page, index, _| {
            page.test_and_mark(index);
            scratch.worklist.push(page.slot(index).cast());
        },
    );
    for (page, index) in held {
        if !page.test_and_mark(index) {
            scratch.worklist.push(page.slot(index).cast());
        }
    }
    // SAFETY: the scratch buffers are borrowed for this block only.
    let mut visitor = unsafe { Visitor::new(Pass::Mark, epoch, scratch.counters()) };
    visitor.set_dropping_edges(scratch.dropping_edges);
    while let Some(object) = visitor.pop_work() {
        // SAFETY: queued objects are live and marked.
        let header = unsafe { GcHeader::from_ptr(object.cast()) };
        if let Some(trace) = header.vtable().trace {
            // SAFETY: as above.
            let page = unsafe { PagePtr::of_object(object.cast()) };
            let index = page.slot_index(object.cast());
            let drops = page.drop_word(index / 64).load(Relaxed) & (1 << (index % 64)) != 0;
            visitor.set_current(page.scratch_base() + index, drops);
            // SAFETY: a live object of this vtable's type.
            unsafe { trace(object, page.slot_size(), &mut visitor) };
        }
    }
    scratch.dropping_edges = visitor.dropping_edges();
}

/// Step 2's count roots: calls `f` with the page, slot and scratch index of
/// every object of S in `pages` whose strong count exceeds its internal
/// count, before anything is marked.
///
/// # Panics
///
/// Panics (`over_visit_panic`) on an internal count above the strong count.
pub(super) fn for_each_count_root(
    pages: &[PagePtr],
    strong: &[u32],
    internal: &[u32],
    f: impl FnMut(PagePtr, usize, usize),
) {
    for_each_excess_root(pages, |s| i64::from(internal[s]) - i64::from(strong[s]), f);
}

/// [`for_each_count_root`] over the counters of a recording subtract pass,
/// which hold `internal - strong` (`gc::edges`, "One array"): a root's is
/// negative. Both counts are below 2^31 (strong counts by
/// `ptr::header`'s bound, internal ones by the list's, rule 1), so the
/// difference fits an `i32`.
///
/// # Panics
///
/// As [`for_each_count_root`].
pub(super) fn for_each_net_root(
    pages: &[PagePtr],
    net: &[u32],
    f: impl FnMut(PagePtr, usize, usize),
) {
    for_each_excess_root(pages, |s| i64::from(net[s] as i32), f);
}

/// The scan behind both: `excess(s)` is scratch index `s`'s internal count
/// minus its strong count; an unmarked object of S with a negative excess
/// is a root, one with a positive excess a `Trace` bug.
#[inline(always)]
fn for_each_excess_root(
    pages: &[PagePtr],
    excess: impl Fn(usize) -> i64,
    mut f: impl FnMut(PagePtr, usize, usize),
) {
    for &page in pages {
        let base = page.scratch_base();
        for w in 0..page.bitmap_words() {
            // Ordering: Relaxed, as every bitmap read of a collection: the
            // world is stopped.
            let mut bits = page.alloc_word(w).load(Relaxed) & !page.mark_word(w).load(Relaxed);
            while bits != 0 {
                let index = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let excess = excess(base + index);
                if excess < 0 {
                    f(page, index, base + index);
                } else if excess > 0 {
                    // Every internal reference is a `Gc` some object of S
                    // owns, and so one of the strong counts: more can only
                    // come from a `Trace` impl that visits a `Gc` twice.
                    // Nothing was changed yet but scratch state, so the
                    // collection is abandoned (as for a panic in `trace`).
                    // The excess is below 2^31 (both counts are).
                    over_visit_panic(page, index, excess as u32);
                }
            }
        }
    }
}

/// Where [`for_each_root`] found a root.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum RootKind {
    /// A handle slot of a live thread control block.
    Handle,
    /// A word of a registered conservative region.
    Region,
}

/// Calls `f` with every object held from outside the heap other than by a
/// count: the handle slots of every live thread control block, whether or
/// not its thread still runs (`heap::tcb` rule 1), and the objects
/// conservative regions point into (`roots::region` invariant 3). The mark
/// pass roots them; `heap::write_snapshot` labels them.
///
/// # Safety
///
/// The world must be stopped and the collection lock held, with `areas`
/// locked, for as long as this runs.
pub(crate) unsafe fn for_each_root(
    areas: &Areas,
    mutators: &[Arc<Mutator>],
    mut f: impl FnMut(NonNull<GcHeader>, RootKind),
) {
    // SAFETY: caller contract.
    unsafe { areas.for_each(|handles| handles.for_each_root(|o| f(o, RootKind::Handle))) };
    // The lookup guard keeps every page the words name allocated while they
    // are looked up.
    let _lookup = chunk::lookup_guard();
    for m in mutators {
        for region in m.regions.lock().iter() {
            region.for_each_word(|word| {
                if let Some(found) = lookup::live_object(word as *const u8) {
                    f(found.object.cast(), RootKind::Region);
                }
            });
        }
    }
}

/// The answer to a `Trace` impl caught visiting a `Gc` more often than its
/// value owns it (`mark`): the case where the extra visits exceed the
/// target's strong count. (Fewer extra visits cannot be told from correct
/// ones; they are undefined behaviour by `Trace`'s contract.)
#[cold]
#[inline(never)]
fn over_visit_panic(page: PagePtr, index: usize, excess: u32) -> ! {
    // SAFETY: an allocated object of S (its bit was just read).
    let type_name = (unsafe { GcHeader::from_ptr(page.slot(index)) }
        .vtable()
        .type_name)();
    panic!(
        "rudo-gc: a `Trace` impl visited a `Gc<{type_name}>` more often than it owns one: the \
         object was visited {excess} more times from inside the heap than it has strong \
         references. `Trace::trace` must visit each `Gc` a value owns at most once; use \
         #[derive(Trace)]. The collection was abandoned; nothing was freed"
    )
}

/// Step 4. Leaves the dead bits in the mark bitmaps; returns the number of
/// dead objects, and whether a count given back outside S reached zero.
fn fix_up(scratch: &mut Scratch, pages: &[PagePtr], epoch: u64) -> (usize, bool) {
    let mut dead_objects = 0;
    let mut zeroed = false;
    let mut needs_trace = Vec::new();
    for &page in pages {
        let base = page.scratch_base();
        for w in 0..page.bitmap_words() {
            let alloc = page.alloc_word(w).load(Relaxed);
            let marked = page.mark_word(w).load(Relaxed);
            let dead = alloc & !marked;
            // Give back what dead, undropped objects held, to every object of
            // S (objects outside S received no internal references)...
            let mut objects = alloc & (marked & !page.pending_word(w).load(Relaxed) | dead);
            // ...except to the dead objects step 5 frees at once (no
            // destructor, never a `Weak`, `dropping` zero): their count would
            // come out zero, and their slot is freed, so nothing reads it
            // again (the next allocation of the slot writes a new header).
            // Writing it would cost an atomic read-modify-write, mostly a
            // cache miss, per dead object: most of a minor collection of
            // short-lived trees.
            let freed_now =
                dead & !page.drop_word(w).load(Relaxed) & !page.weak_word(w).load(Relaxed);
            if scratch.dropping_edges == 0 {
                // No dead object's destructor refers into S: every
                // `dropping` is zero, so none of these needs a look.
                objects &= !freed_now;
            }
            if !scratch.give_back {
                objects = 0;
            }
            while objects != 0 {
                let bit = objects.trailing_zeros() as usize;
                let index = w * 64 + bit;
                objects &= objects - 1;
                let s = base + index;
                if freed_now & (1 << bit) != 0 && scratch.dropping[s] == 0 {
                    continue;
                }
                let give_back = scratch.internal[s].saturating_sub(scratch.dropping[s]);
                if give_back > 0 {
                    // SAFETY: allocated, initialised, value not yet dropped.
                    unsafe { GcHeader::from_ptr(page.slot(index)) }.sub_strong(give_back);
                }
            }
            // From here on the mark word holds the dead bits.
            page.mark_word(w).store(dead, Relaxed);
            if dead == 0 {
                continue;
            }
            dead_objects += dead.count_ones() as usize;
            // Flag the dead objects anything can still reach (`header` rule
            // 2): those a `Weak` may reach, and those a dead object's
            // destructor may reach (`dropping`: edges from dead objects
            // whose destructor runs; the mark pass took the live ones off).
            // The rest are reachable by nothing and cost no memory access.
            let mut flag = dead & page.weak_word(w).load(Relaxed);
            let mut rest = if scratch.dropping_edges == 0 {
                0
            } else {
                dead & !flag
            };
            while rest != 0 {
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                if scratch.dropping[base + w * 64 + bit] != 0 {
                    flag |= 1 << bit;
                }
            }
            while flag != 0 {
                let index = w * 64 + flag.trailing_zeros() as usize;
                flag &= flag - 1;
                // SAFETY: allocated, initialised; its value is not yet dropped.
                unsafe { GcHeader::from_ptr(page.slot(index)) }.set_dead();
            }
            let mut bits = scratch_bits(&scratch.fixup, base + w * 64) & dead;
            while bits != 0 {
                let index = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                needs_trace.push((page, index));
            }
        }
    }
    if !needs_trace.is_empty() {
        // SAFETY: the scratch buffers are borrowed for this block only.
        let mut visitor = unsafe { Visitor::new(Pass::FixUp, epoch, scratch.counters()) };
        for (page, index) in needs_trace {
            let object = page.slot(index);
            // SAFETY: a dead object of this collection; value not yet dropped.
            let header = unsafe { GcHeader::from_ptr(object) };
            let trace = header
                .vtable()
                .trace
                .expect("flagged objects are traceable");
            let result = catch_unwind(AssertUnwindSafe(|| {
                // SAFETY: as above; `DEAD` only affects upgrades.
                unsafe { trace(object.cast(), page.slot_size(), &mut visitor) }
            }));
            if result.is_err() {
                fix_up_panicked(header);
            }
        }
        zeroed = visitor.zeroed();
    }
    (dead_objects, zeroed)
}

/// Step 4, end: survivors age. Only after the fix-up: its trace must see the
/// same S as the subtract pass, or it would take a young survivor for an old
/// object and give back its count a second time. Returns the bytes promoted
/// to the old generation by a minor collection (0 for a major one, which
/// promotes every survivor and so resets the old generation's size).
fn age_survivors(pages: &[PagePtr], minor: bool) -> usize {
    // Relaxed bitmap accesses: the world is stopped, and the handshake's
    // release orders them before any later heap operation.
    let mut promoted = 0;
    for &page in pages {
        let mut promoted_objects = 0;
        for w in 0..page.bitmap_words() {
            let dead = page.mark_word(w).load(Relaxed);
            let pending = page.pending_word(w).load(Relaxed);
            let survivors = page.alloc_word(w).load(Relaxed) & !dead & !pending;
            let (old, survived) = if minor {
                // A young survivor stays young once (`survived`), and is
                // promoted the second time (`heap::page`, bitmap `survived`).
                let was_old = page.old_word(w).load(Relaxed);
                let before = was_old | page.survived_word(w).load(Relaxed);
                promoted_objects += (survivors & before & !was_old).count_ones() as usize;
                (survivors & before, survivors & !before)
            } else {
                (survivors, 0)
            };
            page.old_word(w).store(old, Relaxed);
            page.survived_word(w).store(survived, Relaxed);
        }
        promoted += promoted_objects * page.slot_size();
    }
    promoted
}

/// Step 5. Returns the bytes of the dead objects found.
fn free_or_defer(
    scratch: &Scratch,
    pages: &[PagePtr],
    mutators: &[Arc<Mutator>],
    heaps: &mut [&mut LocalHeap],
    owners: &HashMap<usize, usize>,
    orphans: &mut Orphans,
) -> usize {
    let mut dead_bytes = 0;
    for &page in pages {
        let base = page.scratch_base();
        let mut freed = Reclaimed::default();
        let mut has_values = false;
        for w in 0..page.bitmap_words() {
            let dead = page.mark_word(w).load(Relaxed);
            page.mark_word(w).store(0, Relaxed);
            let drops = page.drop_word(w).load(Relaxed);
            if dead != 0 {
                dead_bytes += dead.count_ones() as usize * page.slot_size();
                // Free now: no destructor, never a `Weak`, and no dead
                // object's destructor will decrement it.
                let mut now = dead & !drops & !page.weak_word(w).load(Relaxed);
                // (All `dropping` are zero when no edge from a dead object's
                // destructor is left: nothing to check.)
                let mut check = if scratch.dropping_edges == 0 { 0 } else { now };
                while check != 0 {
                    let bit = check.trailing_zeros() as usize;
                    check &= check - 1;
                    if scratch.dropping[base + w * 64 + bit] != 0 {
                        now &= !(1 << bit);
                    }
                }
                let pending = page.pending_word(w);
                pending.store(pending.load(Relaxed) | (dead & !now), Relaxed);
                if now != 0 {
                    freed.objects += now.count_ones() as usize;
                    if page.kind() == PageKind::Large {
                        freed.large_page_free = true;
                    } else {
                        freed.bytes += now.count_ones() as usize * page.slot_size();
                    }
                    page.free_bits(w, now);
                }
            }
            has_values |= page.pending_word(w).load(Relaxed) & drops != 0;
        }
        // Earlier pending objects whose last reference went away meanwhile.
        if !freed.large_page_free {
            freed.add(sweep::reclaim(page));
        }
        // By the flag, not the id: an exiting thread's record stays
        // registered for a moment after its pages became orphans.
        let owner = if page.has_flag(PageFlag::Orphan) {
            None
        } else {
            let owner = owners.get(&page.owner());
            Some(*owner.expect("a collected page belongs to a registered heap or the orphans"))
        };
        if freed.large_page_free {
            match owner {
                Some(i) => heaps[i].forget_large(page),
                None => orphans.large.retain(|&p| p != page),
            }
            freed.bytes += page.alloc_size();
            // SAFETY: the page's only object is freed, nothing references it
            // (no `Gc`, no `Weak`, no pending decrement) and no heap lists it.
            unsafe { chunk::free_large(page) };
        } else if has_values && !page.has_flag(PageFlag::Pending) {
            page.set_flag(PageFlag::Pending, true);
            match owner {
                Some(i) => {
                    // SAFETY: the world is stopped (access rule 2).
                    unsafe { mutators[i].pending() }.push(page);
                    mutators[i].request(VALUES_PENDING);
                }
                None => {
                    orphans.pending.push(page);
                    sweep::note_orphans_pending();
                }
            }
        }
        if let Some(i) = owner {
            heaps[i].note_freed(freed.bytes, freed.objects);
        }
    }
    dead_bytes
}

/// The 64 bits of `bits` starting at bit `start` (which need not be aligned).
#[inline]
pub(super) fn scratch_bits(bits: &[u64], start: usize) -> u64 {
    let (word, shift) = (start / 64, start % 64);
    let low = bits.get(word).copied().unwrap_or(0) >> shift;
    let high = if shift == 0 {
        0
    } else {
        bits.get(word + 1).copied().unwrap_or(0) << (64 - shift)
    };
    low | high
}

#[cold]
fn fix_up_panicked(header: &GcHeader) -> ! {
    eprintln!(
        "rudo-gc: `Trace::trace` of a `{}` panicked while the collector was releasing a dead \
         object's references; the heap's reference counts can no longer be kept consistent, \
         so the process aborts. `trace` must not panic (see the safety section of `Trace`).",
        (header.vtable().type_name)()
    );
    std::process::abort()
}
