//! `dumpster::unsync::Gc` nodes: thread-local reference counting with
//! automatic cycle detection.
//!
//! Nothing to drive: when a `Gc` is dropped without its count reaching zero,
//! the crate remembers its allocation as a candidate, and once more `Gc`s have
//! been dropped since the last collection than exist (its default collect
//! condition) it searches the candidates for dead cycles by itself. Edge
//! lists are `RefCell`s, as in the crate's own examples.

use std::cell::RefCell;

use dumpster::Trace;
use dumpster::unsync::Gc;

use super::{GROUP, XorShift, edges};

/// A graph node.
#[derive(Trace)]
struct Node {
    id: usize,
    out: RefCell<Vec<Gc<Node>>>,
}

/// Builds and drops `rounds` structures; returns a checksum.
pub fn run(rounds: usize) -> usize {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut sum = 0;
    for round in 0..rounds {
        let nodes: Vec<Gc<Node>> = (0..GROUP)
            .map(|id| {
                Gc::new(Node {
                    id,
                    out: RefCell::new(Vec::new()),
                })
            })
            .collect();
        for (a, b) in edges(round, &mut rng) {
            nodes[a].out.borrow_mut().push(nodes[b].clone());
        }
        sum += nodes
            .iter()
            .map(|n| n.out.borrow().len() + n.id)
            .sum::<usize>();
    }
    sum
}
