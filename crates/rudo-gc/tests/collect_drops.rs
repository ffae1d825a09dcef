//! Destructors: every dead value is dropped exactly once, never early, and
//! destructors that allocate, collect or panic (and a `Trace` that panics)
//! leave the heap working.

use std::cell::{Cell, RefCell};
use std::panic::catch_unwind;
use std::rc::Rc;

use rudo_gc::{Gc, GcCell, Trace, Visitor, Weak, collect};

mod common;
use common::{collect_now, panic_message};

/// Repeated collections in tests that check survival over time (Miri runs
/// each collection slowly).
const ROUNDS: usize = if cfg!(miri) { 1 } else { 3 };

/// A shared drop counter.
type Count = Rc<Cell<usize>>;

fn count() -> Count {
    Rc::new(Cell::new(0))
}

fn bump(c: &Count) {
    c.set(c.get() + 1);
}

/// A leaf value that counts its drops.
struct Tracked {
    value: u64,
    drops: Count,
}

impl Tracked {
    fn new(value: u64, drops: &Count) -> Tracked {
        Tracked {
            value,
            drops: drops.clone(),
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        bump(&self.drops);
    }
}

// SAFETY: owns no `Gc`.
unsafe impl Trace for Tracked {
    fn trace(&self, _: &mut Visitor) {}
}

/// A node with out-edges, a payload with its own destructor, and a counter.
struct Node {
    out: GcCell<Vec<Gc<Node>>>,
    payload: Tracked,
}

// SAFETY: visits the one `Gc`-owning field once.
unsafe impl Trace for Node {
    fn trace(&self, v: &mut Visitor) {
        self.out.trace(v);
    }
}

fn node(value: u64, drops: &Count) -> Gc<Node> {
    Gc::new(Node {
        out: GcCell::new(Vec::new()),
        payload: Tracked::new(value, drops),
    })
}

fn link(a: &Gc<Node>, b: &Gc<Node>) {
    a.out.borrow_mut().push(b.clone());
}

#[test]
fn value_is_dropped_at_collection_not_when_last_gc_goes() {
    let drops = count();
    let a = Gc::new(Tracked::new(1, &drops));
    drop(a);
    assert_eq!(drops.get(), 0, "dropping the last Gc frees nothing");
    collect();
    assert_eq!(drops.get(), 1);
    for _ in 0..ROUNDS {
        collect_now();
    }
    assert_eq!(drops.get(), 1);
}

#[test]
fn nothing_is_dropped_while_reachable() {
    let drops = count();
    let a = node(1, &drops);
    let b = node(2, &drops);
    link(&a, &b);
    link(&b, &a);
    let c = node(3, &drops);
    link(&b, &c);
    drop((b, c));
    for _ in 0..ROUNDS {
        collect_now();
        assert_eq!(drops.get(), 0);
    }
    assert_eq!(a.out.borrow()[0].out.borrow()[1].payload.value, 3);
    drop(a);
    collect();
    assert_eq!(drops.get(), 3);
}

#[test]
fn every_value_of_a_mixed_garbage_heap_is_dropped_exactly_once() {
    const N: usize = if cfg!(miri) { 6 } else { 200 };
    let node_drops = count();
    let slice_drops = count();
    let mut weaks_nodes = Vec::new();
    let mut weaks_strs = Vec::new();
    let mut weaks_slices = Vec::new();
    for i in 0..N as u64 {
        // A 3-cycle whose members also hold a Vec of leaf nodes.
        let ring: Vec<_> = (0..3).map(|k| node(i * 10 + k, &node_drops)).collect();
        for k in 0..3 {
            link(&ring[k], &ring[(k + 1) % 3]);
            link(&ring[k], &node(i * 10 + 5, &node_drops));
        }
        weaks_nodes.extend(ring.iter().map(Gc::downgrade));
        let slice: Gc<[Tracked]> = (0..4).map(|k| Tracked::new(k, &slice_drops)).collect();
        weaks_slices.push(Gc::downgrade(&slice));
        let s: Gc<str> = Gc::from(format!("string number {i}").as_str());
        weaks_strs.push(Gc::downgrade(&s));
    }
    collect();
    assert_eq!(node_drops.get(), 6 * N);
    assert_eq!(slice_drops.get(), 4 * N);
    assert!(weaks_nodes.iter().all(|w| w.upgrade().is_none()));
    assert!(weaks_slices.iter().all(|w| w.upgrade().is_none()));
    assert!(weaks_strs.iter().all(|w| w.upgrade().is_none()));
    // Dropping the weak references frees the zombie slots; nothing is dropped twice.
    drop((weaks_nodes, weaks_slices, weaks_strs));
    for _ in 0..ROUNDS {
        collect_now();
    }
    assert_eq!(node_drops.get(), 6 * N);
    assert_eq!(slice_drops.get(), 4 * N);
}

#[test]
fn slice_of_droppable_elements_drops_each_element_once() {
    let drops = count();
    let s: Gc<[Tracked]> = Gc::from(
        (0..100)
            .map(|i| Tracked::new(i, &drops))
            .collect::<Vec<_>>(),
    );
    collect();
    assert_eq!(drops.get(), 0);
    assert_eq!(s.iter().map(|t| t.value).sum::<u64>(), 4950);
    drop(s);
    collect();
    assert_eq!(drops.get(), 100);
}

#[test]
fn empty_slice_of_droppable_elements_is_freed() {
    let drops = count();
    let s: Gc<[Tracked]> = Gc::from(Vec::new());
    let w = Gc::downgrade(&s);
    assert!(s.is_empty());
    drop(s);
    collect();
    assert!(w.upgrade().is_none());
    assert_eq!(drops.get(), 0);
}

/// A node whose edges live in a GC slice: the cycle runs through `Gc<[_]>`.
struct SliceNode {
    back: GcCell<Option<Gc<[Gc<SliceNode>]>>>,
    payload: Tracked,
}

// SAFETY: visits the one `Gc`-owning field once.
unsafe impl Trace for SliceNode {
    fn trace(&self, v: &mut Visitor) {
        self.back.trace(v);
    }
}

#[test]
fn cycle_through_a_gc_slice_is_dropped_once() {
    let drops = count();
    let nodes: Vec<Gc<SliceNode>> = (0..5)
        .map(|i| {
            Gc::new(SliceNode {
                back: GcCell::new(None),
                payload: Tracked::new(i, &drops),
            })
        })
        .collect();
    let slice: Gc<[Gc<SliceNode>]> = Gc::from(&nodes[..]);
    for n in &nodes {
        *n.back.borrow_mut() = Some(slice.clone());
    }
    let w = Gc::downgrade(&slice);
    drop(nodes);
    collect();
    assert_eq!(drops.get(), 0);
    assert_eq!(slice[4].back.borrow().as_ref().unwrap()[2].payload.value, 2);
    drop(slice);
    collect();
    assert!(w.upgrade().is_none());
    assert_eq!(drops.get(), 5);
}

#[test]
fn dead_values_give_back_their_references_to_survivors() {
    let drops = count();
    let live = node(0, &drops);
    let weak_holder_drops = count();
    {
        let dead = node(1, &drops);
        link(&dead, &live);
        link(&dead, &dead);
        // A dead object holding a `Weak` to the survivor.
        let w: Gc<(Weak<Node>, Tracked)> =
            Gc::new((Gc::downgrade(&live), Tracked::new(2, &weak_holder_drops)));
        drop(w);
    }
    assert_eq!(Gc::ref_count(&live), 2);
    assert_eq!(Gc::weak_count(&live), 1);
    collect();
    assert_eq!(drops.get(), 1);
    assert_eq!(weak_holder_drops.get(), 1);
    assert_eq!(
        Gc::ref_count(&live),
        1,
        "the dead node's edge was given back"
    );
    assert_eq!(
        Gc::weak_count(&live),
        0,
        "the dead tuple's weak edge was given back"
    );
    drop(live);
    collect();
    assert_eq!(drops.get(), 2);
}

#[test]
fn zombie_is_not_dropped_again_by_later_collections() {
    let drops = count();
    let a = node(1, &drops);
    link(&a, &a);
    let w = Gc::downgrade(&a);
    drop(a);
    for _ in 0..ROUNDS + 2 {
        collect_now();
        assert_eq!(drops.get(), 1);
        assert!(w.upgrade().is_none());
    }
    drop(w);
    collect();
    assert_eq!(drops.get(), 1);
}

thread_local! {
    /// Where destructors put the objects they allocate.
    static KEEP: RefCell<Vec<Gc<Tracked>>> = const { RefCell::new(Vec::new()) };
    static KEEP_NODES: RefCell<Vec<Gc<Node>>> = const { RefCell::new(Vec::new()) };
}

/// On drop, allocates `n` objects and moves them into `KEEP`.
struct AllocatesOnDrop {
    n: usize,
    drops: Count,
    new_drops: Count,
}

impl Drop for AllocatesOnDrop {
    fn drop(&mut self) {
        bump(&self.drops);
        let fresh: Vec<_> = (0..self.n)
            .map(|i| Gc::new(Tracked::new(i as u64, &self.new_drops)))
            .collect();
        KEEP.with(|k| k.borrow_mut().extend(fresh));
    }
}

// SAFETY: owns no `Gc`.
unsafe impl Trace for AllocatesOnDrop {
    fn trace(&self, _: &mut Visitor) {}
}

#[test]
fn destructor_that_allocates_new_gcs_works() {
    let drops = count();
    let new_drops = count();
    const PER: usize = if cfg!(miri) { 8 } else { 1_250 };
    const N: usize = 4 * PER;
    for _ in 0..4 {
        drop(Gc::new(AllocatesOnDrop {
            n: PER,
            drops: drops.clone(),
            new_drops: new_drops.clone(),
        }));
    }
    collect();
    assert_eq!(drops.get(), 4);
    // The new objects were allocated during the sweep and survive it.
    assert_eq!(new_drops.get(), 0);
    let fresh = KEEP.with(|k| core::mem::take(&mut *k.borrow_mut()));
    assert_eq!(fresh.len(), N);
    assert_eq!(
        fresh.iter().map(|t| t.value).sum::<u64>(),
        4 * (0..PER as u64).sum::<u64>()
    );
    collect_now();
    assert_eq!(new_drops.get(), 0);
    drop(fresh);
    collect();
    assert_eq!(new_drops.get(), N);
}

/// On drop, allocates a large object and a small cycle and keeps them.
struct AllocatesBigOnDrop {
    drops: Count,
}

impl Drop for AllocatesBigOnDrop {
    fn drop(&mut self) {
        let a = node(1, &self.drops);
        let big = Gc::new(Node {
            out: GcCell::new(vec![a.clone()]),
            payload: Tracked::new(2, &self.drops),
        });
        // Moved, not cloned: no `Gc` is dropped inside this destructor.
        a.out.borrow_mut().push(big);
        let buf: Gc<[u8]> = Gc::from(vec![7_u8; 64 * 1024]);
        drop(Gc::downgrade(&buf));
        core::mem::forget(buf);
        KEEP_NODES.with(|k| k.borrow_mut().push(a));
    }
}

// SAFETY: owns no `Gc`.
unsafe impl Trace for AllocatesBigOnDrop {
    fn trace(&self, _: &mut Visitor) {}
}

#[test]
fn destructor_that_allocates_a_cycle_keeps_it_usable() {
    let drops = count();
    drop(Gc::new(AllocatesBigOnDrop {
        drops: drops.clone(),
    }));
    collect();
    let a = KEEP_NODES.with(|k| k.borrow_mut().pop().unwrap());
    let big = a.out.borrow()[0].clone();
    assert_eq!(big.payload.value, 2);
    assert!(Gc::ptr_eq(&big.out.borrow()[0], &a));
    collect_now();
    assert_eq!(drops.get(), 0);
    drop((a, big));
    collect();
    assert_eq!(drops.get(), 2);
}

/// On drop, allocates a `Gc` and lets it go out of scope.
struct DropsTemporaryGc {
    new_drops: Count,
}

impl Drop for DropsTemporaryGc {
    fn drop(&mut self) {
        let tmp = Gc::new(Tracked::new(9, &self.new_drops));
        assert_eq!(tmp.value, 9);
    }
}

// SAFETY: owns no `Gc`.
unsafe impl Trace for DropsTemporaryGc {
    fn trace(&self, _: &mut Visitor) {}
}

#[test]

fn temporary_gc_dropped_inside_a_destructor_is_freed_later() {
    let new_drops = count();
    drop(Gc::new(DropsTemporaryGc {
        new_drops: new_drops.clone(),
    }));
    collect();
    for _ in 0..ROUNDS {
        collect_now();
    }
    assert_eq!(
        new_drops.get(),
        1,
        "the temporary allocated by the destructor leaked"
    );
}

thread_local! {
    static SHARED: RefCell<Option<Gc<Tracked>>> = const { RefCell::new(None) };
}

/// On drop, clones a live `Gc` from a thread-local and drops the clone.
struct ClonesLiveGcOnDrop;

impl Drop for ClonesLiveGcOnDrop {
    fn drop(&mut self) {
        let g = SHARED.with(|s| s.borrow().clone());
        assert_eq!(g.unwrap().value, 3);
    }
}

// SAFETY: owns no `Gc`.
unsafe impl Trace for ClonesLiveGcOnDrop {
    fn trace(&self, _: &mut Visitor) {}
}

#[test]

fn live_gc_cloned_inside_a_destructor_is_freed_later() {
    let drops = count();
    SHARED.with(|s| *s.borrow_mut() = Some(Gc::new(Tracked::new(3, &drops))));
    drop(Gc::new(ClonesLiveGcOnDrop));
    collect();
    SHARED.with(|s| s.borrow_mut().take());
    collect();
    assert_eq!(drops.get(), 1, "the clone's count was never given back");
}

/// On drop, calls `collect()` (a no-op while a collection is running).
struct CollectsOnDrop {
    edge: GcCell<Option<Gc<CollectsOnDrop>>>,
    drops: Count,
}

impl Drop for CollectsOnDrop {
    fn drop(&mut self) {
        bump(&self.drops);
        collect();
    }
}

// SAFETY: visits the one `Gc`-owning field once.
unsafe impl Trace for CollectsOnDrop {
    fn trace(&self, v: &mut Visitor) {
        self.edge.trace(v);
    }
}

#[test]
fn destructor_that_calls_collect_does_not_deadlock_or_double_free() {
    let drops = count();
    let other = count();
    let a = Gc::new(CollectsOnDrop {
        edge: GcCell::new(None),
        drops: drops.clone(),
    });
    let b = Gc::new(CollectsOnDrop {
        edge: GcCell::new(Some(a.clone())),
        drops: drops.clone(),
    });
    *a.edge.borrow_mut() = Some(b.clone());
    let bystanders: Vec<_> = (0..10).map(|i| node(i, &other)).collect();
    drop((a, b, bystanders));
    collect();
    assert_eq!(drops.get(), 2);
    assert_eq!(other.get(), 10);
    // The heap still works.
    let keep = node(5, &other);
    drop(node(6, &other));
    collect();
    assert_eq!(other.get(), 11);
    assert_eq!(keep.payload.value, 5);
}

/// Panics on drop (after counting the drop).
struct PanicsOnDrop {
    drops: Count,
}

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        bump(&self.drops);
        panic!("boom from a destructor");
    }
}

// SAFETY: owns no `Gc`.
unsafe impl Trace for PanicsOnDrop {
    fn trace(&self, _: &mut Visitor) {}
}

/// Runs `f` with a drop-panic hook that counts reports; returns the count.
/// (`tests/collect_drop_panics.rs` tests the hook itself.)
fn drop_panics_reported(f: impl FnOnce()) -> usize {
    static REPORTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    REPORTED.store(0, std::sync::atomic::Ordering::SeqCst);
    rudo_gc::set_drop_panic_hook(|report: &rudo_gc::DropPanic<'_>| {
        assert_eq!(report.message(), Some("boom from a destructor"));
        REPORTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    f();
    drop(rudo_gc::take_drop_panic_hook());
    REPORTED.load(std::sync::atomic::Ordering::SeqCst)
}

#[test]
fn destructor_panic_is_reported_and_the_sweep_finishes() {
    let panicky = count();
    let others = count();
    let mut weaks = Vec::new();
    let survivor = node(100, &others);
    let reported = drop_panics_reported(|| {
        for i in 0..10 {
            // Garbage on both sides of the panicking value, in allocation order.
            let n = node(i, &others);
            link(&n, &n);
            weaks.push(Gc::downgrade(&n));
            if i == 5 {
                drop(Gc::new(PanicsOnDrop {
                    drops: panicky.clone(),
                }));
            }
        }
        collect(); // does not panic
    });
    assert_eq!(reported, 1);
    assert_eq!(panicky.get(), 1);
    assert_eq!(others.get(), 10, "the other dead values were still dropped");
    assert!(weaks.iter().all(|w| w.upgrade().is_none()));
    assert_eq!(survivor.payload.value, 100);
    // The next collection works normally.
    drop(node(7, &others));
    collect();
    assert_eq!(others.get(), 11);
    drop(survivor);
    collect();
    assert_eq!((panicky.get(), others.get()), (1, 12));
}

#[test]
fn two_panicking_destructors_both_run_and_both_are_reported() {
    let panicky = count();
    let others = count();
    let reported = drop_panics_reported(|| {
        drop(Gc::new(PanicsOnDrop {
            drops: panicky.clone(),
        }));
        drop(node(1, &others));
        drop(Gc::new(PanicsOnDrop {
            drops: panicky.clone(),
        }));
        collect();
    });
    assert_eq!(reported, 2);
    assert_eq!(panicky.get(), 2);
    assert_eq!(others.get(), 1);
    collect_now();
    assert_eq!(panicky.get(), 2);
}

#[test]
fn fields_of_a_value_whose_destructor_panics_are_still_dropped() {
    struct Outer {
        _inner: Tracked,
        _bomb: PanicsOnDrop,
    }
    // SAFETY: owns no `Gc`.
    unsafe impl Trace for Outer {
        fn trace(&self, _: &mut Visitor) {}
    }
    let drops = count();
    let reported = drop_panics_reported(|| {
        drop(Gc::new(Outer {
            _inner: Tracked::new(0, &drops),
            _bomb: PanicsOnDrop {
                drops: drops.clone(),
            },
        }));
        collect();
    });
    assert_eq!((reported, drops.get()), (1, 2));
}

thread_local! {
    static TRACE_PANICS: Cell<bool> = const { Cell::new(false) };
}

/// A node whose `trace` panics while `TRACE_PANICS` is set.
struct Bomb {
    out: GcCell<Vec<Gc<Node>>>,
    payload: Tracked,
}

// SAFETY: visits the one `Gc`-owning field once (or panics before visiting).
unsafe impl Trace for Bomb {
    fn trace(&self, v: &mut Visitor) {
        if TRACE_PANICS.with(Cell::get) {
            panic!("boom from trace");
        }
        self.out.trace(v);
    }
}

fn collect_with_panicking_trace() {
    TRACE_PANICS.with(|f| f.set(true));
    let result = catch_unwind(collect);
    TRACE_PANICS.with(|f| f.set(false));
    let payload = result.expect_err("a panic in trace must propagate out of collect");
    assert_eq!(panic_message(&*payload), "boom from trace");
}

#[test]
fn trace_panic_frees_nothing_and_the_next_collect_works() {
    let drops = count();
    let bomb = Gc::new(Bomb {
        out: GcCell::new(vec![node(1, &drops)]),
        payload: Tracked::new(0, &drops),
    });
    let a = node(2, &drops);
    link(&a, &a);
    let w = Gc::downgrade(&a);
    drop(a);
    collect_with_panicking_trace();
    assert_eq!(drops.get(), 0, "an abandoned collection frees nothing");
    assert!(w.upgrade().is_some());
    // The heap is usable: allocation and a full collection.
    let fresh = node(3, &drops);
    collect();
    assert!(w.upgrade().is_none());
    assert_eq!(drops.get(), 1);
    assert_eq!(bomb.out.borrow()[0].payload.value, 1);
    assert_eq!((bomb.payload.value, fresh.payload.value), (0, 3));
    drop((bomb, fresh));
    collect();
    assert_eq!(drops.get(), 4);
}

#[test]

fn trace_panic_then_collect_without_any_new_allocation_frees_the_garbage() {
    let drops = count();
    let bomb = Gc::new(Bomb {
        out: GcCell::new(Vec::new()),
        payload: Tracked::new(0, &drops),
    });
    let a = node(1, &drops);
    link(&a, &a);
    let w = Gc::downgrade(&a);
    // Start from a clean slate: nothing allocated since this collection.
    collect();
    drop(a);
    collect_with_panicking_trace();
    // Observe through the drop counter only: an upgrade would itself count
    // as a change and hide a skipped collection.
    assert_eq!(drops.get(), 0);
    // Nothing was allocated or dropped since the abandoned collection, but
    // its garbage is still there: this collection must run.
    collect();
    assert_eq!(
        drops.get(),
        1,
        "the collection after an abandoned one was skipped"
    );
    assert!(w.upgrade().is_none());
    drop(bomb);
    collect();
    assert_eq!(drops.get(), 2);
}

#[test]
fn unreachable_object_whose_trace_panics_is_freed_once_it_stops_panicking() {
    let drops = count();
    let inner = count();
    let bomb = Gc::new(Bomb {
        out: GcCell::new(vec![node(1, &inner)]),
        payload: Tracked::new(0, &drops),
    });
    let w = Gc::downgrade(&bomb);
    drop(bomb);
    collect_with_panicking_trace();
    assert_eq!((drops.get(), inner.get()), (0, 0));
    collect();
    assert!(w.upgrade().is_none());
    assert_eq!((drops.get(), inner.get()), (1, 1));
}

#[test]
fn repeated_trace_panics_do_not_corrupt_counts() {
    let drops = count();
    let bomb = Gc::new(Bomb {
        out: GcCell::new(Vec::new()),
        payload: Tracked::new(0, &drops),
    });
    let kept = node(1, &drops);
    bomb.out.borrow_mut().push(kept.clone());
    for _ in 0..3 {
        drop(node(2, &drops));
        collect_with_panicking_trace();
    }
    collect();
    assert_eq!(drops.get(), 3, "the three garbage nodes");
    assert_eq!(Gc::ref_count(&kept), 2);
    drop(kept);
    collect_now();
    assert_eq!(bomb.out.borrow()[0].payload.value, 1);
    drop(bomb);
    collect();
    assert_eq!(drops.get(), 5);
}
