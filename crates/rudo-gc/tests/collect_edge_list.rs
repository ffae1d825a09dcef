//! Collections that mark over the edge list their subtract pass recorded
//! (`gc::edges`, forced here with the test hook), finding roots in one
//! counter array (`internal - strong`) and making the fix-up's counts from
//! the dead sources' edges, on mostly live and mostly dead heaps; and
//! collections whose list outgrew its bound and which count again without
//! one. Either way, exactly the garbage is freed, each destructor runs
//! once, and the survivors' counts come out right: they die when their last
//! handle goes, neither earlier nor never.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::{Mutex, MutexGuard, PoisonError};

use common::collect_now;
use rudo_gc::__private::{edge_list_marks, set_edge_list_limit, set_edge_recording};
use rudo_gc::{Gc, GcCell, Trace, Weak, collect_minor};

/// Held by each test: the list bound is process-wide, and a test that
/// lowers it must not make another's lists unusable.
static SERIAL: Mutex<()> = Mutex::new(());

/// Forces recording and takes `SERIAL`; returns the guard and the walks so
/// far, for `walked`.
fn recording() -> (MutexGuard<'static, ()>, usize) {
    let serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    set_edge_recording(Some(true));
    (serial, edge_list_marks())
}

/// Checks that a mark pass walked an edge list since `recording` returned
/// `marks_before`.
fn walked(marks_before: usize) {
    assert!(
        edge_list_marks() > marks_before,
        "no mark pass walked an edge list"
    );
}

/// A node with a destructor (its edges count as `dropping`).
#[derive(Trace)]
#[gc(unsafe_drop)]
struct Dropping {
    next: GcCell<Option<Gc<Dropping>>>,
    into_live: GcCell<Option<Gc<Dropping>>>,
    #[gc(skip)]
    drops: Rc<Cell<usize>>,
}

impl Drop for Dropping {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

/// A node without a destructor of its own (its references into the heap
/// are given back by the collector, in bulk).
#[derive(Trace)]
struct Plain {
    next: GcCell<Option<Gc<Plain>>>,
    into_live: GcCell<Option<Gc<Plain>>>,
}

/// Builds `live` nodes in a chain held by handles and `dead` nodes in an
/// unreachable ring, each dead node pointing at a live one as well; then
/// checks one collection frees the ring only, and a second one, after the
/// handles are gone, the chain.
fn garbage_next_to_a_live_heap<T: Trace + 'static>(
    live: usize,
    dead: usize,
    node: impl Fn() -> Gc<T>,
    next: impl Fn(&T) -> &GcCell<Option<Gc<T>>>,
    into_live: impl Fn(&T) -> &GcCell<Option<Gc<T>>>,
) {
    let chain: Vec<Gc<T>> = (0..live).map(|_| node()).collect();
    for pair in chain.windows(2) {
        *next(&pair[0]).borrow_mut() = Some(pair[1].clone());
    }
    let ring: Vec<Gc<T>> = (0..dead).map(|_| node()).collect();
    for (i, n) in ring.iter().enumerate() {
        *next(n).borrow_mut() = Some(ring[(i + 1) % dead].clone());
        *into_live(n).borrow_mut() = Some(chain[(i * 7) % live].clone());
    }
    let ring_weak: Vec<Weak<T>> = ring.iter().map(Gc::downgrade).collect();
    drop(ring);
    collect_now();
    assert!(
        ring_weak.iter().all(|w| w.upgrade().is_none()),
        "the ring is garbage"
    );
    let chain_weak: Vec<Weak<T>> = chain.iter().map(Gc::downgrade).collect();
    for (i, w) in chain_weak.iter().enumerate() {
        let n = w.upgrade().expect("the chain is alive");
        assert_eq!(
            Gc::ref_count(&n),
            if i == 0 { 2 } else { 3 },
            "node {i}: its handle, this upgrade, and its predecessor's edge"
        );
    }
    // Again, with the counts the first collection gave back.
    collect_now();
    assert!(chain_weak.iter().all(|w| w.upgrade().is_some()));
    drop(chain);
    collect_now();
    assert!(
        chain_weak.iter().all(|w| w.upgrade().is_none()),
        "the chain dies with its handles"
    );
}

impl Dropping {
    fn new(drops: &Rc<Cell<usize>>) -> Gc<Dropping> {
        Gc::new(Dropping {
            next: GcCell::new(None),
            into_live: GcCell::new(None),
            drops: drops.clone(),
        })
    }
}

fn dropping_nodes(live: usize, dead: usize) {
    let (_serial, marks) = recording();
    let drops = Rc::new(Cell::new(0));
    let node = || Dropping::new(&drops);
    garbage_next_to_a_live_heap(live, dead, node, |n| &n.next, |n| &n.into_live);
    assert_eq!(drops.get(), live + dead, "every destructor ran once");
    walked(marks);
}

fn plain_node() -> Gc<Plain> {
    Gc::new(Plain {
        next: GcCell::new(None),
        into_live: GcCell::new(None),
    })
}

fn plain_nodes(live: usize, dead: usize) {
    let (_serial, marks) = recording();
    garbage_next_to_a_live_heap(live, dead, plain_node, |n| &n.next, |n| &n.into_live);
    walked(marks);
}

/// Lowers the list bound to `edges` until dropped.
struct Limit(usize);

impl Limit {
    fn set(edges: usize) -> Limit {
        Limit(set_edge_list_limit(Some(edges)))
    }
}

impl Drop for Limit {
    fn drop(&mut self) {
        set_edge_list_limit(Some(self.0));
    }
}

/// A list that outgrows its bound leaves the recording pass's counters
/// (`internal - strong`, no snapshot) unusable to a tracing mark pass: the
/// collection counts again without recording, and frees the same garbage.
#[test]
fn a_list_too_long_to_use() {
    let (_serial, marks) = recording();
    let _limit = Limit::set(1);
    let drops = Rc::new(Cell::new(0));
    let node = || Dropping::new(&drops);
    garbage_next_to_a_live_heap(MANY, FEW, node, |n| &n.next, |n| &n.into_live);
    assert_eq!(drops.get(), MANY + FEW, "every destructor ran once");
    garbage_next_to_a_live_heap(FEW, MANY, plain_node, |n| &n.next, |n| &n.into_live);
    assert_eq!(
        edge_list_marks(),
        marks,
        "a mark pass walked a list longer than the bound"
    );
}

const MANY: usize = if cfg!(miri) { 300 } else { 3_000 };
const FEW: usize = 10;

// The tracing mark pass is what the rest of the suite mostly runs (minor
// collections never record unless forced), under the same checks.

#[test]
fn a_mostly_live_heap_with_destructors() {
    dropping_nodes(MANY, FEW);
}

#[test]
fn a_mostly_dead_heap_with_destructors() {
    dropping_nodes(FEW, MANY);
}

#[test]
fn a_mostly_live_heap_without_destructors() {
    plain_nodes(MANY, FEW);
}

#[test]
fn a_mostly_dead_heap_without_destructors() {
    plain_nodes(FEW, MANY);
}

/// A minor collection records too when forced: a young ring is freed, a
/// young chain held by handles survives and is promoted with the right
/// counts.
#[test]
fn a_minor_collection_over_the_edge_list() {
    let (_serial, marks) = recording();
    let drops = Rc::new(Cell::new(0));
    let node = || Dropping::new(&drops);
    let kept: Vec<Gc<Dropping>> = (0..FEW).map(|_| node()).collect();
    let ring: Vec<Gc<Dropping>> = (0..FEW).map(|_| node()).collect();
    for (i, n) in ring.iter().enumerate() {
        *n.next.borrow_mut() = Some(ring[(i + 1) % FEW].clone());
        *n.into_live.borrow_mut() = Some(kept[i].clone());
    }
    let gone = Gc::downgrade(&ring[0]);
    drop(ring);
    collect_minor();
    walked(marks);
    assert!(gone.upgrade().is_none(), "the young ring is garbage");
    assert_eq!(drops.get(), FEW);
    assert!(kept.iter().all(|n| Gc::ref_count(n) == 1));
    drop(kept);
    collect_now();
    assert_eq!(drops.get(), 2 * FEW);
}
