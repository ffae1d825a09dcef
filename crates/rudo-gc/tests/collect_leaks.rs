//! A wrong `Trace` that forgets a field can only leak, and `Weak` keeps
//! answering correctly for dead objects, even after their memory is reused.

use std::cell::Cell;
use std::rc::Rc;

use rudo_gc::{Gc, GcCell, Trace, Visitor, Weak, collect};

mod common;
use common::collect_now;

/// Repeated collections in tests that check survival over time (Miri runs
/// each collection slowly).
const ROUNDS: usize = if cfg!(miri) { 1 } else { 3 };

/// A leaf value that counts its drops.
struct Leaf {
    value: u64,
    drops: Rc<Cell<usize>>,
}

impl Drop for Leaf {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

// SAFETY: owns no `Gc`.
unsafe impl Trace for Leaf {
    fn trace(&self, _: &mut Visitor) {}
}

fn leaf(value: u64, drops: &Rc<Cell<usize>>) -> Gc<Leaf> {
    Gc::new(Leaf {
        value,
        drops: drops.clone(),
    })
}

/// Owns two `Gc`s but its `Trace` visits only `kept`.
struct SkipsAField {
    kept: Gc<Leaf>,
    skipped: Gc<Leaf>,
}

// SAFETY: visits fewer `Gc`s than owned (never more): allowed, it only leaks.
unsafe impl Trace for SkipsAField {
    fn trace(&self, v: &mut Visitor) {
        self.kept.trace(v);
    }
}

#[test]
fn skipped_field_target_outlives_its_owner_and_is_released_by_its_destructor() {
    let drops = Rc::new(Cell::new(0));
    let owner = Gc::new(SkipsAField {
        kept: leaf(1, &drops),
        skipped: leaf(2, &drops),
    });
    let kept = Gc::downgrade(&owner.kept);
    let skipped = Gc::downgrade(&owner.skipped);
    // While the owner lives, both targets live and are reachable through it.
    collect_now();
    assert_eq!(owner.kept.value + owner.skipped.value, 3);
    drop(owner);
    collect_now();
    assert!(
        kept.upgrade().is_none(),
        "the visited field's target dies with its owner"
    );
    // The unvisited `Gc` looked like an external reference, so its target
    // survived the collection that found the owner dead; the owner's
    // destructor then released it like any dropped `Gc`.
    let s = skipped
        .upgrade()
        .expect("the skipped target was freed in the same collection as its owner");
    assert_eq!(s.value, 2);
    assert_eq!(drops.get(), 1);
    drop(s);
    collect_now();
    assert!(skipped.upgrade().is_none(), "released after its owner died");
    assert_eq!(drops.get(), 2);
}

#[test]
fn skipped_field_target_is_kept_even_while_the_owner_is_alive_and_collected_often() {
    let drops = Rc::new(Cell::new(0));
    let owner = Gc::new(SkipsAField {
        kept: leaf(1, &drops),
        skipped: leaf(2, &drops),
    });
    for _ in 0..ROUNDS + 2 {
        collect_now();
        // Reached through the unvisited field: must be intact.
        assert_eq!(owner.skipped.value, 2);
    }
    assert_eq!(drops.get(), 0);
}

/// A ring node whose `Trace` can be told to skip its edge.
struct RingNode {
    next: GcCell<Option<Gc<RingNode>>>,
    skip: bool,
    drops: Rc<Cell<usize>>,
}

impl Drop for RingNode {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

// SAFETY: visits `next` at most once.
unsafe impl Trace for RingNode {
    fn trace(&self, v: &mut Visitor) {
        if !self.skip {
            self.next.trace(v);
        }
    }
}

#[test]
fn skipped_edge_in_a_cycle_keeps_the_whole_cycle_alive() {
    const LEN: usize = 5;
    let drops = Rc::new(Cell::new(0));
    let nodes: Vec<_> = (0..LEN)
        .map(|i| {
            Gc::new(RingNode {
                next: GcCell::new(None),
                skip: i == 2,
                drops: drops.clone(),
            })
        })
        .collect();
    for i in 0..LEN {
        *nodes[i].next.borrow_mut() = Some(nodes[(i + 1) % LEN].clone());
    }
    let weaks: Vec<_> = nodes.iter().map(Gc::downgrade).collect();
    drop(nodes);
    for _ in 0..ROUNDS {
        collect_now();
        assert!(weaks.iter().all(|w| w.upgrade().is_some()));
    }
    assert_eq!(drops.get(), 0);
    // The leaked ring is still intact: walk it once around.
    let start = weaks[0].upgrade().unwrap();
    let mut cur = start.clone();
    for _ in 0..LEN {
        let next = cur.next.borrow().clone().unwrap();
        cur = next;
    }
    assert!(Gc::ptr_eq(&cur, &start));
}

#[test]
fn upgrade_succeeds_until_a_collection_finds_the_object_dead() {
    let drops = Rc::new(Cell::new(0));
    let a = leaf(5, &drops);
    let w = Gc::downgrade(&a);
    drop(a);
    // No collection yet: the object is still there and may be resurrected.
    let again = w
        .upgrade()
        .expect("objects die at collections, not at count zero");
    assert_eq!(again.value, 5);
    collect();
    assert_eq!(drops.get(), 0, "the resurrected object is a root again");
    drop(again);
    collect();
    assert!(w.upgrade().is_none());
    assert_eq!(drops.get(), 1);
}

#[test]
fn weak_and_strong_counts() {
    let drops = Rc::new(Cell::new(0));
    let a = leaf(1, &drops);
    assert_eq!((Gc::ref_count(&a), Gc::weak_count(&a)), (1, 0));
    let w1 = Gc::downgrade(&a);
    let w2 = w1.clone();
    assert_eq!((Gc::ref_count(&a), Gc::weak_count(&a)), (1, 2));
    assert_eq!((w1.strong_count(), w1.weak_count()), (1, 2));
    let b = a.clone();
    assert_eq!(w2.strong_count(), 2);
    let c = w2.upgrade().unwrap();
    assert_eq!(w2.strong_count(), 3);
    drop((b, c));
    assert_eq!(w2.strong_count(), 1);
    drop(w2);
    assert_eq!((Gc::ref_count(&a), Gc::weak_count(&a)), (1, 1));
    drop(a);
    // Dead only after a collection.
    assert_eq!(w1.strong_count(), 0);
    collect();
    assert_eq!((w1.strong_count(), w1.weak_count()), (0, 1));
    let w3 = w1.clone();
    assert_eq!((w3.strong_count(), w3.weak_count()), (0, 2));
    assert!(Weak::ptr_eq(&w1, &w3));
    assert!(w3.upgrade().is_none());
}

#[test]
fn weak_new_points_to_nothing() {
    let w: Weak<u64> = Weak::new();
    assert!(w.upgrade().is_none());
    assert_eq!((w.strong_count(), w.weak_count()), (0, 0));
    let w2 = w.clone();
    assert!(Weak::ptr_eq(&w, &w2));
    assert!(Weak::<u64>::default().upgrade().is_none());
    let real = Gc::new(1_u64);
    assert!(!Weak::ptr_eq(&w, &Gc::downgrade(&real)));
    collect();
    assert!(w2.upgrade().is_none());
    assert_eq!(format!("{w:?}"), "(Weak)");
}

#[test]
fn weak_to_a_dead_object_stays_dead_after_its_memory_is_reused() {
    const CHURN: usize = if cfg!(miri) { 100 } else { 20_000 };
    let drops = Rc::new(Cell::new(0));
    let mut weaks: Vec<Weak<Leaf>> = (0..64).map(|i| Gc::downgrade(&leaf(i, &drops))).collect();
    collect();
    assert_eq!(drops.get(), 64);
    // Allocate many objects of the same size: the heap may reuse freed slots
    // (but not the zombies', which their weak references keep).
    let fresh: Vec<Gc<Leaf>> = (0..CHURN as u64).map(|i| leaf(1_000 + i, &drops)).collect();
    assert!(weaks.iter().all(|w| w.upgrade().is_none()));
    assert!(weaks.iter().all(|w| w.strong_count() == 0));
    for (i, f) in fresh.iter().enumerate() {
        assert_eq!(f.value, 1_000 + i as u64);
    }
    // Drop half of the weak references (freeing those zombies) and churn again.
    let kept = weaks.split_off(32);
    drop(weaks);
    drop(fresh);
    collect();
    let fresh: Vec<Gc<Leaf>> = (0..CHURN as u64).map(|i| leaf(i, &drops)).collect();
    collect_now();
    assert!(kept.iter().all(|w| w.upgrade().is_none()));
    assert_eq!(
        fresh.iter().map(|f| f.value).sum::<u64>(),
        (0..CHURN as u64).sum()
    );
    drop(kept);
    drop(fresh);
    collect();
    assert_eq!(drops.get(), 64 + 2 * CHURN);
}

#[test]
fn weak_to_a_dead_large_object_stays_dead() {
    let big = Gc::new([7_u8; 100_000]);
    let w = Gc::downgrade(&big);
    drop(big);
    collect();
    assert!(w.upgrade().is_none());
    // Reuse: more large objects of the same size.
    let others: Vec<_> = (0..4).map(|i| Gc::new([i as u8; 100_000])).collect();
    collect_now();
    assert!(w.upgrade().is_none());
    assert_eq!(others[3][99_999], 3);
    drop(w);
    drop(others);
    collect();
}

/// A dead object holding weak references, to live and dead targets.
struct HoldsWeaks {
    to_live: Weak<Leaf>,
    to_dead: Weak<Leaf>,
    to_self: GcCell<Weak<HoldsWeaks>>,
}

// SAFETY: visits each `Weak` once.
unsafe impl Trace for HoldsWeaks {
    fn trace(&self, v: &mut Visitor) {
        self.to_live.trace(v);
        self.to_dead.trace(v);
        self.to_self.trace(v);
    }
}

#[test]
fn weak_references_held_by_dead_objects_are_given_back() {
    let drops = Rc::new(Cell::new(0));
    let live = leaf(1, &drops);
    let dead = leaf(2, &drops);
    let holder = Gc::new(HoldsWeaks {
        to_live: Gc::downgrade(&live),
        to_dead: Gc::downgrade(&dead),
        to_self: GcCell::new(Weak::new()),
    });
    *holder.to_self.borrow_mut() = Gc::downgrade(&holder);
    let watch_dead = Gc::downgrade(&dead);
    let watch_holder = Gc::downgrade(&holder);
    drop((dead, holder));
    collect();
    assert_eq!(drops.get(), 1);
    assert_eq!(
        Gc::weak_count(&live),
        0,
        "the dead holder's weak was given back"
    );
    assert_eq!(watch_dead.weak_count(), 1, "only the test's weak is left");
    assert_eq!(watch_holder.weak_count(), 1);
    assert!(watch_dead.upgrade().is_none() && watch_holder.upgrade().is_none());
    drop((watch_dead, watch_holder));
    collect();
    assert_eq!(live.value, 1);
}

#[test]
fn weak_dropped_after_its_target_died_frees_the_slot_without_crash() {
    let drops = Rc::new(Cell::new(0));
    for round in 0..ROUNDS as u64 {
        let ws: Vec<_> = (0..50)
            .map(|i| Gc::downgrade(&leaf(round * 100 + i, &drops)))
            .collect();
        collect();
        let clones: Vec<_> = ws.iter().map(Weak::clone).collect();
        drop(ws);
        collect();
        assert!(clones.iter().all(|w| w.upgrade().is_none()));
        drop(clones);
        collect();
    }
    assert_eq!(drops.get(), 50 * ROUNDS);
}
