//! The major-collection schedule and its evidence of acyclic garbage
//! (`gc::config::wants_major`): an old generation that grows only by live
//! objects (nothing released a last strong reference) waits longer for a
//! major collection; one that grows by garbage cycles alone still gets them,
//! and stays bounded; a release that takes a count to zero brings the normal
//! schedule back.
//!
//! The configuration and the statistics are process-wide, so the tests of
//! this file hold `SERIAL` and run one at a time; each starts from a full
//! collection.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use rudo_gc::{Gc, GcCell, GcConfig, Trace, collect, config, set_config, stats};

static SERIAL: Mutex<()> = Mutex::new(());

/// The young budget of these tests: small, so that a few hundred kilobytes
/// make several minor and major collections.
const BUDGET: usize = if cfg!(miri) { 4 << 10 } else { 64 << 10 };

/// Holds `SERIAL`, sets the small budget with the default growth factor, and
/// restores the configuration when dropped.
struct Schedule {
    saved: GcConfig,
    _serial: MutexGuard<'static, ()>,
}

impl Schedule {
    fn new() -> Schedule {
        let serial = SERIAL
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let saved = config();
        set_config(GcConfig::default().young_budget_bytes(BUDGET));
        assert_eq!(config().growth_factor, 1.5);
        collect();
        Schedule {
            saved,
            _serial: serial,
        }
    }
}

impl Drop for Schedule {
    fn drop(&mut self) {
        set_config(self.saved);
    }
}

/// Allocates `n` objects kept alive in a `Vec` (no count ever reaches zero);
/// if `drop_one_each` also allocates and drops one more per object (its
/// count reaches zero: evidence). Returns the major collections that ran,
/// and the kept objects.
fn grow(n: usize, drop_one_each: bool) -> (u64, Vec<Gc<[u64; 4]>>) {
    let before = stats().major_collections;
    let mut kept = Vec::with_capacity(n);
    for i in 0..n as u64 {
        kept.push(Gc::new([i; 4]));
        if drop_one_each {
            drop(Gc::new([i; 4]));
        }
    }
    (stats().major_collections - before, kept)
}

/// Objects of the growth tests: about 12 times the young budget of live
/// data, enough for several major collections on either schedule.
const GROWN: usize = 12 * BUDGET / 48;

#[test]
fn live_growth_waits_longer_for_a_major_collection() {
    let _schedule = Schedule::new();
    let (without, kept) = grow(GROWN, false);
    assert_eq!(kept.iter().map(|k| k[0]).sum::<u64>(), {
        let n = GROWN as u64;
        n * (n - 1) / 2
    });
    drop(kept);
    collect();
    let (with, kept) = grow(GROWN, true);
    drop(kept);
    collect();
    // 1.5 against 2.5 times the last major collection's live bytes: about
    // twice as many major collections where every object stays alive. (The
    // second run allocates twice the objects, but its extra ones die young
    // and never reach the old generation.)
    assert!(
        with > without,
        "{with} major collections with evidence of acyclic garbage, {without} without"
    );
    assert!(without >= 1, "the delayed schedule ran no major collection");
}

#[derive(Trace)]
struct Ring {
    next: GcCell<Option<Gc<Ring>>>,
    #[gc(skip)]
    id: usize,
}

/// A ring of two: its nodes refer to each other, and the returned `Gc` is
/// its only reference from outside.
fn ring(id: usize) -> Gc<Ring> {
    let a = Gc::new(Ring {
        next: GcCell::new(None),
        id,
    });
    let b = Gc::new(Ring {
        next: GcCell::new(Some(a.clone())),
        id,
    });
    *a.next.borrow_mut() = Some(b);
    a
}

#[test]
fn garbage_cycles_alone_are_still_collected_in_bounded_memory() {
    let _schedule = Schedule::new();
    // A window of rings, each alive long enough to be promoted, then
    // dropped: its external count goes from 2 to 1, never to zero, so the
    // old generation fills with garbage cycles and no evidence.
    const WINDOW: usize = 16 * BUDGET / 100;
    const ROUNDS: usize = if cfg!(miri) { 4 * WINDOW } else { 40 * WINDOW };
    let before = stats().major_collections;
    let live_before = stats().live_objects;
    let mut window = VecDeque::with_capacity(WINDOW);
    let mut max_heap = 0;
    for round in 0..ROUNDS {
        window.push_back(ring(round));
        if window.len() > WINDOW {
            let oldest = window.pop_front().expect("a full window");
            assert_eq!(oldest.id, round - WINDOW);
            drop(oldest);
        }
        if round % 64 == 0 {
            max_heap = max_heap.max(stats().heap_bytes);
        }
    }
    let majors = stats().major_collections - before;
    assert!(
        majors >= 2,
        "{majors} major collections freed the old cycles"
    );
    // The window is about 16 budgets of live rings; the delayed schedule
    // lets the old generation reach 2.5 times what the last major
    // collection left, plus a budget of young objects and page slack.
    let bound = (96 * BUDGET) as u64;
    assert!(
        max_heap < bound,
        "the heap grew to {max_heap} bytes (bound {bound})"
    );
    drop(window);
    collect();
    assert_eq!(
        stats().live_objects,
        live_before,
        "a ring outlived the test"
    );
}
