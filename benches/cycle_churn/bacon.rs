//! `bacon_rajan_cc::Cc` nodes: reference counting with Bacon–Rajan cycle
//! collection.
//!
//! The crate frees what its counts can and buffers every pointer whose count
//! was decremented without reaching zero as a possible cycle root; the
//! user calls `collect_cycles()` to find the dead cycles among them. This port
//! calls it once per round, after the structure is dropped, so every round
//! starts from an empty heap (the cycle-search cost is paid for exactly one
//! dead structure each time).

use std::cell::RefCell;

use bacon_rajan_cc::{Cc, Trace, Tracer, collect_cycles};

use super::{GROUP, XorShift, edges};

/// A graph node.
struct Node {
    id: usize,
    out: RefCell<Vec<Cc<Node>>>,
}

impl Trace for Node {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.out.trace(tracer);
    }
}

/// Builds and drops `rounds` structures; returns a checksum.
pub fn run(rounds: usize) -> usize {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut sum = 0;
    for round in 0..rounds {
        let nodes: Vec<Cc<Node>> = (0..GROUP)
            .map(|id| {
                Cc::new(Node {
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
        drop(nodes);
        collect_cycles();
    }
    sum
}
