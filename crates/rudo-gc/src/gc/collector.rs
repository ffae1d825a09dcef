//! One collection of a thread's heap: trial deletion, mark, fix-up, sweep.
//!
//! The set S is, for a *major* collection, every object of the calling
//! thread's heap that is not already dead; for a *minor* collection, only the
//! young ones (allocated since the last collection; see `heap::local` rule 3).
//! A minor collection is the same algorithm: edges from old objects are not
//! subtracted, so a young object referenced by an old one keeps a count above
//! its internal references and survives. The counts are the remembered set;
//! there is no write barrier. Survivors are promoted (their `old` bit is set).
//!
//! The steps, numbered as in `docs/architecture.md` ("Roots"):
//!
//! 1. **Subtract.** Trace every object of S; for each edge into S count one
//!    internal reference of the target (`Scratch::internal`), and snapshot
//!    every object's strong count (`Scratch::strong`).
//! 2. **Roots.** An object whose strong count exceeds its internal count is
//!    referenced from outside S (a stack, a `Vec` on the Rust heap, a static,
//!    a thread-local) and is a root.
//! 3. **Mark.** From the roots, through edges into S, with an explicit work
//!    list. Unmarked objects of S are dead.
//! 4. **Fix up.** Flag dead objects `DEAD` (those a `Weak` may reach; all of
//!    them in debug builds). Dead objects whose destructor will run release
//!    their references themselves, with ordinary `Gc::drop`. For the others
//!    (types with `Trace::NEEDS_DROP == false`, whose destructor is skipped)
//!    the collector gives back what they held: in bulk for targets in S (see
//!    `trace::visitor`), and by tracing the few that hold weak edges or
//!    edges leaving S. Then survivors are promoted.
//! 5. **Destroy.** Run the destructor of every dead object that has one
//!    (`sweep_values`), outside any borrow of the heap, so destructors may
//!    allocate, clone and drop `Gc`s like any code. Only then free the slots:
//!    until every destructor has run, a dead object's header stays valid for
//!    the `Gc::drop` of another dead object.
//! 6. **Keep zombies.** A dead object with weak references keeps its slot
//!    (header alive, value gone) until its last `Weak` is dropped and a later
//!    collection frees it.
//!
//! Invariants:
//!
//! - A `DEAD` object (a zombie, or one under construction by `new_cyclic`) is
//!   never part of S: it is never traced, counted or dropped again.
//! - Between steps 3 and 5 the page's mark bitmap is reused: after step 4 it
//!   holds the *dead* bits (allocated and unmarked), which allocations made by
//!   destructors in step 5 cannot disturb.
//! - A panic in `Trace::trace` during steps 1-3 abandons the collection with
//!   nothing changed but scratch state. A panic in step 4 aborts the process
//!   (counts were partly given back and cannot be restored). A panic in a
//!   destructor in step 5 is caught, the sweep finishes, and the panic resumes
//!   afterwards; what the panicking value still owned leaks.
//! - Memory a destructor allocates in step 5 is never in the dead bitmaps, so
//!   it cannot be dropped or freed by this collection.

use core::cell::RefCell;
use core::ptr::NonNull;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::time::{Duration, Instant};

use crate::gc::{config, stats};
use crate::heap::local::LocalHeap;
use crate::heap::page::{PageKind, PagePtr};
use crate::heap::{ThreadControlBlock, chunk};
use crate::mutator;
use crate::ptr::header::GcHeader;
use crate::sync::raw::{AtomicU64, Ordering::Relaxed};
use crate::trace::visitor::{Counters, Pass, Visitor};

/// Source of unique collection epochs (a page takes part iff its epoch matches).
static EPOCH: AtomicU64 = AtomicU64::new(1);

/// Why a collection was requested.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Trigger {
    /// `collect()`: a major collection, skipped when nothing changed since the
    /// last major collection.
    Explicit,
    /// `collect_minor()`: a minor collection, skipped when nothing changed
    /// since the last collection.
    ExplicitMinor,
    /// The young allocation budget ran out: minor, or major if the heap grew by
    /// the growth factor since the last major collection.
    Budget,
    /// The thread is exiting: always a major collection.
    ThreadExit,
}

/// Buffers reused from one collection to the next.
pub(crate) struct Scratch {
    internal: Vec<u32>,
    dropping: Vec<u32>,
    /// Strong counts read in the subtract pass, so that finding roots scans
    /// two arrays instead of touching every object header again.
    strong: Vec<u32>,
    fixup: Vec<u64>,
    worklist: Vec<NonNull<GcHeader>>,
    pages: Vec<PagePtr>,
}

impl Scratch {
    pub(crate) const fn new() -> Self {
        Scratch {
            internal: Vec::new(),
            dropping: Vec::new(),
            strong: Vec::new(),
            fixup: Vec::new(),
            worklist: Vec::new(),
            pages: Vec::new(),
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

/// What the trace phase hands to the sweep.
struct SweepPlan {
    /// Pages holding objects found dead (their mark bitmaps hold dead bits).
    pages: Vec<PagePtr>,
    /// Every page the collection visited.
    visited: Vec<PagePtr>,
    /// Zombies whose weak count had reached zero: free their slots.
    zombies: Vec<(PagePtr, usize)>,
    dead_objects: usize,
    minor: bool,
    started: Instant,
    phases: stats::PhaseTimes,
}

/// Puts the heap back in shape if the trace phase unwinds (a panic in
/// `Trace`): the collection did not happen, so the next request must run.
struct AbandonGuard<'a>(&'a RefCell<LocalHeap>);

impl Drop for AbandonGuard<'_> {
    fn drop(&mut self) {
        if let Ok(mut heap) = self.0.try_borrow_mut() {
            heap.collecting = false;
            heap.changed_since_major = true;
        }
        mutator::mark_dirty();
    }
}

/// Runs one collection of the heap in `cell`. Returns whether it ran (it is
/// skipped when re-entered, or when nothing changed and `trigger` allows).
pub(crate) fn run(
    cell: &RefCell<LocalHeap>,
    tcb: Option<&ThreadControlBlock>,
    trigger: Trigger,
) -> bool {
    let plan = {
        let Ok(mut heap) = cell.try_borrow_mut() else {
            // Called from inside an allocation or a trace: not a safe point.
            return false;
        };
        if heap.collecting {
            return false;
        }
        let minor = match trigger {
            Trigger::Explicit | Trigger::ThreadExit => false,
            Trigger::ExplicitMinor => true,
            Trigger::Budget => !config::wants_major(heap.used_bytes, heap.used_after_major),
        };
        // Skip when nothing changed since the last collection that would have
        // found the same garbage: any collection for a minor one, the last
        // major one for a major one (a minor collection never frees old
        // objects).
        let dirty = mutator::take_dirty() || heap.allocated_since_gc > 0;
        heap.changed_since_major |= dirty;
        let changed = if minor {
            dirty
        } else {
            heap.changed_since_major
        };
        if !changed && trigger != Trigger::ThreadExit {
            stats::record_skipped();
            return false;
        }
        if !minor {
            heap.changed_since_major = false;
        }
        heap.collecting = true;
        drop(heap);
        let guard = AbandonGuard(cell);
        let plan = trace_phase(&mut cell.borrow_mut(), tcb, minor);
        core::mem::forget(guard);
        plan
    };
    let sweep_start = Instant::now();
    let (freed_bytes, panic) = sweep_values(&plan.pages);
    free_phase(&mut cell.borrow_mut(), plan, freed_bytes, sweep_start);
    if let Some(payload) = panic {
        resume_unwind(payload);
    }
    true
}

/// Steps 1-4.
fn trace_phase(heap: &mut LocalHeap, tcb: Option<&ThreadControlBlock>, minor: bool) -> SweepPlan {
    let started = Instant::now();
    let mut phases = stats::PhaseTimes::default();
    let epoch = EPOCH.fetch_add(1, Relaxed) + 1;
    heap.reset_caches();
    let mut pages = core::mem::take(&mut heap.scratch.pages);
    pages.clear();
    if minor {
        pages.extend(heap.young.iter().copied());
    } else {
        pages.extend(heap.small.iter().copied());
        pages.extend(heap.large.iter().copied());
    }
    let mut total = 0;
    for &page in &pages {
        page.enrol(epoch, total);
        page.reset_marks(minor);
        total += page.slot_count();
    }
    let scratch = &mut heap.scratch;
    for counts in [
        &mut scratch.internal,
        &mut scratch.dropping,
        &mut scratch.strong,
    ] {
        counts.clear();
        counts.resize(total, 0);
    }
    scratch.fixup.clear();
    scratch.fixup.resize(total.div_ceil(64), 0);
    scratch.worklist.clear();

    // 1. Subtract, over the objects of S: allocated and not premarked (old
    // objects in a minor collection are). Zombies are marked so that they are
    // neither roots nor dead.
    let mut zombies = Vec::new();
    {
        // SAFETY: the scratch buffers are borrowed for this block only.
        let mut visitor = unsafe { Visitor::new(Pass::Subtract, epoch, minor, scratch.counters()) };
        for &page in &pages {
            let slot_size = page.slot_size();
            let base = page.scratch_base();
            for w in 0..page.bitmap_words() {
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
                        page.test_and_mark(index);
                        if header.weak() == 0 {
                            zombies.push((page, index));
                        }
                        continue;
                    }
                    scratch.strong[base + index] = header.strong();
                    if let Some(trace) = header.vtable().trace {
                        visitor.set_current(base + index, drops & (1 << bit) != 0);
                        // SAFETY: a live object of this vtable's type, traced
                        // with its slot size.
                        unsafe { trace(object.cast(), slot_size, &mut visitor) };
                    }
                }
            }
        }
    }
    phases.subtract = started.elapsed();

    // 2. Roots, and 3. mark. Whether an object is traceable is checked when
    // it is popped, where its header is loaded anyway.
    let mark_start = Instant::now();
    for &page in &pages {
        let base = page.scratch_base();
        for w in 0..page.bitmap_words() {
            let mut bits = page.alloc_word(w).load(Relaxed) & !page.mark_word(w).load(Relaxed);
            while bits != 0 {
                let index = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if scratch.strong[base + index] > scratch.internal[base + index] {
                    page.test_and_mark(index);
                    scratch.worklist.push(page.slot(index).cast());
                }
            }
        }
    }
    // Handle slots are roots too (the other explicit root sources join here).
    if let Some(tcb) = tcb {
        tcb.with_handles(|handles| {
            handles.for_each_root(|object| {
                // SAFETY: a handle slot roots a live object of this thread's heap.
                let page = unsafe { PagePtr::of_object(object.cast()) };
                let index = page.slot_index(object.cast());
                let in_set = page.epoch() == epoch && !(minor && page.is_old(index));
                if in_set && !page.test_and_mark(index) {
                    scratch.worklist.push(object);
                }
            })
        });
    }
    {
        // SAFETY: the scratch buffers are borrowed for this block only.
        let mut visitor = unsafe { Visitor::new(Pass::Mark, epoch, minor, scratch.counters()) };
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
    }
    phases.mark = mark_start.elapsed();

    // 4. Fix up.
    let fix_start = Instant::now();
    let mut dead_pages = Vec::new();
    let mut dead_objects = 0;
    let mut needs_trace = Vec::new();
    for &page in &pages {
        let base = page.scratch_base();
        let mut any = false;
        for w in 0..page.bitmap_words() {
            let alloc = page.alloc_word(w).load(Relaxed);
            let marked = page.mark_word(w).load(Relaxed);
            // Live objects: give back what dead, undropped objects held.
            let mut live = alloc & marked;
            while live != 0 {
                let index = w * 64 + live.trailing_zeros() as usize;
                live &= live - 1;
                let s = base + index;
                let give_back = scratch.internal[s].saturating_sub(scratch.dropping[s]);
                if give_back > 0 {
                    // SAFETY: allocated, initialised, live.
                    unsafe { GcHeader::from_ptr(page.slot(index)) }.sub_strong(give_back);
                }
            }
            let dead = alloc & !marked;
            // From here on the mark word holds the dead bits.
            page.mark_word(w).store(dead, Relaxed);
            if dead == 0 {
                continue;
            }
            any = true;
            dead_objects += dead.count_ones() as usize;
            // Flag the dead objects a `Weak` may reach (all of them in debug
            // builds, to catch dereferences of dead objects).
            let mut flag = if cfg!(debug_assertions) {
                dead
            } else {
                dead & page.weak_word(w).load(Relaxed)
            };
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
        if any {
            dead_pages.push(page);
        }
    }
    if !needs_trace.is_empty() {
        // SAFETY: the scratch buffers are borrowed for this block only.
        let mut visitor = unsafe { Visitor::new(Pass::FixUp, epoch, minor, scratch.counters()) };
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
    }
    // Survivors are promoted, only now: the fix-up trace above must see the
    // same S as the subtract pass, or it would take a young survivor for an
    // old object and give back its count a second time.
    for &page in &pages {
        for w in 0..page.bitmap_words() {
            let dead = page.mark_word(w).load(Relaxed);
            page.old_word(w)
                .store(page.alloc_word(w).load(Relaxed) & !dead, Relaxed);
        }
    }
    phases.fix_up = fix_start.elapsed();
    // The collection can no longer be abandoned: everything allocated from
    // now on is young again.
    heap.take_young();
    let visited = pages.clone();
    heap.scratch.pages = pages;
    SweepPlan {
        pages: dead_pages,
        visited,
        zombies,
        dead_objects,
        minor,
        started,
        phases,
    }
}

/// The 64 bits of `bits` starting at bit `start` (which need not be aligned).
#[inline]
fn scratch_bits(bits: &[u64], start: usize) -> u64 {
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

/// Step 5: runs the destructor of every dead value that has one, then frees
/// the small slots no `Weak` points to. Returns the bytes freed and the first
/// destructor panic, to be resumed once the heap is consistent.
fn sweep_values(pages: &[PagePtr]) -> (usize, Option<Box<dyn core::any::Any + Send>>) {
    let mut first_panic = None;
    for &page in pages {
        let slot_size = page.slot_size();
        for w in 0..page.bitmap_words() {
            let mut bits = page.mark_word(w).load(Relaxed) & page.drop_word(w).load(Relaxed);
            while bits != 0 {
                let index = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let object = page.slot(index);
                // SAFETY: a dead object found by this collection, value intact.
                let header = unsafe { GcHeader::from_ptr(object) };
                if let Some(drop_value) = header.vtable().drop {
                    // SAFETY: each dead value is dropped exactly once, here.
                    let result = catch_unwind(AssertUnwindSafe(|| unsafe {
                        drop_value(object.cast(), slot_size)
                    }));
                    if let Err(payload) = result {
                        first_panic.get_or_insert(payload);
                    }
                }
            }
        }
    }
    // Every destructor has run: no dead header is needed any more.
    let mut freed_bytes = 0;
    for &page in pages {
        if page.kind() == PageKind::Large {
            // Freed by `free_phase`, which may release the allocation.
            continue;
        }
        for w in 0..page.bitmap_words() {
            let dead = page.mark_word(w).load(Relaxed);
            if dead == 0 {
                continue;
            }
            // Objects that never had a `Weak` are freed without a look; the
            // others become zombies while their weak count is non-zero.
            let mut free = dead;
            let mut weak = dead & page.weak_word(w).load(Relaxed);
            while weak != 0 {
                let index = w * 64 + weak.trailing_zeros() as usize;
                weak &= weak - 1;
                // SAFETY: the slot still holds the (dead) header.
                if unsafe { GcHeader::from_ptr(page.slot(index)) }.weak() != 0 {
                    free &= !(1 << (index % 64));
                }
            }
            freed_bytes += free.count_ones() as usize * page.slot_size();
            // Only this (the owner) thread writes allocated bits (heap rule 1);
            // destructors may have allocated in this word, so clear only the
            // freed bits.
            page.free_bits(w, free);
            page.mark_word(w).store(0, Relaxed);
        }
    }
    (freed_bytes, first_panic)
}

/// Frees large dead objects and zombies whose last `Weak` is gone, then
/// does the bookkeeping.
fn free_phase(heap: &mut LocalHeap, plan: SweepPlan, mut freed_bytes: usize, sweep_start: Instant) {
    let mut freed_large = Vec::new();
    for &page in &plan.pages {
        if page.kind() == PageKind::Large && page.mark_word(0).swap(0, Relaxed) != 0 {
            // SAFETY: the slot still holds the (dead) header.
            if unsafe { GcHeader::from_ptr(page.slot(0)) }.weak() == 0 {
                freed_large.push(page);
            }
        }
    }
    for &(page, index) in &plan.zombies {
        if page.kind() == PageKind::Large {
            freed_large.push(page);
        } else {
            page.free_bits(index / 64, 1 << (index % 64));
            freed_bytes += page.slot_size();
        }
    }
    if !freed_large.is_empty() {
        let doomed: std::collections::HashSet<PagePtr> = freed_large.iter().copied().collect();
        heap.large.retain(|p| !doomed.contains(p));
        heap.young.retain(|p| !doomed.contains(p));
        for page in freed_large {
            freed_bytes += page.alloc_size();
            // SAFETY: the page's only object is dead with no weak reference,
            // and the heap no longer lists it.
            unsafe { chunk::free_large(page) };
        }
    }
    let allocated_objects = heap.objects_since_gc;
    let allocated_bytes = heap.allocated_since_gc;
    heap.used_bytes = heap.used_bytes.saturating_sub(freed_bytes);
    heap.used_objects = heap.used_objects.saturating_sub(plan.dead_objects);
    if plan.minor {
        heap.after_minor(&plan.visited);
    } else {
        let empty = heap.after_major();
        chunk::release_pages(&empty);
    }
    let (live_objects, live_bytes) = (heap.used_objects, heap.used_bytes);
    heap.allocated_since_gc = 0;
    heap.objects_since_gc = 0;
    heap.collecting = false;

    let mut phases = plan.phases;
    phases.sweep = sweep_start.elapsed();
    let pause: Duration = plan.started.elapsed();
    stats::record_collection(stats::CollectionRecord {
        minor: plan.minor,
        pause,
        phases,
        allocated_bytes,
        allocated_objects,
        freed_objects: plan.dead_objects,
        freed_bytes,
        live_objects,
        live_bytes,
    });
}
