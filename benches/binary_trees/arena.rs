//! `gc_arena::Gc` nodes (gc-arena): an incremental mark-and-sweep collector
//! confined to an `Arena`, whose pointers are plain `Copy` machine pointers
//! branded with the arena's `'gc` lifetime.
//!
//! Driven the way the crate's docs describe: the long-lived tree is the
//! arena's root; each tree is built and checked inside one `mutate` call
//! (no collection can happen inside one, and nothing but the root survives
//! it), and `collect_debt()` runs between calls, doing as much incremental
//! work as the allocation since the last call has paid for. The short-lived
//! trees are unreachable as soon as their `mutate` returns.
//!
//! Approximation: the collector never runs in the middle of building one
//! tree (the largest, the stretch tree, is `2^(max_depth + 2) - 1` nodes
//! allocated in one call); the other collectors may.

use gc_arena::{Arena, Collect, Gc, Rootable};

use super::schedule;

/// A tree node.
#[derive(Collect)]
#[collect(no_drop)]
struct Node<'gc> {
    left: Option<Gc<'gc, Node<'gc>>>,
    right: Option<Gc<'gc, Node<'gc>>>,
}

/// The arena's root: the long-lived tree, once built.
type Root = Rootable![Option<Gc<'_, Node<'_>>>];

/// A complete tree of `depth`, built children first.
fn bottom_up<'gc>(mc: &gc_arena::Mutation<'gc>, depth: u32) -> Gc<'gc, Node<'gc>> {
    if depth == 0 {
        Gc::new(
            mc,
            Node {
                left: None,
                right: None,
            },
        )
    } else {
        Gc::new(
            mc,
            Node {
                left: Some(bottom_up(mc, depth - 1)),
                right: Some(bottom_up(mc, depth - 1)),
            },
        )
    }
}

/// The number of nodes under (and including) `node`.
fn check(node: &Node<'_>) -> usize {
    1 + node.left.as_deref().map_or(0, check) + node.right.as_deref().map_or(0, check)
}

/// Runs the benchmark for `max_depth`; returns the number of nodes checked.
pub fn run(max_depth: u32) -> usize {
    let mut arena = Arena::<Root>::new(|_| None);
    let mut total = arena.mutate(|mc, _| check(&bottom_up(mc, max_depth + 1)));
    arena.collect_debt();
    arena.mutate_root(|mc, root| *root = Some(bottom_up(mc, max_depth)));
    arena.collect_debt();
    for (depth, iterations) in schedule(max_depth) {
        for _ in 0..iterations {
            total += arena.mutate(|mc, _| check(&bottom_up(mc, depth)));
            arena.collect_debt();
        }
    }
    total + arena.mutate(|_, root| check(root.as_ref().expect("the long-lived tree")))
}
