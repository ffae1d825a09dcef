//! `rudo_gc::Gc` nodes from the last published `rudo-gc` (0.8.19, imported
//! as `rudo_published`): the crate this repository's collector replaces, a
//! generational, conservatively stack-scanning mark-sweep collector.
//!
//! Nothing to drive: it collects by itself (its default collect condition).
//! The code is the same as our `gc` variant's; only the derive needs to be
//! told the crate's renamed path.
//!
//! Measured failures of 0.8.19 (not worked around): in optimized builds
//! (`--release`, the benchmark configuration) the first `Gc::new` never
//! returns: `GlobalSegmentManager::allocate_page` finds the address of the page
//! it has just mapped among the stack slots and registers it scans for false
//! roots, quarantines the page and maps another, forever. In debug builds it
//! runs, but it spends its time in collections started from `Gc` drops once the
//! heap is large: depth 10 takes 0.7 s, 12 takes 27 s, 14 more than a minute
//! (ours: 0.04, 0.2, 1.2 s in debug).

use rudo_published::{Gc, Trace};

use super::schedule;

/// A tree node.
#[derive(Trace)]
#[rudo_gc(crate = rudo_published)]
struct Node {
    left: Option<Gc<Node>>,
    right: Option<Gc<Node>>,
}

/// A complete tree of `depth`, built children first.
fn bottom_up(depth: u32) -> Gc<Node> {
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
    }
    total + check(&long_lived)
}
