//! Running a collection: one at a time, with the world stopped only for the
//! trace (architecture, sections 3-5).
//!
//! 1. The requesting thread drops its own pending values (their references
//!    would keep their targets alive through this collection), then takes
//!    the collection lock. If a collection that
//!    would have found the same garbage started while it waited, it stops
//!    there: a thread that needs a collection while another runs waits for
//!    it instead of starting its own.
//! 2. It stops the world (`mutator::handshake`): no thread is inside a heap
//!    operation until step 4.
//! 3. Trial deletion over every thread's pages and the orphans, and the
//!    fix-up (`gc::phases`). Dead objects with no destructor are freed on
//!    the spot, whichever thread owns them; the others become *pending*.
//! 4. It releases the world and the lock, then drops its own thread's
//!    pending values and those of orphan pages (`gc::sweep`). Every other
//!    thread drops its own at its next allocation, in
//!    [`sweep_pending`](crate::sweep_pending), or when it exits.
//!
//! Re-entrancy: a collection requested from `Trace::trace` is skipped (the
//! thread has the `Collecting` role, held from the lock to the release of
//! the world); a heap operation from `Trace::trace` panics (the thread holds
//! the world stopped and would wait for itself). Destructors run outside the
//! role: what they allocate spends the budget and starts collections like
//! any other code, and the sweeps those start nest (`gc::sweep`).
//!
//! A panic in `Trace::trace` during the trace abandons the collection: the
//! world and the lock are released, nothing but scratch state changed, and
//! the next request runs a full collection.

use std::time::{Duration, Instant};

use parking_lot::{Mutex, MutexGuard};

use super::phases::{self, Scratch};
use super::{config, stats, sweep, telemetry};
use crate::heap::chunk;
use crate::heap::local::LocalHeap;
use crate::heap::orphans::ORPHANS;
use crate::heap::tcb;
use crate::mutator::{self, Role, WORLD};
use crate::sync::raw::{AtomicU64, Ordering::Relaxed};

/// Why a collection was requested.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Trigger {
    /// `collect()`: a major collection, skipped when nothing changed since the
    /// last major collection.
    Explicit,
    /// `collect_minor()`: a minor collection, skipped when nothing changed
    /// since the last collection.
    ExplicitMinor,
    /// A thread spent its young allocation budget: minor, or major if the
    /// heap grew by the growth factor since the last major collection.
    Budget,
    /// The same, run at a `safepoint()` (with `GcConfig::automatic(false)`,
    /// where allocation only notes that a collection is due).
    Safepoint,
    /// A thread is exiting: always a major collection.
    ThreadExit,
}

/// State kept from one collection to the next, under the collection lock.
pub(crate) struct CollectorState {
    scratch: Scratch,
    /// Something changed since the last major collection.
    changed_since_major: bool,
    /// Evidence of acyclic garbage since the last major collection
    /// (`config::wants_major`).
    zeroed_since_major: bool,
    /// Bytes in use after the last major collection (all of it old then).
    old_after_major: usize,
    /// The old generation's size as far as the collector knows: what the
    /// last major collection left plus what minor collections promoted since
    /// (old objects that died since are in it until the next major one).
    old_bytes: usize,
    /// Pacing: the last collection blocked mutators, so the world stays open
    /// until then (see `pace`).
    open_until: Option<Instant>,
}

/// The longest a collection keeps the world open for the mutators the
/// previous one blocked.
const MAX_PACE: Duration = Duration::from_millis(20);

/// Pacing without idling, for budget collections: until this instant
/// (nanoseconds since `pace_epoch()`, 0 for none) a budget collection is
/// deferred instead of slept for; its thread keeps allocating past its
/// budget and asks again at its next allocation slow path. Written by the
/// collection that set `open_until`, with the lock held; read without it.
/// Relaxed: a hint about time, read and written whole; a stale value only
/// defers one budget collection by one slow path, or runs it a little early
/// (and `pace` then sleeps as before).
static OPEN_UNTIL_NANOS: AtomicU64 = AtomicU64::new(0);

/// The origin of `OPEN_UNTIL_NANOS`.
fn pace_epoch() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Nanoseconds from `pace_epoch()` to `at` (saturating).
fn pace_nanos(at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(pace_epoch()).as_nanos()).unwrap_or(u64::MAX)
}

/// Whether a budget collection requested now should wait for the world to
/// have been open long enough (`OPEN_UNTIL_NANOS`): not once the thread has
/// allocated twice its budget since the last collection, which bounds what
/// deferring costs in memory (then `pace` sleeps, as for other triggers).
pub(crate) fn defer_budget_collection() -> bool {
    let until = OPEN_UNTIL_NANOS.load(Relaxed);
    until != 0
        && pace_nanos(Instant::now()) < until
        && mutator::heap_op(|m| {
            // SAFETY: inside a heap operation on the owner thread (access
            // rule of `mutator::record`).
            let heap = unsafe { m.heap() };
            heap.allocated_since_gc < 2 * config::young_budget()
        })
}

/// Pacing: after a collection that blocked mutators (they waited at the gate
/// while it traced), the next one starts no sooner than that pause later,
/// capped at `MAX_PACE`. Otherwise a thread collecting back to back (a loop
/// of `collect()`, or one allocation-heavy thread spending its budget over
/// and over) keeps the world stopped nearly all the time: the mutators it
/// blocks get one heap operation per collection. With pacing they get at
/// least half the time whenever they contend; uncontended collections are
/// never delayed.
///
/// A collection the allocation budget asked for does not sleep: it is
/// deferred (`defer_budget_collection`) and the thread goes on allocating
/// past its budget (up to twice its budget), so the collector's core keeps
/// working for the program while the mutators it blocked catch up. Two threads allocating short-lived
/// trees beside a shared one ran at 0.73x-0.86x the wall time with 7% more
/// peak RSS (`workload two_threads gc 16`; `docs/architecture.md`,
/// "Pacing"). Explicit and thread-exit collections must run now, so they
/// sleep.
fn pace(state: &mut CollectorState) {
    if let Some(until) = state.open_until.take() {
        let now = Instant::now();
        if until > now {
            std::thread::sleep(until - now);
        }
    }
}

/// The collection lock: held from the decision to collect until the world is
/// released. Also taken by heap operations of threads that already exited
/// (`mutator::current`).
static COLLECTOR: Mutex<CollectorState> = Mutex::new(CollectorState {
    scratch: Scratch::new(),
    changed_since_major: false,
    zeroed_since_major: false,
    old_after_major: 0,
    old_bytes: 0,
    open_until: None,
});
/// Collections started (any kind), and major collections started.
static STARTED: AtomicU64 = AtomicU64::new(0);
static STARTED_MAJOR: AtomicU64 = AtomicU64::new(0);

/// Collections started so far (incremented with the world stopped).
pub(crate) fn started() -> u64 {
    STARTED.load(Relaxed)
}

/// Takes the collection lock: no collection runs while it is held.
pub(crate) fn collection_lock() -> MutexGuard<'static, CollectorState> {
    COLLECTOR.lock()
}

/// Runs a collection for `trigger`, then drops the calling thread's pending
/// values. Returns whether a collection ran.
///
/// Must not be called inside a heap operation.
pub(crate) fn run(trigger: Trigger) -> bool {
    if Role::Collecting.is_set() {
        return false; // from `Trace::trace`, inside this thread's collection
    }
    // First drop this thread's values left by earlier collections: their
    // references are counts from outside the heap, which would keep what they
    // point to alive through this collection.
    sweep::sweep_own_if_registered();
    let collecting = Role::Collecting
        .take()
        .expect("destructors give the role back before they return");
    let seen = STARTED.load(Relaxed);
    let seen_major = STARTED_MAJOR.load(Relaxed);
    // Inside a mutator section the thread is at a safepoint while it waits
    // for the lock and collects: it would otherwise wait for itself, and a
    // collector holding the lock would wait for it.
    let ran = mutator::section::while_suspended(|| {
        let mut state = COLLECTOR.lock();
        // A collection started after the request and finished while we
        // waited for the lock: it found everything this one would.
        let superseded = match trigger {
            Trigger::Budget | Trigger::Safepoint | Trigger::ExplicitMinor => {
                STARTED.load(Relaxed) != seen
            }
            Trigger::Explicit | Trigger::ThreadExit => STARTED_MAJOR.load(Relaxed) != seen_major,
        };
        !superseded && collect_locked(&mut state, trigger)
    });
    // Destructors run without the role: their allocations keep the budget
    // working (a destructor that makes garbage in a loop is collected).
    drop(collecting);
    sweep::sweep_after_collection();
    ran
}

/// What `with_world_stopped` lends its closure.
pub(crate) struct StoppedHeap<'a> {
    /// The running threads' records, aligned with `heaps`.
    pub(crate) mutators: &'a [std::sync::Arc<mutator::Mutator>],
    /// Their heaps.
    pub(crate) heaps: &'a [&'a mut LocalHeap],
    /// The pages of exited threads.
    pub(crate) orphans: &'a crate::heap::orphans::Orphans,
    /// The handle-slot areas (locked, as for a collection).
    pub(crate) areas: &'a tcb::Areas,
}

/// Runs `f` with the world stopped and the collection lock held, as a
/// collection does (for `heap::census` and `heap::write_snapshot`). `f`
/// must not use the heap; it may run `Trace` impls (with the world stopped,
/// as the collector does, so heap use there panics instead of waiting).
/// Returns `None` when called from `Trace::trace` (inside this thread's own
/// collection).
///
/// Must not be called inside a heap operation.
pub(crate) fn with_world_stopped<R>(f: impl FnOnce(&StoppedHeap<'_>) -> R) -> Option<R> {
    let collecting = Role::Collecting.take()?;
    let result = mutator::section::while_suspended(|| {
        let _state = COLLECTOR.lock();
        let mut mutators = Vec::new();
        let world = StoppedWorld::stop(&mut mutators);
        // The same order as a collection: areas, then orphans.
        let areas = tcb::lock_areas();
        // SAFETY: the world is stopped until `world` is dropped (access rule
        // 2 of `mutator::record`), and each record appears once.
        let heaps: Vec<&mut LocalHeap> = mutators.iter().map(|m| unsafe { m.heap() }).collect();
        let orphans = ORPHANS.lock();
        let result = f(&StoppedHeap {
            mutators: &mutators,
            heaps: &heaps,
            orphans: &orphans,
            areas: &areas,
        });
        drop(orphans);
        drop(heaps);
        drop(areas);
        drop(world);
        result
    });
    drop(collecting);
    Some(result)
}

/// Holds the world stopped; releases it when dropped (also on unwind).
struct StoppedWorld {
    _tracing: mutator::RoleGuard,
}

impl StoppedWorld {
    fn stop(mutators: &mut Vec<std::sync::Arc<mutator::Mutator>>) -> StoppedWorld {
        WORLD.begin_stop();
        let tracing = Role::Tracing
            .take()
            .expect("the collecting thread does not hold the world already");
        // Registered after `begin_stop`: such threads cannot be in an
        // operation (handshake), so the snapshot is complete.
        *mutators = mutator::registered();
        for m in mutators.iter() {
            // A thread in a mutator section comes out at its next
            // safepoint, which this bit makes take its slow path.
            if WORLD.sees_section(&m.flag) {
                m.request(mutator::SECTION_YIELD);
            }
            WORLD.wait_idle(&m.flag);
        }
        StoppedWorld { _tracing: tracing }
    }
}

impl Drop for StoppedWorld {
    fn drop(&mut self) {
        WORLD.release();
    }
}

/// Marks the collection as not having happened if the trace unwinds.
struct AbandonGuard<'a>(&'a mut bool);

impl Drop for AbandonGuard<'_> {
    fn drop(&mut self) {
        *self.0 = true;
    }
}

fn collect_locked(state: &mut CollectorState, trigger: Trigger) -> bool {
    pace(state);
    // Entered before the world stops, recorded after it is released: a
    // subscriber's code never runs while the world is stopped.
    let span = telemetry::CollectionSpan::enter(trigger);
    let started = Instant::now();
    let mut mutators = Vec::new();
    let world = StoppedWorld::stop(&mut mutators);
    // Before any strong count is read (`heap::tcb` rule 3).
    let areas = tcb::lock_areas();
    // SAFETY: the world is stopped until `world` is dropped (access rule 2
    // of `mutator::record`), and each record appears once in the registry.
    let mut heaps: Vec<&mut LocalHeap> = mutators.iter().map(|m| unsafe { m.heap() }).collect();
    let mut dirty = mutator::take_teardown_dirty();
    // Teardown releases count as evidence too; and a conservative region's
    // words change without any release, so while one is registered every
    // collection has evidence.
    let mut zeroed = dirty;
    for (m, heap) in mutators.iter().zip(&heaps) {
        let (released, zero) = m.take_dirty();
        dirty |= released | (heap.allocated_since_gc > 0);
        zeroed |= zero || !m.regions.lock().is_empty();
    }
    state.zeroed_since_major |= zeroed;
    let minor = match trigger {
        Trigger::Explicit | Trigger::ThreadExit => false,
        Trigger::ExplicitMinor => true,
        Trigger::Budget | Trigger::Safepoint => !config::wants_major(
            state.old_bytes,
            state.old_after_major,
            state.zeroed_since_major,
        ),
    };
    // Skip when nothing changed since the last collection that would have
    // found the same garbage: any collection for a minor one, the last
    // major one for a major one (a minor collection never frees old
    // objects).
    state.changed_since_major |= dirty;
    let changed = if minor {
        dirty
    } else {
        state.changed_since_major
    };
    if !changed && trigger != Trigger::ThreadExit {
        drop(areas);
        drop(world);
        span.skipped();
        stats::record_skipped();
        return false;
    }
    STARTED.fetch_add(1, Relaxed);
    if !minor {
        STARTED_MAJOR.fetch_add(1, Relaxed);
        state.changed_since_major = false;
    }
    let mut orphans = ORPHANS.lock();
    let outcome = {
        let abandon = AbandonGuard(&mut state.changed_since_major);
        let outcome = phases::collect(
            &mut state.scratch,
            &mutators,
            &areas,
            &mut heaps,
            &mut orphans,
            minor,
        );
        core::mem::forget(abandon);
        outcome
    };
    // Before anything can drop a control block on this thread (the
    // `mutators` snapshot, at the end).
    drop(areas);
    // What was allocated since the last collection, counted after the
    // collection emptied the caches (`reset_caches` takes back the slots a
    // cache held but never handed out).
    let (allocated_bytes, allocated_objects) = heaps.iter().fold((0, 0), |(b, o), h| {
        (b + h.allocated_since_gc, o + h.objects_since_gc)
    });
    // Bookkeeping of every heap, still with the world stopped.
    let mut empty = Vec::new();
    for heap in &mut heaps {
        let young = heap.take_young();
        if minor {
            heap.after_minor(&young);
        } else {
            empty.extend(heap.after_major());
        }
        heap.allocated_since_gc = 0;
        heap.objects_since_gc = 0;
    }
    for (m, heap) in mutators.iter().zip(&heaps) {
        m.publish(heap);
    }
    if !minor {
        orphans.small.retain(|&page| {
            let keep = page.allocated_count() > 0;
            if !keep {
                empty.push(page);
            }
            keep
        });
    }
    drop(orphans);
    let live_bytes: usize = heaps.iter().map(|h| h.used_bytes).sum();
    if minor {
        state.old_bytes += outcome.promoted_bytes;
        state.zeroed_since_major |= outcome.zeroed;
    } else {
        state.old_after_major = live_bytes;
        state.old_bytes = live_bytes;
        // This collection found every garbage object there was when it
        // started; releases since are recorded for the next one.
        state.zeroed_since_major = outcome.zeroed;
    }
    drop(heaps);
    let blocked = WORLD.waiters() > 0;
    drop(world);
    let pause = started.elapsed();
    state.open_until = blocked.then(|| Instant::now() + pause.min(MAX_PACE));
    OPEN_UNTIL_NANOS.store(state.open_until.map_or(0, pace_nanos), Relaxed);
    chunk::release_pages(&empty);
    let record = stats::CollectionRecord {
        minor,
        pause,
        phases: outcome.phases,
        allocated_bytes,
        allocated_objects,
        freed_objects: outcome.dead_objects,
        freed_bytes: outcome.dead_bytes,
    };
    span.finished(telemetry::CollectionFields {
        record: &record,
        traced_objects: outcome.traced_objects,
        traced_bytes: outcome.traced_bytes,
        promoted_bytes: outcome.promoted_bytes,
    });
    stats::record_collection(record);
    true
}
