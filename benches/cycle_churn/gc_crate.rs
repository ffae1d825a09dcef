//! `gc::Gc` nodes (the `gc` crate, rust-gc): a thread-local mark-and-sweep
//! collector whose pointers count how often they are held from outside the
//! GC heap (roots) instead of scanning the stack.
//!
//! Nothing to drive: `Gc::new` collects by itself once the bytes allocated
//! since the last collection pass a threshold that grows with the heap, and
//! the dead structures are freed by those collections. Edge lists are
//! `GcCell`s, the crate's traced `RefCell`.

// `gc_derive` 0.5 puts its impls in a `const _DERIVE_…: () = { … }` block,
// which this lint flags at every derive; nothing to fix on our side.
#![allow(non_local_definitions)]

use ::gc::{Finalize, Gc, GcCell, Trace};

use super::{GROUP, XorShift, edges};

/// A graph node.
#[derive(Trace, Finalize)]
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
