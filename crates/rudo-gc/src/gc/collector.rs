//! One collection of a thread's heap: trial deletion, mark, fix-up, sweep.
//!
//! The set S is every object of the calling thread's heap that is not already
//! dead. The steps, numbered as in `docs/architecture.md` ("Roots"):
//!
//! 1. **Subtract.** Trace every object of S; for each edge into S count one
//!    internal reference of the target (`Scratch::internal`).
//! 2. **Roots.** An object whose strong count exceeds its internal count is
//!    referenced from outside S (a stack, a `Vec` on the Rust heap, a static,
//!    a thread-local) and is a root.
//! 3. **Mark.** From the roots, through edges into S, with an explicit work
//!    list. Unmarked objects of S are dead.
//! 4. **Fix up.** Flag every dead object `DEAD`, then trace it once more and
//!    give back the counts its edges hold on survivors (strong edges to live
//!    targets, all weak edges). After this no live count depends on a dead
//!    object, so dead values can be dropped in any order.
//! 5. **Destroy.** With `Gc::drop`/`Weak::drop` inert on this thread, drop
//!    every dead value (`sweep_values`), outside any borrow of the heap, so the
//!    drops may allocate.
//! 6. **Free.** Release dead slots whose weak count is zero; keep the others as
//!    *zombies* (header alive, value gone) until their last `Weak` is dropped
//!    and a later collection frees them.
//!
//! Invariants:
//!
//! - A `DEAD` object (a zombie, or one under construction by `new_cyclic`) is
//!   never part of S: it is never traced, counted or dropped again.
//! - Between steps 3 and 6 the page's mark bitmap is reused: after step 4 it
//!   holds the *dead* bits (allocated and unmarked), which allocations made by
//!   destructors in step 5 cannot disturb.
//! - A panic in `Trace::trace` during steps 1-3 abandons the collection with
//!   nothing changed but scratch state. A panic in step 4 aborts the process
//!   (counts were partly given back and cannot be restored). A panic in a
//!   destructor in step 5 is caught, the sweep finishes, and the panic resumes
//!   afterwards.

use core::cell::RefCell;
use core::ptr::NonNull;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::time::{Duration, Instant};

use crate::gc::{config, stats};
use crate::heap::chunk;
use crate::heap::local::LocalHeap;
use crate::heap::page::{PageKind, PagePtr};
use crate::mutator;
use crate::ptr::header::GcHeader;
use crate::sync::raw::{AtomicU64, Ordering::Relaxed};
use crate::trace::visitor::{Pass, Visitor};

/// Source of unique collection epochs (a page is in S iff its epoch matches).
static EPOCH: AtomicU64 = AtomicU64::new(1);

/// Why a collection was requested.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Trigger {
    /// `collect()`: skipped when nothing changed since the last collection.
    Explicit,
    /// The allocation budget ran out.
    Budget,
    /// The thread is exiting: always run.
    ThreadExit,
}

/// Buffers reused from one collection to the next.
pub(crate) struct Scratch {
    internal: Vec<u32>,
    worklist: Vec<NonNull<GcHeader>>,
    pages: Vec<PagePtr>,
}

impl Scratch {
    pub(crate) const fn new() -> Self {
        Scratch { internal: Vec::new(), worklist: Vec::new(), pages: Vec::new() }
    }
}

/// What the trace phase hands to the sweep.
struct SweepPlan {
    /// Pages holding objects found dead (their mark bitmaps hold dead bits).
    pages: Vec<PagePtr>,
    /// Zombies whose weak count had reached zero: free their slots.
    zombies: Vec<(PagePtr, usize)>,
    dead_objects: usize,
    dead_bytes: usize,
    started: Instant,
    phases: stats::PhaseTimes,
}

/// Resets `collecting` if the trace phase unwinds (a panic in `Trace`).
struct AbandonGuard<'a>(&'a RefCell<LocalHeap>);

impl Drop for AbandonGuard<'_> {
    fn drop(&mut self) {
        if let Ok(mut heap) = self.0.try_borrow_mut() {
            heap.collecting = false;
        }
        mutator::set_sweeping(false);
    }
}

/// Runs one collection of the heap in `cell`. Returns whether it ran (it is
/// skipped when re-entered, or when nothing changed and `trigger` allows).
pub(crate) fn run(cell: &RefCell<LocalHeap>, trigger: Trigger) -> bool {
    let plan = {
        let Ok(mut heap) = cell.try_borrow_mut() else {
            // Called from inside an allocation or a trace: not a safe point.
            return false;
        };
        if heap.collecting {
            return false;
        }
        let dirty = mutator::take_dirty() || heap.allocated_since_gc > 0;
        if !dirty && trigger != Trigger::ThreadExit {
            stats::record_skipped();
            return false;
        }
        heap.collecting = true;
        drop(heap);
        let guard = AbandonGuard(cell);
        let plan = trace_phase(&mut cell.borrow_mut());
        core::mem::forget(guard);
        plan
    };
    let sweep_start = Instant::now();
    mutator::set_sweeping(true);
    let panic = sweep_values(&plan.pages);
    mutator::set_sweeping(false);
    free_phase(&mut cell.borrow_mut(), plan, sweep_start);
    if let Some(payload) = panic {
        resume_unwind(payload);
    }
    true
}

/// Steps 1-4.
fn trace_phase(heap: &mut LocalHeap) -> SweepPlan {
    let started = Instant::now();
    let mut phases = stats::PhaseTimes::default();
    let epoch = EPOCH.fetch_add(1, Relaxed) + 1;
    let LocalHeap { small, large, scratch, .. } = heap;
    let Scratch { internal, worklist, pages } = scratch;
    pages.clear();
    pages.extend(small.iter().copied());
    pages.extend(large.iter().copied());

    let mut total = 0;
    for &page in pages.iter() {
        page.enrol(epoch, total);
        page.clear_marks();
        total += page.slot_count();
    }
    internal.clear();
    internal.resize(total, 0);
    worklist.clear();

    // 1. Subtract. Zombies are marked so that they are neither roots nor dead.
    let mut zombies = Vec::new();
    {
        // SAFETY: `internal` and `worklist` are borrowed for this block only.
        let mut visitor = unsafe { Visitor::new(Pass::Subtract, epoch, internal, worklist) };
        for &page in pages.iter() {
            let slot_size = page.slot_size();
            page.for_each_allocated(|index| {
                let object = page.slot(index);
                // SAFETY: allocated slots hold initialised headers.
                let header = unsafe { GcHeader::from_ptr(object) };
                if header.is_dead() {
                    page.test_and_mark(index);
                    if header.weak() == 0 {
                        zombies.push((page, index));
                    }
                } else if let Some(trace) = header.vtable().trace {
                    // SAFETY: a live object of this vtable's type, traced
                    // with its slot size.
                    unsafe { trace(object.cast(), slot_size, &mut visitor) };
                }
            });
        }
    }
    phases.subtract = started.elapsed();

    // 2. Roots, and 3. mark.
    let mark_start = Instant::now();
    for &page in pages.iter() {
        let base = page.scratch_base();
        page.for_each_allocated(|index| {
            if page.is_marked(index) {
                return;
            }
            let object = page.slot(index);
            // SAFETY: allocated, initialised, not dead (dead ones are marked).
            let header = unsafe { GcHeader::from_ptr(object) };
            if header.strong() > internal[base + index] {
                page.test_and_mark(index);
                if header.vtable().trace.is_some() {
                    worklist.push(object.cast());
                }
            }
        });
    }
    {
        let mut pending = core::mem::take(worklist);
        // SAFETY: `internal` and `pending` are borrowed for this block only.
        let mut visitor = unsafe { Visitor::new(Pass::Mark, epoch, internal, &mut pending) };
        while let Some(object) = visitor.pop_work() {
            // SAFETY: queued objects are live, marked and traceable.
            let header = unsafe { GcHeader::from_ptr(object.cast()) };
            // SAFETY: as above.
            let page = unsafe { PagePtr::of_object(object.cast()) };
            let trace = header.vtable().trace.expect("only traceable objects are queued");
            // SAFETY: a live object of this vtable's type.
            unsafe { trace(object, page.slot_size(), &mut visitor) };
        }
        drop(visitor);
        *worklist = pending;
    }
    phases.mark = mark_start.elapsed();

    // 4. Fix up: flag every dead object first, then give back its edges.
    let fix_start = Instant::now();
    let mut dead_pages = Vec::new();
    let (mut dead_objects, mut dead_bytes) = (0, 0);
    for &page in pages.iter() {
        let mut any = false;
        page.for_each_allocated(|index| {
            if !page.is_marked(index) {
                // SAFETY: allocated, initialised.
                unsafe { GcHeader::from_ptr(page.slot(index)) }.set_dead();
                any = true;
            }
        });
        if any {
            dead_pages.push(page);
        }
    }
    {
        // SAFETY: borrowed for this block only.
        let mut visitor = unsafe { Visitor::new(Pass::FixUp, epoch, internal, worklist) };
        for &page in &dead_pages {
            let slot_size = page.slot_size();
            for w in 0..page.bitmap_words() {
                let dead = page.alloc_word(w).load(Relaxed) & !page.mark_word(w).load(Relaxed);
                dead_objects += dead.count_ones() as usize;
                dead_bytes += dead.count_ones() as usize * slot_size;
                let mut bits = dead;
                while bits != 0 {
                    let index = w * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    let object = page.slot(index);
                    // SAFETY: allocated, initialised; its value is not yet dropped.
                    let header = unsafe { GcHeader::from_ptr(object) };
                    if let Some(trace) = header.vtable().trace {
                        let result = catch_unwind(AssertUnwindSafe(|| {
                            // SAFETY: as above; `DEAD` only affects upgrades.
                            unsafe { trace(object.cast(), slot_size, &mut visitor) }
                        }));
                        if result.is_err() {
                            fix_up_panicked(header);
                        }
                    }
                }
                // From here on the mark word holds the dead bits.
                page.mark_word(w).store(dead, Relaxed);
            }
        }
    }
    phases.fix_up = fix_start.elapsed();
    SweepPlan { pages: dead_pages, zombies, dead_objects, dead_bytes, started, phases }
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

/// Step 5: drops every dead value, with `Gc`/`Weak` drops inert. Returns the
/// first destructor panic, to be resumed once the heap is consistent.
fn sweep_values(pages: &[PagePtr]) -> Option<Box<dyn core::any::Any + Send>> {
    let mut first_panic = None;
    for &page in pages {
        let slot_size = page.slot_size();
        for w in 0..page.bitmap_words() {
            let mut bits = page.mark_word(w).load(Relaxed);
            while bits != 0 {
                let index = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let object = page.slot(index);
                // SAFETY: a dead object found by this collection, value intact.
                let header = unsafe { GcHeader::from_ptr(object) };
                if let Some(drop_value) = header.vtable().drop {
                    // SAFETY: each dead value is dropped exactly once, here;
                    // the fix-up detached it from every survivor.
                    let result =
                        catch_unwind(AssertUnwindSafe(|| unsafe { drop_value(object.cast(), slot_size) }));
                    if let Err(payload) = result {
                        first_panic.get_or_insert(payload);
                    }
                }
            }
        }
    }
    first_panic
}

/// Step 6, plus bookkeeping.
fn free_phase(heap: &mut LocalHeap, plan: SweepPlan, sweep_start: Instant) {
    let mut freed_large = Vec::new();
    let mut free_slot = |page: PagePtr, index: usize| {
        if page.kind() == PageKind::Large {
            freed_large.push(page);
        } else {
            let word = page.alloc_word(index / 64);
            word.store(word.load(Relaxed) & !(1 << (index % 64)), Relaxed);
        }
    };
    for &page in &plan.pages {
        for w in 0..page.bitmap_words() {
            let mut bits = page.mark_word(w).swap(0, Relaxed);
            while bits != 0 {
                let index = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                // SAFETY: the slot still holds the (dead) header.
                if unsafe { GcHeader::from_ptr(page.slot(index)) }.weak() == 0 {
                    free_slot(page, index);
                }
            }
        }
    }
    for &(page, index) in &plan.zombies {
        free_slot(page, index);
    }
    if !freed_large.is_empty() {
        heap.large.retain(|p| !freed_large.contains(p));
        for page in freed_large {
            // SAFETY: the page's only object is dead with no weak reference,
            // and the heap no longer lists it.
            unsafe { chunk::free_large(page) };
        }
    }
    let allocated_objects = heap.objects_since_gc;
    let allocated_bytes = heap.allocated_since_gc;
    let empty = heap.rebuild_after_sweep();
    chunk::release_pages(&empty);

    let live_bytes: usize = heap.small.iter().map(|p| p.allocated_count() * p.slot_size()).sum::<usize>()
        + heap.large.iter().map(|p| p.alloc_size()).sum::<usize>();
    let live_objects: usize = heap.small.iter().chain(&heap.large).map(|p| p.allocated_count()).sum();
    heap.threshold = config::next_threshold(live_bytes);
    heap.allocated_since_gc = 0;
    heap.objects_since_gc = 0;
    heap.collecting = false;

    let mut phases = plan.phases;
    phases.sweep = sweep_start.elapsed();
    let pause: Duration = plan.started.elapsed();
    stats::record_collection(stats::CollectionRecord {
        pause,
        phases,
        allocated_bytes,
        allocated_objects,
        freed_objects: plan.dead_objects,
        freed_bytes: plan.dead_bytes,
        live_objects,
        live_bytes,
    });
}
