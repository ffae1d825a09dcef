//! `gc::Gc` nodes (the `gc` crate, rust-gc): a thread-local mark-and-sweep
//! collector whose pointers count how often they are held from outside the
//! GC heap (roots); the back-pointer to the parent is a strong `Gc`.
//!
//! Nothing to drive: `Gc::new` collects by itself once the bytes allocated
//! since the last collection pass a threshold that grows with the heap, so
//! collections run while the tree grows and each marks all of it (the
//! marking is recursive, but its depth is bounded by the tree's height).
//! Dropping the root leaves the tree to the next collection. Cells are
//! `GcCell`s, the crate's traced `RefCell`.

// `gc_derive` 0.5 puts its impls in a `const _DERIVE_…: () = { … }` block,
// which this lint flags at every derive; nothing to fix on our side.
#![allow(non_local_definitions)]

use std::collections::VecDeque;

use ::gc::{Finalize, Gc, GcCell, Trace};

use super::FAN_OUT;

/// A tree node.
#[derive(Trace, Finalize)]
struct Node {
    id: usize,
    parent: GcCell<Option<Gc<Node>>>,
    children: GcCell<Vec<Gc<Node>>>,
}

/// Builds `n` nodes (breadth first, parents before children).
fn build(n: usize) -> Gc<Node> {
    let node = |id| {
        Gc::new(Node {
            id,
            parent: GcCell::new(None),
            children: GcCell::new(Vec::with_capacity(FAN_OUT)),
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
