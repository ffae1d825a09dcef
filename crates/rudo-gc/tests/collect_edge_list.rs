//! Major collections mark over the edge list their subtract pass recorded
//! (`gc::edges`), and make the fix-up's counts one of two ways: by counting
//! the dead sources' edges afresh when the heap is mostly alive, or by
//! taking the live sources' edges off when it is mostly garbage. Either way
//! exactly the garbage is freed, each destructor runs once, and the
//! survivors' counts come out right: they die when their last handle goes,
//! neither earlier nor never.

mod common;

use std::cell::Cell;
use std::rc::Rc;

use common::collect_now;
use rudo_gc::{Gc, GcCell, Trace, Weak};

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

fn dropping_nodes(live: usize, dead: usize) {
    let drops = Rc::new(Cell::new(0));
    let node = || {
        Gc::new(Dropping {
            next: GcCell::new(None),
            into_live: GcCell::new(None),
            drops: drops.clone(),
        })
    };
    garbage_next_to_a_live_heap(live, dead, node, |n| &n.next, |n| &n.into_live);
    assert_eq!(drops.get(), live + dead, "every destructor ran once");
}

fn plain_nodes(live: usize, dead: usize) {
    let node = || {
        Gc::new(Plain {
            next: GcCell::new(None),
            into_live: GcCell::new(None),
        })
    };
    garbage_next_to_a_live_heap(live, dead, node, |n| &n.next, |n| &n.into_live);
}

const MANY: usize = if cfg!(miri) { 300 } else { 3_000 };
const FEW: usize = 10;

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
