//! Cycles of every shape are freed once unreachable, and kept while reachable.

use std::cell::Cell;
use std::collections::VecDeque;
use std::rc::Rc;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rudo_gc::{Gc, GcCell, Trace, Visitor, Weak, collect, collect_minor};

/// Repeated collections in the tests that check survival over time (Miri runs
/// each collection slowly).
const ROUNDS: usize = if cfg!(miri) { 1 } else { 3 };

/// Length of the doubly linked lists.
const LIST: usize = if cfg!(miri) { 20 } else { 50 };

/// Depth of the ternary trees.
const DEPTH: usize = if cfg!(miri) { 3 } else { 4 };

/// Per-id drop counters shared by the nodes of one test.
#[derive(Clone)]
struct Drops(Rc<Vec<Cell<u32>>>);

impl Drops {
    fn new(n: usize) -> Drops {
        Drops(Rc::new((0..n).map(|_| Cell::new(0)).collect()))
    }

    fn bump(&self, id: usize) {
        let c = &self.0[id];
        c.set(c.get() + 1);
    }

    fn get(&self, id: usize) -> u32 {
        self.0[id].get()
    }

    fn total(&self) -> u32 {
        self.0.iter().map(Cell::get).sum()
    }

    fn assert_all_once(&self) {
        for (id, c) in self.0.iter().enumerate() {
            assert_eq!(c.get(), 1, "node {id} dropped {} times", c.get());
        }
    }
}

/// A graph node with any number of strong out-edges.
struct Node {
    id: usize,
    out: GcCell<Vec<Gc<Node>>>,
    drops: Drops,
}

impl Node {
    fn new(id: usize, drops: &Drops) -> Gc<Node> {
        Gc::new(Node {
            id,
            out: GcCell::new(Vec::new()),
            drops: drops.clone(),
        })
    }

    fn link(&self, to: &Gc<Node>) {
        self.out.borrow_mut().push(to.clone());
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // Touches no `Gc` field: their targets may already be destroyed.
        self.drops.bump(self.id);
    }
}

// SAFETY: visits the one field that owns `Gc`s, once.
unsafe impl Trace for Node {
    fn trace(&self, v: &mut Visitor) {
        self.out.trace(v);
    }
}

fn ring(len: usize, drops: &Drops) -> Vec<Gc<Node>> {
    let nodes: Vec<_> = (0..len).map(|i| Node::new(i, drops)).collect();
    for i in 0..len {
        nodes[i].link(&nodes[(i + 1) % len]);
    }
    nodes
}

fn alive<T>(w: &Weak<T>) -> bool {
    w.upgrade().is_some()
}

#[test]
fn self_loop_is_freed() {
    let drops = Drops::new(1);
    let a = Node::new(0, &drops);
    a.link(&a);
    let w = Gc::downgrade(&a);
    collect();
    assert!(alive(&w), "a rooted self loop must survive");
    assert_eq!(drops.total(), 0);
    drop(a);
    collect();
    assert!(!alive(&w));
    drops.assert_all_once();
}

#[test]
fn self_loop_with_several_self_edges_is_freed() {
    // Each self edge is a separately owned `Gc`; all of them are internal.
    let drops = Drops::new(1);
    let a = Node::new(0, &drops);
    for _ in 0..5 {
        a.link(&a);
    }
    let w = Gc::downgrade(&a);
    drop(a);
    collect();
    assert!(!alive(&w));
    drops.assert_all_once();
}

#[test]
fn two_ring_is_freed() {
    let drops = Drops::new(2);
    let nodes = ring(2, &drops);
    let weaks: Vec<_> = nodes.iter().map(Gc::downgrade).collect();
    collect();
    assert!(weaks.iter().all(alive));
    drop(nodes);
    collect();
    assert!(!weaks.iter().any(alive));
    drops.assert_all_once();
}

#[test]
fn hundred_ring_is_freed() {
    let drops = Drops::new(100);
    let nodes = ring(100, &drops);
    let weaks: Vec<_> = nodes.iter().map(Gc::downgrade).collect();
    drop(nodes);
    collect();
    assert!(!weaks.iter().any(alive));
    drops.assert_all_once();
}

#[test]
fn hundred_ring_rooted_by_one_member_survives_whole() {
    let drops = Drops::new(100);
    let mut nodes = ring(100, &drops);
    let weaks: Vec<_> = nodes.iter().map(Gc::downgrade).collect();
    let keep = nodes.swap_remove(57);
    drop(nodes);
    for _ in 0..ROUNDS {
        collect();
        assert!(weaks.iter().all(alive));
        assert_eq!(drops.total(), 0);
        // Something must change for the next collection to run.
        drop(keep.clone());
    }
    // Walk the whole ring from the kept member and back.
    let mut cur = keep.clone();
    let mut ids = Vec::new();
    loop {
        ids.push(cur.id);
        let next = cur.out.borrow()[0].clone();
        cur = next;
        if Gc::ptr_eq(&cur, &keep) {
            break;
        }
    }
    assert_eq!(ids.len(), 100);
    assert_eq!(ids[0], 57);
    assert_eq!(ids[1], 58);
    drop((cur, keep));
    collect();
    assert!(!weaks.iter().any(alive));
    drops.assert_all_once();
}

#[test]
fn two_disjoint_rings_only_the_unrooted_one_dies() {
    let drops_a = Drops::new(10);
    let drops_b = Drops::new(10);
    let a = ring(10, &drops_a);
    let b = ring(10, &drops_b);
    let keep = a[3].clone();
    drop((a, b));
    collect();
    assert_eq!(drops_a.total(), 0);
    drops_b.assert_all_once();
    drop(keep);
    collect();
    drops_a.assert_all_once();
    drops_b.assert_all_once();
}

/// A doubly linked list node. `prev` is strong or weak depending on the test.
struct DNode {
    id: usize,
    next: GcCell<Option<Gc<DNode>>>,
    prev_strong: GcCell<Option<Gc<DNode>>>,
    prev_weak: GcCell<Weak<DNode>>,
    drops: Drops,
}

impl Drop for DNode {
    fn drop(&mut self) {
        self.drops.bump(self.id);
    }
}

// SAFETY: each field owning a `Gc` or `Weak` is visited once.
unsafe impl Trace for DNode {
    fn trace(&self, v: &mut Visitor) {
        self.next.trace(v);
        self.prev_strong.trace(v);
        self.prev_weak.trace(v);
    }
}

fn doubly_linked(len: usize, strong_prev: bool, drops: &Drops) -> Vec<Gc<DNode>> {
    let nodes: Vec<_> = (0..len)
        .map(|id| {
            Gc::new(DNode {
                id,
                next: GcCell::new(None),
                prev_strong: GcCell::new(None),
                prev_weak: GcCell::new(Weak::new()),
                drops: drops.clone(),
            })
        })
        .collect();
    for pair in nodes.windows(2) {
        *pair[0].next.borrow_mut() = Some(pair[1].clone());
        if strong_prev {
            *pair[1].prev_strong.borrow_mut() = Some(pair[0].clone());
        } else {
            *pair[1].prev_weak.borrow_mut() = Gc::downgrade(&pair[0]);
        }
    }
    nodes
}

#[test]
fn doubly_linked_list_with_strong_prev_is_freed() {
    let drops = Drops::new(LIST);
    let nodes = doubly_linked(LIST, true, &drops);
    let weaks: Vec<_> = nodes.iter().map(Gc::downgrade).collect();
    drop(nodes);
    collect();
    assert!(!weaks.iter().any(alive));
    drops.assert_all_once();
}

#[test]
fn doubly_linked_list_with_strong_prev_rooted_in_the_middle_survives_whole() {
    let drops = Drops::new(LIST);
    let nodes = doubly_linked(LIST, true, &drops);
    let weaks: Vec<_> = nodes.iter().map(Gc::downgrade).collect();
    let middle = nodes[LIST / 2].clone();
    drop(nodes);
    collect();
    assert!(weaks.iter().all(alive));
    assert_eq!(drops.total(), 0);
    // Walk back to the head through the strong `prev` links.
    let mut cur = middle.clone();
    let mut steps = 0;
    loop {
        let prev = cur.prev_strong.borrow().clone();
        match prev {
            Some(p) => cur = p,
            None => break,
        }
        steps += 1;
    }
    assert_eq!((cur.id, steps), (0, LIST / 2));
    drop((cur, middle));
    collect();
    drops.assert_all_once();
}

#[test]
fn doubly_linked_list_with_weak_prev_rooted_in_the_middle_keeps_only_the_tail() {
    let drops = Drops::new(LIST);
    let nodes = doubly_linked(LIST, false, &drops);
    let weaks: Vec<_> = nodes.iter().map(Gc::downgrade).collect();
    let middle = nodes[LIST / 2].clone();
    drop(nodes);
    collect();
    for (id, w) in weaks.iter().enumerate() {
        assert_eq!(alive(w), id >= LIST / 2, "node {id}");
        assert_eq!(drops.get(id), u32::from(id < LIST / 2), "node {id}");
    }
    // The head side is gone, so the weak `prev` of the kept node is dead.
    assert!(middle.prev_weak.borrow().upgrade().is_none());
    assert_eq!(
        middle
            .next
            .borrow()
            .as_ref()
            .unwrap()
            .prev_weak
            .borrow()
            .upgrade()
            .unwrap()
            .id,
        LIST / 2
    );
    drop(middle);
    collect();
    drops.assert_all_once();
}

#[test]
fn doubly_linked_list_with_weak_prev_is_freed() {
    let drops = Drops::new(LIST);
    let nodes = doubly_linked(LIST, false, &drops);
    let weaks: Vec<_> = nodes.iter().map(Gc::downgrade).collect();
    drop(nodes);
    collect();
    assert!(!weaks.iter().any(alive));
    drops.assert_all_once();
}

/// A tree node with a strong parent pointer: every edge is part of a cycle.
struct TNode {
    id: usize,
    parent: GcCell<Option<Gc<TNode>>>,
    children: GcCell<Vec<Gc<TNode>>>,
    drops: Drops,
}

impl Drop for TNode {
    fn drop(&mut self) {
        self.drops.bump(self.id);
    }
}

// SAFETY: visits each `Gc`-owning field once.
unsafe impl Trace for TNode {
    fn trace(&self, v: &mut Visitor) {
        self.parent.trace(v);
        self.children.trace(v);
    }
}

/// Builds a complete tree of the given fan-out and depth; returns the root and
/// every node (in creation order, ids 0..).
fn tree(fanout: usize, depth: usize, drops: &Drops) -> (Gc<TNode>, Vec<Weak<TNode>>) {
    let mut all = Vec::new();
    let mk = |all: &mut Vec<Weak<TNode>>| {
        let n = Gc::new(TNode {
            id: all.len(),
            parent: GcCell::new(None),
            children: GcCell::new(Vec::new()),
            drops: drops.clone(),
        });
        all.push(Gc::downgrade(&n));
        n
    };
    let root = mk(&mut all);
    let mut level = vec![root.clone()];
    for _ in 0..depth {
        let mut next = Vec::new();
        for parent in &level {
            for _ in 0..fanout {
                let child = mk(&mut all);
                *child.parent.borrow_mut() = Some(parent.clone());
                parent.children.borrow_mut().push(child.clone());
                next.push(child);
            }
        }
        level = next;
    }
    (root, all)
}

fn tree_size(fanout: usize, depth: usize) -> usize {
    (0..=depth).map(|d| fanout.pow(d as u32)).sum()
}

#[test]
fn tree_with_parent_pointers_is_freed() {
    let n = tree_size(3, DEPTH);
    let drops = Drops::new(n);
    let (root, all) = tree(3, DEPTH, &drops);
    assert_eq!(all.len(), n);
    collect();
    assert!(all.iter().all(alive));
    drop(root);
    collect();
    assert!(!all.iter().any(alive));
    drops.assert_all_once();
}

#[test]
fn tree_with_parent_pointers_is_kept_whole_by_one_leaf() {
    let n = tree_size(3, DEPTH);
    let drops = Drops::new(n);
    let (root, all) = tree(3, DEPTH, &drops);
    let leaf = all.last().unwrap().upgrade().unwrap();
    drop(root);
    collect();
    assert!(
        all.iter().all(alive),
        "the leaf reaches the root, which reaches everything"
    );
    assert_eq!(drops.total(), 0);
    // Climb to the root.
    let mut cur = leaf.clone();
    let mut depth = 0;
    loop {
        let parent = cur.parent.borrow().clone();
        match parent {
            Some(p) => cur = p,
            None => break,
        }
        depth += 1;
    }
    assert_eq!((cur.id, depth), (0, DEPTH));
    drop((cur, leaf));
    collect();
    drops.assert_all_once();
}

#[test]
fn detached_subtree_dies_while_the_rest_survives() {
    let drops = Drops::new(tree_size(2, 3));
    let (root, all) = tree(2, 3, &drops);
    // Cut the first child of the root: its subtree still points at the root
    // (parent link), but nothing points at it.
    let cut = root.children.borrow_mut().remove(0);
    let cut_id = cut.id;
    drop(cut);
    collect();
    let mut dead = 0;
    for (id, w) in all.iter().enumerate() {
        if let Some(n) = w.upgrade() {
            assert_eq!(drops.get(id), 0);
            // A survivor is the root or descends from its remaining child.
            let mut cur = n;
            loop {
                assert_ne!(cur.id, cut_id);
                let parent = cur.parent.borrow().clone();
                match parent {
                    Some(p) => cur = p,
                    None => break,
                }
            }
        } else {
            assert_eq!(drops.get(id), 1);
            dead += 1;
        }
    }
    assert_eq!(dead, tree_size(2, 2));
    drop(root);
    collect();
    drops.assert_all_once();
}

/// The ids reachable from `roots` in the adjacency list `edges`.
fn reachable(edges: &[Vec<usize>], roots: &[usize]) -> Vec<bool> {
    let mut seen = vec![false; edges.len()];
    let mut queue: VecDeque<usize> = roots.iter().copied().collect();
    for &r in roots {
        seen[r] = true;
    }
    while let Some(i) = queue.pop_front() {
        for &j in &edges[i] {
            if !seen[j] {
                seen[j] = true;
                queue.push_back(j);
            }
        }
    }
    seen
}

/// Checks every node against the model: reachable ones are alive and not
/// dropped, the others dead and dropped exactly once.
fn check_against_model(weaks: &[Weak<Node>], drops: &Drops, live: &[bool], seed: u64) {
    for (id, w) in weaks.iter().enumerate() {
        let is_alive = w.upgrade().is_some_and(|n| n.id == id);
        assert_eq!(is_alive, live[id], "seed {seed}: node {id}");
        assert_eq!(
            drops.get(id),
            u32::from(!live[id]),
            "seed {seed}: node {id} drop count"
        );
    }
}

/// Nodes per random graph.
const N: usize = if cfg!(miri) { 24 } else { 400 };

/// Returns how many nodes survived the first collection.
fn random_graph_round_trip(seed: u64) -> usize {
    let mut rng = SmallRng::seed_from_u64(seed);
    let drops = Drops::new(N);
    let nodes: Vec<_> = (0..N).map(|i| Node::new(i, &drops)).collect();
    let weaks: Vec<_> = nodes.iter().map(Gc::downgrade).collect();
    let mut edges = vec![Vec::new(); N];
    // About two edges per node, self loops and duplicate edges included.
    for _ in 0..2 * N {
        let (a, b) = (rng.random_range(0..N), rng.random_range(0..N));
        nodes[a].link(&nodes[b]);
        edges[a].push(b);
    }
    let mut roots: Vec<usize> = (0..N).filter(|_| rng.random_bool(0.05)).collect();
    let mut kept: Vec<Gc<Node>> = roots.iter().map(|&i| nodes[i].clone()).collect();
    drop(nodes);
    collect();
    let mut live = reachable(&edges, &roots);
    check_against_model(&weaks, &drops, &live, seed);
    let survivors = live.iter().filter(|&&l| l).count();

    // Mutate the survivors: drop some edges and add new ones among live
    // nodes, release half the roots, and collect again.
    let live_ids: Vec<usize> = (0..N).filter(|&i| live[i]).collect();
    if !live_ids.is_empty() {
        for _ in 0..N / 4 {
            let a = live_ids[rng.random_range(0..live_ids.len())];
            let node = weaks[a].upgrade().unwrap();
            if rng.random_bool(0.5) && !edges[a].is_empty() {
                let k = rng.random_range(0..edges[a].len());
                edges[a].remove(k);
                node.out.borrow_mut().remove(k);
            } else {
                let b = live_ids[rng.random_range(0..live_ids.len())];
                node.link(&weaks[b].upgrade().unwrap());
                edges[a].push(b);
            }
        }
    }
    let half = roots.len() / 2;
    roots.truncate(half);
    kept.truncate(half);
    collect();
    let now_live = reachable(&edges, &roots);
    for id in 0..N {
        assert!(
            !now_live[id] || live[id],
            "seed {seed}: node {id} came back to life"
        );
    }
    live = now_live;
    check_against_model(&weaks, &drops, &live, seed);

    drop(kept);
    collect();
    assert!(!weaks.iter().any(alive), "seed {seed}");
    drops.assert_all_once();
    survivors
}

#[test]
fn random_graphs_free_exactly_the_unreachable_nodes() {
    let seeds: &[u64] = if cfg!(miri) {
        &[1, 2]
    } else {
        &[1, 2, 3, 4, 5, 6, 7, 8, 0xdead_beef, 42]
    };
    let survivors: usize = seeds
        .iter()
        .map(|&seed| random_graph_round_trip(seed))
        .sum();
    // The model is not degenerate: some nodes lived and some died.
    assert!(survivors > 0 && survivors < seeds.len() * N);
}

#[test]
fn random_dense_graph_with_many_roots() {
    let seeds: &[u64] = if cfg!(miri) { &[11] } else { &[11, 12, 13] };
    for &seed in seeds {
        let mut rng = SmallRng::seed_from_u64(seed);
        let drops = Drops::new(N);
        let nodes: Vec<_> = (0..N).map(|i| Node::new(i, &drops)).collect();
        let weaks: Vec<_> = nodes.iter().map(Gc::downgrade).collect();
        let mut edges = vec![Vec::new(); N];
        for _ in 0..6 * N {
            let (a, b) = (rng.random_range(0..N), rng.random_range(0..N));
            nodes[a].link(&nodes[b]);
            edges[a].push(b);
        }
        let roots: Vec<usize> = (0..N).filter(|_| rng.random_bool(0.3)).collect();
        let kept: Vec<Gc<Node>> = roots.iter().map(|&i| nodes[i].clone()).collect();
        drop(nodes);
        collect();
        check_against_model(&weaks, &drops, &reachable(&edges, &roots), seed);
        drop(kept);
        collect();
        drops.assert_all_once();
    }
}

#[test]
fn many_small_garbage_cycles_interleaved_with_live_ones() {
    const RINGS: usize = if cfg!(miri) { 8 } else { 2_000 };
    let dead = Drops::new(RINGS * 3);
    let live = Drops::new(RINGS * 3);
    let mut keep = Vec::new();
    for r in 0..RINGS {
        // Interleave allocation of live and dead rings so they share pages.
        let d: Vec<_> = (0..3).map(|i| Node::new(r * 3 + i, &dead)).collect();
        let l: Vec<_> = (0..3).map(|i| Node::new(r * 3 + i, &live)).collect();
        for i in 0..3 {
            d[i].link(&d[(i + 1) % 3]);
            l[i].link(&l[(i + 1) % 3]);
        }
        keep.push(l[0].clone());
    }
    collect();
    dead.assert_all_once();
    assert_eq!(live.total(), 0);
    for k in &keep {
        let n1 = k.out.borrow()[0].clone();
        let n2 = n1.out.borrow()[0].clone();
        assert!(Gc::ptr_eq(&n2.out.borrow()[0], k));
    }
    drop(keep);
    collect();
    live.assert_all_once();
}

/// Minor collections only see young objects: they may leave garbage, but must
/// never free a reachable node, and a major collection then finds the rest.
fn random_graph_with_generations(seed: u64) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let drops = Drops::new(N);
    let mut nodes: Vec<Gc<Node>> = Vec::new();
    let mut edges = vec![Vec::new(); N];
    // Allocate in batches with a collection after each, so that old and
    // young objects mix, and edges go both ways between generations.
    for batch in 0..4 {
        for id in batch * N / 4..(batch + 1) * N / 4 {
            nodes.push(Node::new(id, &drops));
        }
        for _ in 0..N / 2 {
            let (a, b) = (
                rng.random_range(0..nodes.len()),
                rng.random_range(0..nodes.len()),
            );
            nodes[a].link(&nodes[b]);
            edges[a].push(b);
        }
        if batch % 2 == 0 {
            collect_minor();
        } else {
            collect();
        }
        assert_eq!(
            drops.total(),
            0,
            "seed {seed}: everything is still rooted by `nodes`"
        );
    }
    let weaks: Vec<_> = nodes.iter().map(Gc::downgrade).collect();
    let roots: Vec<usize> = (0..N).filter(|_| rng.random_bool(0.05)).collect();
    let kept: Vec<Gc<Node>> = roots.iter().map(|&i| nodes[i].clone()).collect();
    drop(nodes);
    // Young garbage may die now; nothing reachable may.
    let live = reachable(&edges, &roots);
    for _ in 0..ROUNDS.min(2) {
        collect_minor();
        for id in 0..N {
            let dropped = drops.get(id);
            assert!(
                dropped <= 1,
                "seed {seed}: node {id} dropped {dropped} times"
            );
            if live[id] {
                assert_eq!(
                    dropped, 0,
                    "seed {seed}: minor collection freed reachable node {id}"
                );
                assert!(weaks[id].upgrade().is_some());
            }
        }
        drop(Gc::new(0_u8));
    }
    collect();
    check_against_model(&weaks, &drops, &live, seed);
    drop(kept);
    collect();
    drops.assert_all_once();
}

#[test]
fn random_graphs_across_generations_never_lose_reachable_nodes() {
    let seeds: &[u64] = if cfg!(miri) {
        &[21]
    } else {
        &[21, 22, 23, 24, 25, 26]
    };
    for &seed in seeds {
        random_graph_with_generations(seed);
    }
}

#[test]
fn minor_collection_frees_young_cycles() {
    let drops = Drops::new(10);
    let old_ring = ring(5, &Drops::new(5));
    collect();
    let young = ring(10, &drops);
    let weaks: Vec<_> = young.iter().map(Gc::downgrade).collect();
    drop(young);
    collect_minor();
    assert!(!weaks.iter().any(alive));
    drops.assert_all_once();
    assert_eq!(old_ring[0].out.borrow()[0].id, 1);
}
