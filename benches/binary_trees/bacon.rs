//! `bacon_rajan_cc::Cc` nodes: reference counting with Bacon–Rajan cycle
//! collection.
//!
//! The crate frees a node as soon as its count reaches zero and leaves
//! cycles to `collect_cycles()`, which its docs ask the user to call at
//! opportune moments; this port calls it once per depth of the schedule and
//! once at the end. Binary trees have no cycles and no node is ever cloned,
//! so every node is freed by its count and those calls find nothing to do:
//! here the crate is plain reference counting with a bigger header.

use bacon_rajan_cc::{Cc, Trace, Tracer, collect_cycles};

use super::schedule;

/// A tree node.
struct Node {
    left: Option<Cc<Node>>,
    right: Option<Cc<Node>>,
}

impl Trace for Node {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.left.trace(tracer);
        self.right.trace(tracer);
    }
}

/// A complete tree of `depth`, built children first.
fn bottom_up(depth: u32) -> Cc<Node> {
    if depth == 0 {
        Cc::new(Node {
            left: None,
            right: None,
        })
    } else {
        Cc::new(Node {
            left: Some(bottom_up(depth - 1)),
            right: Some(bottom_up(depth - 1)),
        })
    }
}

/// The number of nodes under (and including) `node`.
fn check(node: &Node) -> usize {
    1 + node.left.as_deref().map_or(0, check) + node.right.as_deref().map_or(0, check)
}

/// Runs the benchmark for `max_depth`; returns the number of nodes checked.
pub fn run(max_depth: u32) -> usize {
    let mut total = check(&bottom_up(max_depth + 1));
    let long_lived = bottom_up(max_depth);
    for (depth, iterations) in schedule(max_depth) {
        for _ in 0..iterations {
            total += check(&bottom_up(depth));
        }
        collect_cycles();
    }
    total += check(&long_lived);
    drop(long_lived);
    collect_cycles();
    total
}
