//! `dumpster::sync::Gc` nodes: thread-safe (atomic) reference counting with
//! automatic cycle detection.
//!
//! Nothing to drive: the crate frees a node when its count reaches zero and
//! runs its cycle search by itself, when enough `Gc`s have been dropped since
//! the last one (its default collect condition). Binary trees have no cycles
//! and no node is cloned, so every node is freed by its count. One thread
//! only: this measures what the `Send + Sync` pointer costs a single-threaded
//! program (atomic counts, a global collector state).

use dumpster::Trace;
use dumpster::sync::Gc;

use super::schedule;

/// A tree node.
#[derive(Trace)]
pub(crate) struct Node {
    left: Option<Gc<Node>>,
    right: Option<Gc<Node>>,
}

/// A complete tree of `depth`, built children first.
pub(crate) fn bottom_up(depth: u32) -> Gc<Node> {
    if depth == 0 {
        Gc::new(Node {
            left: None,
            right: None,
        })
    } else {
        Gc::new(Node {
            left: Some(bottom_up(depth - 1)),
            right: Some(bottom_up(depth - 1)),
        })
    }
}

/// The number of nodes under (and including) `node`.
pub(crate) fn check(node: &Node) -> usize {
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
    }
    total + check(&long_lived)
}
