//! A large live heap: `n` nodes in a 4-ary tree whose children point back at
//! their parent (so every node is on a cycle), built once and kept alive
//! while the collector runs; then full collections of it, timed (the
//! full-pause figure). The `Rc` variant points back with `Weak`.

use std::cell::RefCell;
use std::rc::{Rc, Weak as RcWeak};
use std::time::{Duration, Instant};

use rudo_gc::{Gc, GcCell, Trace};

/// Children per node.
const FAN_OUT: usize = 4;

/// `rudo_gc` variant.
pub mod gc {
    use super::*;

    #[derive(Trace)]
    struct Node {
        #[gc(skip)]
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
        let mut frontier = std::collections::VecDeque::from([root.clone()]);
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

    fn sum(root: &Gc<Node>) -> usize {
        let mut total = 0;
        let mut stack = vec![root.clone()];
        while let Some(node) = stack.pop() {
            total += node.id;
            stack.extend(node.children.borrow().iter().cloned());
        }
        total
    }

    /// Builds `n` nodes, checks them, runs `full` collections with the heap
    /// alive (their pauses are returned), then drops it; returns the checksum.
    pub fn run(n: usize, full: usize) -> (usize, Vec<Duration>) {
        let root = build(n);
        let checksum = sum(&root);
        let pauses = (0..full)
            .map(|_| {
                drop(Gc::new(0_u8)); // a change, or the collection is skipped
                let t = Instant::now();
                rudo_gc::collect();
                t.elapsed()
            })
            .collect();
        drop(root);
        (checksum, pauses)
    }
}

/// `Rc` variant: back-pointers are `Weak`.
pub mod rc {
    use super::*;

    struct Node {
        id: usize,
        #[allow(dead_code)]
        parent: RefCell<RcWeak<Node>>,
        children: RefCell<Vec<Rc<Node>>>,
    }

    fn build(n: usize) -> Rc<Node> {
        let node = |id| {
            Rc::new(Node {
                id,
                parent: RefCell::new(RcWeak::new()),
                children: RefCell::new(Vec::with_capacity(FAN_OUT)),
            })
        };
        let root = node(0);
        let mut frontier = std::collections::VecDeque::from([root.clone()]);
        let mut next = 1;
        while next < n {
            let parent = frontier.pop_front().expect("a parent");
            for _ in 0..FAN_OUT.min(n - next) {
                let child = node(next);
                next += 1;
                *child.parent.borrow_mut() = Rc::downgrade(&parent);
                parent.children.borrow_mut().push(child.clone());
                frontier.push_back(child);
            }
        }
        root
    }

    fn sum(root: &Rc<Node>) -> usize {
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
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_variants_sum_the_same_ids() {
        let n = 1000;
        let expected = n * (n - 1) / 2;
        assert_eq!(super::rc::run(n), expected);
        let (checksum, pauses) = super::gc::run(n, 2);
        assert_eq!(checksum, expected);
        assert_eq!(pauses.len(), 2);
    }
}
