//! `gc::Gc` nodes (the `gc` crate, rust-gc): a thread-local mark-and-sweep
//! collector whose pointers count how often they are held from outside the
//! GC heap (roots) instead of scanning the stack.
//!
//! Nothing to drive: `Gc::new` collects by itself once the bytes allocated
//! since the last collection pass a threshold that grows with the heap. A
//! dead tree is freed only by such a collection (the root counts are not
//! reference counts), as with our collector.

// `gc_derive` 0.5 puts its impls in a `const _DERIVE_…: () = { … }` block,
// which this lint flags at every derive; nothing to fix on our side.
#![allow(non_local_definitions)]

use ::gc::{Finalize, Gc, Trace};

use super::schedule;

/// A tree node.
#[derive(Trace, Finalize)]
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
