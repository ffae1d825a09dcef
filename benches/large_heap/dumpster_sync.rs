//! `dumpster::sync::Gc` nodes: thread-safe (atomic) reference counting with
//! automatic cycle detection; the back-pointer to the parent is a strong
//! `Gc`.
//!
//! Nothing to drive: as in `dumpster::unsync`, every clone dropped while
//! building and summing makes its node a candidate for the crate's cycle
//! search, which runs by itself once enough `Gc`s have been dropped (its
//! default collect condition) and, through the parent pointers, traces the
//! whole live tree. Cells are `RwLock`s (the pointee must be `Sync`). One
//! thread only: this measures what the `Send + Sync` pointer costs a
//! single-threaded program.

use std::collections::VecDeque;
use std::sync::RwLock;

use dumpster::Trace;
use dumpster::sync::Gc;

use super::FAN_OUT;

/// A tree node.
#[derive(Trace)]
struct Node {
    id: usize,
    parent: RwLock<Option<Gc<Node>>>,
    children: RwLock<Vec<Gc<Node>>>,
}

/// Builds `n` nodes (breadth first, parents before children).
fn build(n: usize) -> Gc<Node> {
    let node = |id| {
        Gc::new(Node {
            id,
            parent: RwLock::new(None),
            children: RwLock::new(Vec::with_capacity(FAN_OUT)),
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
            *child.parent.write().expect("no panic while locked") = Some(parent.clone());
            parent
                .children
                .write()
                .expect("no panic while locked")
                .push(child.clone());
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
        stack.extend(
            node.children
                .read()
                .expect("no panic while locked")
                .iter()
                .cloned(),
        );
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
