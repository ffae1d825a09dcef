//! `bacon_rajan_cc::Cc` nodes: reference counting with Bacon–Rajan cycle
//! collection; the back-pointer to the parent is a strong `Cc`.
//!
//! Every clone dropped while building and summing (the frontier and the
//! stack hold clones) leaves its node in the crate's buffer of possible cycle
//! roots, so by the end nearly every node is buffered. Dropping the root frees
//! nothing (every node is on a cycle through its parent); the one
//! `collect_cycles()` after the drop, the crate's way to free cycles, finds the
//! whole tree dead and frees it. No collection runs while the tree is alive:
//! the crate never collects on its own, and calling it periodically here
//! would trace the whole live tree each time for nothing.

use std::cell::RefCell;
use std::collections::VecDeque;

use bacon_rajan_cc::{Cc, Trace, Tracer, collect_cycles};

use super::FAN_OUT;

/// A tree node.
struct Node {
    id: usize,
    parent: RefCell<Option<Cc<Node>>>,
    children: RefCell<Vec<Cc<Node>>>,
}

impl Trace for Node {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.parent.trace(tracer);
        self.children.trace(tracer);
    }
}

/// Builds `n` nodes (breadth first, parents before children).
fn build(n: usize) -> Cc<Node> {
    let node = |id| {
        Cc::new(Node {
            id,
            parent: RefCell::new(None),
            children: RefCell::new(Vec::with_capacity(FAN_OUT)),
        })
    };
    let root = node(0);
    let mut frontier = VecDeque::from([root.clone()]);
    let mut next = 1;
    while next < n {
        let parent = frontier.pop_front().expect("a parent");
        for _ in 0..FAN_OUT.min(n - next) {
            let child = node(next);
            next += 1;
            *child.parent.borrow_mut() = Some(parent.clone());
            parent.children.borrow_mut().push(child.clone());
            frontier.push_back(child);
        }
    }
    root
}

/// The sum of the ids in the tree under `root`.
fn sum(root: &Cc<Node>) -> usize {
    let mut total = 0;
    let mut stack = vec![root.clone()];
    while let Some(node) = stack.pop() {
        total += node.id;
        stack.extend(node.children.borrow().iter().cloned());
    }
    total
}

/// Builds `n` nodes, checks them, drops them; returns the checksum.
pub fn run(n: usize) -> usize {
    let root = build(n);
    let checksum = sum(&root);
    drop(root);
    collect_cycles();
    checksum
}
