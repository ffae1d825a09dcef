//! `dumpster::unsync::Gc` nodes: thread-local reference counting with
//! automatic cycle detection; the back-pointer to the parent is a strong
//! `Gc`.
//!
//! Nothing to drive: every clone dropped while building and summing (the
//! frontier and the stack hold clones) makes its node a candidate for the
//! crate's cycle search, which runs by itself whenever more `Gc`s have been
//! dropped since the last one than exist (its default collect condition);
//! each search from a live candidate traces the part of the tree it can
//! reach, which, through the parent pointers, is all of it. Dropping the
//! root leaves the tree to the next such search.

use std::cell::RefCell;
use std::collections::VecDeque;

use dumpster::Trace;
use dumpster::unsync::Gc;

use super::FAN_OUT;

/// A tree node.
#[derive(Trace)]
struct Node {
    id: usize,
    parent: RefCell<Option<Gc<Node>>>,
    children: RefCell<Vec<Gc<Node>>>,
}

/// Builds `n` nodes (breadth first, parents before children).
fn build(n: usize) -> Gc<Node> {
    let node = |id| {
        Gc::new(Node {
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
fn sum(root: &Gc<Node>) -> usize {
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
    checksum
}
