//! Minor (young-generation) collections: what they free, what they keep, and
//! that they agree with major collections.

use std::cell::Cell;
use std::rc::Rc;

use rudo_gc::{Gc, GcCell, Trace, Weak, collect, collect_minor};

#[derive(Trace)]
struct Node {
    next: GcCell<Option<Gc<Node>>>,
    see_also: GcCell<Vec<Weak<Node>>>,
    drops: Rc<Cell<usize>>,
    #[gc(skip)]
    id: usize,
}

// A destructor only to count drops: it touches no `Gc`.
#[derive(Trace)]
#[gc(unsafe_drop)]
struct Counted {
    drops: Rc<Cell<usize>>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

fn node(drops: &Rc<Cell<usize>>, id: usize) -> Gc<Node> {
    Gc::new(Node {
        next: GcCell::new(None),
        see_also: GcCell::new(Vec::new()),
        drops: drops.clone(),
        id,
    })
}

#[test]
fn minor_collection_frees_young_garbage_and_keeps_old_objects() {
    let drops = Rc::new(Cell::new(0));
    let old = Gc::new(Counted {
        drops: drops.clone(),
    });
    collect_minor(); // `old` survives once: still young
    let young = Gc::downgrade(&Gc::new(Counted {
        drops: drops.clone(),
    }));
    collect_minor();
    assert!(young.upgrade().is_none());
    assert_eq!(drops.get(), 1);
    drop(old);
    collect_minor(); // old garbage waits for a major collection
    assert_eq!(drops.get(), 1);
    collect();
    assert_eq!(drops.get(), 2);
}

#[test]
fn a_young_survivor_stays_young_for_one_more_minor_collection() {
    let drops = Rc::new(Cell::new(0));
    let counted = || {
        Gc::new(Counted {
            drops: drops.clone(),
        })
    };
    // Survives one minor collection, then dies: a minor one frees it (its
    // page is visited although nothing was allocated into it since).
    let once = counted();
    collect_minor();
    drop(once);
    collect_minor();
    assert_eq!(
        drops.get(),
        1,
        "an object that survived once is still young"
    );
    // Survives two: promoted, so only a major collection frees it.
    let twice = counted();
    collect_minor();
    drop(Gc::new(0_u8)); // a change, or the next collection is skipped
    collect_minor();
    drop(twice);
    collect_minor();
    assert_eq!(drops.get(), 1, "an object that survived twice is old");
    collect();
    assert_eq!(drops.get(), 2);
    // A major collection promotes every survivor at once.
    let major = counted();
    collect();
    drop(major);
    collect_minor();
    assert_eq!(drops.get(), 2, "a survivor of a major collection is old");
    collect();
    assert_eq!(drops.get(), 3);
}

#[test]
fn a_survivor_referenced_from_a_promoted_object_stays_alive() {
    // `parent` is promoted while `child` (allocated later) has survived only
    // once: the old parent's edge keeps the young child a root.
    let drops = Rc::new(Cell::new(0));
    let parent = node(&drops, 1);
    collect_minor();
    let child = node(&drops, 2);
    let weak = Gc::downgrade(&child);
    *parent.next.borrow_mut() = Some(child);
    collect_minor(); // parent promoted, child survived once
    drop(Gc::new(0_u8)); // a change, or the next collection is skipped
    collect_minor(); // child promoted
    assert_eq!(parent.next.borrow().as_ref().map(|c| c.id), Some(2));
    assert!(weak.upgrade().is_some());
    drop(parent);
    collect_minor(); // both old now: a minor collection keeps them
    assert!(weak.upgrade().is_some());
    collect();
    assert!(weak.upgrade().is_none());
}

#[test]
fn young_object_referenced_only_by_an_old_one_survives() {
    // The old object's reference is counted but not subtracted: the count is
    // the remembered set, no write barrier needed.
    let drops = Rc::new(Cell::new(0));
    let old = node(&drops, 0);
    collect_minor();
    *old.next.borrow_mut() = Some(node(&drops, 1));
    collect_minor();
    collect_minor();
    assert_eq!(old.next.borrow().as_ref().unwrap().id, 1);
    collect();
    assert_eq!(old.next.borrow().as_ref().unwrap().id, 1);
}

#[test]
fn dead_young_object_with_weak_edge_to_young_survivor_is_given_back_once() {
    // Regression: a dead young object that needs the fix-up trace (it holds a
    // `Weak`) points to a young survivor; promoting the survivor before the
    // fix-up trace made the trace treat it as old and give its count back a
    // second time.
    let drops = Rc::new(Cell::new(0));
    let survivor = node(&drops, 1);
    let doomed = node(&drops, 2);
    *doomed.next.borrow_mut() = Some(survivor.clone());
    doomed.see_also.borrow_mut().push(Gc::downgrade(&survivor));
    drop(doomed);
    collect_minor();
    assert_eq!(Gc::ref_count(&survivor), 1);
    assert_eq!(Gc::weak_count(&survivor), 0);
    collect();
    assert_eq!(Gc::ref_count(&survivor), 1);
}

#[test]
fn dead_young_object_pointing_to_old_object_gives_its_count_back() {
    let drops = Rc::new(Cell::new(0));
    let old = node(&drops, 1);
    collect_minor();
    let doomed = node(&drops, 2);
    *doomed.next.borrow_mut() = Some(old.clone());
    assert_eq!(Gc::ref_count(&old), 2);
    drop(doomed);
    collect_minor();
    assert_eq!(Gc::ref_count(&old), 1);
}

#[test]
fn interleaved_minor_and_major_collections_agree_with_reachability() {
    // A ring of rings: every round replaces one ring, cross-linked weakly and
    // strongly to its neighbours; minor and major collections interleave.
    const RINGS: usize = 8;
    const ROUNDS: usize = if cfg!(miri) { 12 } else { 300 };
    let drops = Rc::new(Cell::new(0));
    let make_ring = |first_id: usize| {
        let nodes: Vec<Gc<Node>> = (0..5).map(|i| node(&drops, first_id + i)).collect();
        for i in 0..5 {
            *nodes[i].next.borrow_mut() = Some(nodes[(i + 1) % 5].clone());
        }
        nodes[0].clone()
    };
    let holder = node(&drops, usize::MAX);
    let mut rings: Vec<Gc<Node>> = (0..RINGS).map(|r| make_ring(r * 5)).collect();
    let mut replaced: Vec<Weak<Node>> = Vec::new();
    for round in 0..ROUNDS {
        let slot = round % RINGS;
        let fresh = make_ring(1000 + round * 5);
        fresh
            .see_also
            .borrow_mut()
            .push(Gc::downgrade(&rings[(slot + 1) % RINGS]));
        *holder.next.borrow_mut() = Some(fresh.clone());
        replaced.push(Gc::downgrade(&rings[slot]));
        rings[slot] = fresh;
        match round % 5 {
            0 => collect(),
            1 | 3 => collect_minor(),
            _ => {}
        }
        for ring in &rings {
            // Walk the ring: five nodes, back to the start.
            let mut n = ring.clone();
            for _ in 0..5 {
                let next = n.next.borrow().clone().unwrap();
                n = next;
            }
            assert!(Gc::ptr_eq(&n, ring));
        }
    }
    drop(rings);
    collect();
    // Only the ring `holder` points to is still alive.
    let alive = replaced.iter().filter(|w| w.upgrade().is_some()).count();
    assert_eq!(alive, 0, "{alive} replaced rings survived");
    assert!(holder.next.borrow().is_some());
}
