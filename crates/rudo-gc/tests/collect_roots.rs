//! Everything reachable from each kind of root survives collections intact.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use rudo_gc::{Gc, GcCell, GcRef, GcRefMut, Trace, Visitor, Weak, collect, collect_minor};

/// Repeated collections in tests that check survival over time (Miri runs
/// each collection slowly).
const ROUNDS: usize = if cfg!(miri) { 1 } else { 3 };

/// A node of a small graph with a payload to checksum.
struct Node {
    value: u64,
    out: GcCell<Vec<Gc<Node>>>,
    drops: Rc<Cell<usize>>,
}

impl Drop for Node {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

// SAFETY: visits the one `Gc`-owning field once.
unsafe impl Trace for Node {
    fn trace(&self, v: &mut Visitor) {
        self.out.trace(v);
    }
}

const SIZE: usize = if cfg!(miri) { 8 } else { 200 };

/// What a test keeps to observe a graph without rooting it.
struct Probe {
    weaks: Vec<Weak<Node>>,
    drops: Rc<Cell<usize>>,
    checksum: u64,
}

/// A graph of `SIZE` nodes, all reachable from the returned entry: a chain
/// with a back edge to the entry every five nodes, so it is full of cycles.
/// The entry is the only `Gc` to the graph outside the heap.
fn graph(seed: u64) -> (Gc<Node>, Probe) {
    let drops = Rc::new(Cell::new(0));
    let nodes: Vec<Gc<Node>> = (0..SIZE as u64)
        .map(|i| {
            Gc::new(Node {
                value: seed.wrapping_mul(1_000_003).wrapping_add(i * i),
                out: GcCell::new(Vec::new()),
                drops: drops.clone(),
            })
        })
        .collect();
    for i in 0..SIZE {
        if i + 1 < SIZE {
            nodes[i].out.borrow_mut().push(nodes[i + 1].clone());
        }
        if i % 5 == 4 {
            nodes[i].out.borrow_mut().push(nodes[0].clone());
        }
    }
    let checksum = nodes.iter().map(|n| n.value).fold(0, u64::wrapping_add);
    let probe = Probe {
        weaks: nodes.iter().map(Gc::downgrade).collect(),
        drops,
        checksum,
    };
    (nodes[0].clone(), probe)
}

fn leaf(value: u64, drops: &Rc<Cell<usize>>) -> Gc<Node> {
    Gc::new(Node {
        value,
        out: GcCell::new(Vec::new()),
        drops: drops.clone(),
    })
}

/// Sums the payloads reachable from `entry` (each node once).
fn checksum(entry: &Gc<Node>) -> u64 {
    let mut seen: Vec<*const Node> = Vec::new();
    let mut stack = vec![entry.clone()];
    let mut sum = 0_u64;
    while let Some(n) = stack.pop() {
        let p = Gc::as_ptr(&n);
        if seen.contains(&p) {
            continue;
        }
        seen.push(p);
        sum = sum.wrapping_add(n.value);
        stack.extend(n.out.borrow().iter().cloned());
    }
    assert_eq!(seen.len(), SIZE);
    sum
}

/// Allocates garbage (including cycles) and collects, so that each round
/// really runs a collection and reuses freed memory.
fn churn() {
    let drops = Rc::new(Cell::new(0));
    for i in 0..SIZE as u64 {
        let a = leaf(i, &drops);
        let b = leaf(i, &drops);
        b.out.borrow_mut().push(a.clone());
        a.out.borrow_mut().push(b);
    }
    collect();
    assert_eq!(drops.get(), 2 * SIZE);
}

/// Collects several times and checks the graph is intact, reaching its entry
/// through the root under test.
fn survives(p: &Probe, entry: impl Fn() -> Gc<Node>) {
    for _ in 0..ROUNDS {
        churn();
        assert_eq!(p.drops.get(), 0);
        assert!(p.weaks.iter().all(|w| w.upgrade().is_some()));
        assert_eq!(checksum(&entry()), p.checksum);
    }
}

/// Once the root is released (by the caller), one collection frees the graph.
fn freed(p: Probe) {
    collect();
    assert!(p.weaks.iter().all(|w| w.upgrade().is_none()));
    assert_eq!(p.drops.get(), SIZE);
}

#[test]
fn stack_gc_is_a_root() {
    let (root, p) = graph(1);
    survives(&p, || root.clone());
    drop(root);
    freed(p);
}

#[test]
fn vec_on_the_rust_heap_is_a_root() {
    let (entry, p) = graph(2);
    let roots: Vec<Gc<Node>> = vec![entry; 3];
    survives(&p, || roots[1].clone());
    drop(roots);
    freed(p);
}

#[test]
fn box_is_a_root() {
    let (entry, p) = graph(3);
    let root: Box<Gc<Node>> = Box::new(entry);
    survives(&p, || (*root).clone());
    drop(root);
    freed(p);
}

/// Several layers of ordinary Rust containers around a `Gc`.
type Nested = Rc<RefCell<Option<Box<Vec<Gc<Node>>>>>>;

#[test]
fn nested_rust_containers_are_roots() {
    let (entry, p) = graph(4);
    let root: Nested = Rc::new(RefCell::new(Some(Box::new(vec![entry]))));
    survives(&p, || root.borrow().as_ref().unwrap()[0].clone());
    root.borrow_mut().take();
    freed(p);
}

thread_local! {
    static TLS_ROOT: RefCell<Option<Gc<Node>>> = const { RefCell::new(None) };
}

#[test]
fn thread_local_is_a_root() {
    let (entry, p) = graph(5);
    TLS_ROOT.with(|r| *r.borrow_mut() = Some(entry));
    survives(&p, || TLS_ROOT.with(|r| r.borrow().clone().unwrap()));
    TLS_ROOT.with(|r| r.borrow_mut().take());
    freed(p);
}

#[test]
fn hash_map_value_is_a_root() {
    let (entry, p) = graph(6);
    let filler_drops = Rc::new(Cell::new(0));
    let mut map: HashMap<u32, Gc<Node>> = (0..10).map(|k| (k, leaf(0, &filler_drops))).collect();
    map.insert(99, entry);
    survives(&p, || map[&99].clone());
    assert_eq!(filler_drops.get(), 0);
    map.clear();
    freed(p);
    assert_eq!(filler_drops.get(), 10);
}

#[test]
fn hash_map_key_is_a_root() {
    let (entry, p) = graph(7);
    let mut map: HashMap<Gc<u64>, Gc<Node>> = HashMap::new();
    let key = Gc::new(12_345_u64);
    let key_weak = Gc::downgrade(&key);
    map.insert(key, entry);
    // Looked up by value, through `Borrow<u64>`.
    survives(&p, || map[&12_345].clone());
    assert_eq!(*key_weak.upgrade().unwrap(), 12_345);
    map.clear();
    freed(p);
    assert!(key_weak.upgrade().is_none());
}

#[test]
fn upgraded_weak_is_a_root() {
    let (entry, p) = graph(8);
    let weak = Gc::downgrade(&entry);
    let upgraded = weak.upgrade().unwrap();
    // Only the upgraded `Gc` holds the graph now.
    drop(entry);
    survives(&p, || weak.upgrade().unwrap());
    // `upgraded` itself plus the back edge from every fifth node.
    assert_eq!(Gc::ref_count(&upgraded), 1 + SIZE / 5);
    drop(upgraded);
    freed(p);
    assert!(weak.upgrade().is_none());
}

/// Holds a graph's entry in a cell, for the borrow-guard roots.
struct Holder {
    cell: GcCell<Vec<Gc<Node>>>,
}

// SAFETY: visits the cell once.
unsafe impl Trace for Holder {
    fn trace(&self, v: &mut Visitor) {
        self.cell.trace(v);
    }
}

#[test]
fn gc_ref_held_across_collect() {
    let (entry, p) = graph(9);
    // The graph is reachable only through the holder's cell.
    let holder = Gc::new(Holder {
        cell: GcCell::new(vec![entry]),
    });
    {
        let guard: GcRef<'_, Vec<Gc<Node>>> = holder.cell.borrow();
        let first: GcRef<'_, Gc<Node>> = GcRef::map(GcRef::clone(&guard), |v| &v[0]);
        survives(&p, || Gc::clone(&first));
        assert_eq!(checksum(&guard[0]), p.checksum);
    }
    drop(holder);
    freed(p);
}

#[test]
fn gc_ref_mut_held_across_collect() {
    let (entry, p) = graph(10);
    // The graph is reachable only through the cell that will be borrowed.
    let holder = Gc::new(Holder {
        cell: GcCell::new(vec![entry]),
    });
    {
        let mut guard: GcRefMut<'_, Vec<Gc<Node>>> = holder.cell.borrow_mut();
        // While borrowed, the cell's contents are not traced: they look held
        // from outside, and must survive.
        survives(&p, || guard[0].clone());
        // Mutation under the guard moves the contents, it does not lose them.
        let e = guard.pop().unwrap();
        guard.push(e);
        survives(&p, || guard[0].clone());
    }
    // Released: the contents are traced again and still reachable.
    survives(&p, || holder.cell.borrow()[0].clone());
    drop(holder);
    freed(p);
}

#[test]
fn gc_ref_mut_map_held_across_collect() {
    let (entry, p) = graph(11);
    let holder = Gc::new(Holder {
        cell: GcCell::new(vec![entry]),
    });
    {
        let first: GcRefMut<'_, Gc<Node>> = GcRefMut::map(holder.cell.borrow_mut(), |v| &mut v[0]);
        survives(&p, || Gc::clone(&first));
    }
    drop(holder);
    freed(p);
}

#[test]
fn contents_removed_under_a_gc_ref_mut_are_freed() {
    let (entry, p) = graph(12);
    let holder = Gc::new(Holder {
        cell: GcCell::new(vec![entry]),
    });
    {
        let mut guard = holder.cell.borrow_mut();
        guard.clear();
        // The cell is not traced, but what was removed from it is referenced
        // by nothing and dies.
        collect();
        assert!(p.weaks.iter().all(|w| w.upgrade().is_none()));
        assert_eq!(p.drops.get(), SIZE);
        guard.push(leaf(7, &p.drops));
    }
    collect();
    assert_eq!(holder.cell.borrow()[0].value, 7);
    drop(holder);
    collect();
    assert_eq!(p.drops.get(), SIZE + 1);
}

#[test]
fn gc_of_gc_is_a_root_for_its_target() {
    let (entry, p) = graph(13);
    let outer: Gc<Gc<Node>> = Gc::new(entry);
    survives(&p, || (*outer).clone());
    drop(outer);
    freed(p);
}

#[test]
fn several_root_kinds_at_once_released_one_by_one() {
    let (entry, p) = graph(14);
    let boxed = Box::new(entry.clone());
    let vec = vec![entry.clone()];
    let stack = entry;
    survives(&p, || stack.clone());
    drop(stack);
    survives(&p, || (*boxed).clone());
    drop(boxed);
    survives(&p, || vec[0].clone());
    drop(vec);
    freed(p);
}

// Minor collections examine only the objects allocated since the last
// collection; references from older objects must act as roots for them.

#[test]
fn old_object_is_a_root_for_a_young_graph_in_a_minor_collection() {
    let old_drops = Rc::new(Cell::new(0));
    let old = leaf(1, &old_drops);
    // Promote `old`.
    collect();
    let (entry, p) = graph(20);
    // The young graph is reachable only from the old object.
    old.out.borrow_mut().push(entry);
    collect_minor();
    assert_eq!(p.drops.get(), 0);
    assert!(p.weaks.iter().all(|w| w.upgrade().is_some()));
    assert_eq!(checksum(&old.out.borrow()[0]), p.checksum);
    collect();
    assert_eq!(checksum(&old.out.borrow()[0]), p.checksum);
    drop(old);
    freed(p);
    assert_eq!(old_drops.get(), 1);
}

#[test]
fn old_garbage_still_pointing_at_young_objects_keeps_them_until_a_major_collection() {
    let drops = Rc::new(Cell::new(0));
    let old = leaf(1, &drops);
    old.out.borrow_mut().push(old.clone());
    collect();
    let young = leaf(2, &drops);
    old.out.borrow_mut().push(young.clone());
    let young_weak = Gc::downgrade(&young);
    drop((old, young));
    // A minor collection cannot see that the old cycle is garbage, so the
    // young object it points to must survive.
    collect_minor();
    assert!(young_weak.upgrade().is_some_and(|y| y.value == 2));
    collect();
    assert!(young_weak.upgrade().is_none());
    assert_eq!(drops.get(), 2);
}

#[test]
fn young_garbage_gives_back_its_references_to_old_objects() {
    let drops = Rc::new(Cell::new(0));
    let old = leaf(1, &drops);
    collect();
    {
        let young = leaf(2, &drops);
        young.out.borrow_mut().push(old.clone());
        young.out.borrow_mut().push(young.clone());
    }
    assert_eq!(Gc::ref_count(&old), 2);
    collect_minor();
    assert_eq!(
        drops.get(),
        1,
        "the young cycle died in the minor collection"
    );
    assert_eq!(
        Gc::ref_count(&old),
        1,
        "its edge to the old object was given back"
    );
    drop(old);
    collect();
    assert_eq!(drops.get(), 2);
}

#[test]
fn promoted_graph_survives_many_minor_and_major_collections() {
    let (entry, p) = graph(21);
    for round in 0..2 * ROUNDS {
        churn_minor();
        if round % ROUNDS == ROUNDS - 1 {
            collect();
        }
        assert_eq!(p.drops.get(), 0);
        assert_eq!(checksum(&entry), p.checksum);
    }
    drop(entry);
    freed(p);
}

/// Like `churn`, but with minor collections only.
fn churn_minor() {
    let drops = Rc::new(Cell::new(0));
    for i in 0..SIZE as u64 {
        let a = leaf(i, &drops);
        a.out.borrow_mut().push(a.clone());
    }
    collect_minor();
    assert_eq!(drops.get(), SIZE);
}
