//! `rudo_gc::Gc` nodes from the last published `rudo-gc` (0.8.19, imported
//! as `rudo_published`): a generational, conservatively stack-scanning
//! mark-sweep collector.
//!
//! Nothing to drive: it collects by itself (its default collect condition).
//! The code is the same as our `gc` variant's (`GcCell` edge lists); only the
//! derive needs to be told the crate's renamed path.
//!
//! Measured failures of 0.8.19 (not worked around): in optimized builds
//! (`--release`, the benchmark configuration) the first `Gc::new` never
//! returns: `GlobalSegmentManager::allocate_page` finds the address of the page
//! it has just mapped among the stack slots and registers it scans for false
//! roots, quarantines the page and maps another, forever. In debug builds it
//! runs, but it frees live nodes: from about 100 rounds on (50 pass) it panics
//! with "Gc::deref: slot has been swept and reused" while adding an edge.

use rudo_published::{Gc, GcCell, Trace};

use super::{GROUP, XorShift, edges};

/// A graph node.
#[derive(Trace)]
#[rudo_gc(crate = rudo_published)]
struct Node {
    id: usize,
    out: GcCell<Vec<Gc<Node>>>,
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
                    out: GcCell::new(Vec::new()),
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
