//! `dumpster::sync::Gc` nodes: thread-safe (atomic) reference counting with
//! automatic cycle detection.
//!
//! Nothing to drive: as in `dumpster::unsync`, dropping a `Gc` whose count
//! stays positive makes its allocation a candidate, and the crate searches
//! the candidates for dead cycles by itself once enough `Gc`s have been
//! dropped (its default collect condition). Edge lists are `RwLock`s (the
//! pointee must be `Sync`; the collector traces a locked one only if it can
//! take a read lock). One thread only: this measures what the `Send + Sync`
//! pointer costs a single-threaded program.

use std::sync::RwLock;

use dumpster::Trace;
use dumpster::sync::Gc;

use super::{GROUP, XorShift, edges};

/// A graph node.
#[derive(Trace)]
struct Node {
    id: usize,
    out: RwLock<Vec<Gc<Node>>>,
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
                    out: RwLock::new(Vec::new()),
                })
            })
            .collect();
        for (a, b) in edges(round, &mut rng) {
            nodes[a]
                .out
                .write()
                .expect("no panic while locked")
                .push(nodes[b].clone());
        }
        sum += nodes
            .iter()
            .map(|n| n.out.read().expect("no panic while locked").len() + n.id)
            .sum::<usize>();
    }
    sum
}
