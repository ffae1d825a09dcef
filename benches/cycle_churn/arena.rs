//! `gc_arena::Gc` nodes (gc-arena): an incremental mark-and-sweep collector
//! confined to an `Arena`, with `Copy` pointers branded by the arena's `'gc`
//! lifetime.
//!
//! Driven the way the crate's docs describe: one round is one `mutate` call
//! (the structure is built, summed and abandoned inside it; nothing survives
//! a round, so the arena's root is `()`), and `collect_debt()` runs after each
//! round, doing as much incremental work as the round's allocation paid for.
//! Nodes are `Gc<RefLock<Node>>`, as in the crate's linked-list example
//! (`borrow_mut` takes the `Mutation` context for the write barrier). An edge
//! is a pointer copy: no count to bump.
//!
//! Approximation: the collector never runs in the middle of a round, and a
//! dead structure is freed only as the debt of later rounds pays for it.

use gc_arena::{Arena, Collect, Gc, Mutation, RefLock, Rootable};

use super::{GROUP, XorShift, edges};

/// A graph node.
#[derive(Collect)]
#[collect(no_drop)]
struct Node<'gc> {
    id: usize,
    out: Vec<NodePtr<'gc>>,
}

/// A pointer to a node, mutable through the arena's write barrier.
type NodePtr<'gc> = Gc<'gc, RefLock<Node<'gc>>>;

/// Builds structure `round` in the arena, sums it and abandons it.
fn one_round<'gc>(mc: &Mutation<'gc>, round: usize, rng: &mut XorShift) -> usize {
    let nodes: Vec<NodePtr<'gc>> = (0..GROUP)
        .map(|id| {
            Gc::new(
                mc,
                RefLock::new(Node {
                    id,
                    out: Vec::new(),
                }),
            )
        })
        .collect();
    for (a, b) in edges(round, rng) {
        nodes[a].borrow_mut(mc).out.push(nodes[b]);
    }
    nodes
        .iter()
        .map(|n| {
            let n = n.borrow();
            n.out.len() + n.id
        })
        .sum()
}

/// Builds and drops `rounds` structures; returns a checksum.
pub fn run(rounds: usize) -> usize {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut arena = Arena::<Rootable![()]>::new(|_| ());
    let mut sum = 0;
    for round in 0..rounds {
        sum += arena.mutate(|mc, _| one_round(mc, round, &mut rng));
        arena.collect_debt();
    }
    sum
}
