//! `rudo_gc::Gc` nodes from the last published `rudo-gc` (0.8.19, imported
//! as `rudo_published`): a generational, conservatively stack-scanning
//! mark-sweep collector; the back-pointer to the parent is a strong `Gc`.
//!
//! Nothing to drive: it collects by itself (its default collect condition).
//! The code is the same as our `gc` variant's (`GcCell` cells) without the
//! timed full collections; only the derive needs to be told the crate's
//! renamed path.
//!
//! Measured failures of 0.8.19 (not worked around): in optimized builds
//! (`--release`, the benchmark configuration) the first `Gc::new` never
//! returns: `GlobalSegmentManager::allocate_page` finds the address of the page
//! it has just mapped among the stack slots and registers it scans for false
//! roots, quarantines the page and maps another, forever. In debug builds it
//! runs, but it spends its time in collections started from `Gc` drops once the
//! heap is large: 50 000 nodes take 0.3 s, 100 000 more than a minute.

use std::collections::VecDeque;

use rudo_published::{Gc, GcCell, Trace};

use super::FAN_OUT;

/// A tree node.
#[derive(Trace)]
#[rudo_gc(crate = rudo_published)]
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
