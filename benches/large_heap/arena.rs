//! `gc_arena::Gc` nodes (gc-arena): an incremental mark-and-sweep collector
//! confined to an `Arena`; the back-pointer to the parent is a strong `Gc`.
//!
//! Driven the way the crate's docs describe: the tree under construction
//! (its root and the breadth-first frontier) is the arena's root; the tree is
//! built in `mutate_root` steps of [`STEP`] nodes with `collect_debt()`
//! between steps, so the incremental collector marks the growing heap as the
//! others' collections do. The sum runs in one `mutate` call. Dropping the
//! arena frees the tree (there is nothing left to collect it for). Nodes are
//! `Gc<RefLock<Node>>`, as in the crate's linked-list example.
//!
//! Approximation: collection work can only happen between steps, and the
//! frontier lives in the root (the other variants keep it on the stack).

use std::collections::VecDeque;

use gc_arena::{Arena, Collect, Gc, Mutation, RefLock, Rootable};

use super::FAN_OUT;

/// Nodes built per `mutate_root` call.
pub const STEP: usize = 256;

/// A tree node.
#[derive(Collect)]
#[collect(no_drop)]
struct Node<'gc> {
    id: usize,
    parent: Option<NodePtr<'gc>>,
    children: Vec<NodePtr<'gc>>,
}

/// A pointer to a node, mutable through the arena's write barrier.
type NodePtr<'gc> = Gc<'gc, RefLock<Node<'gc>>>;

/// The arena's root: the tree built so far.
#[derive(Collect)]
#[collect(no_drop)]
struct Tree<'gc> {
    root: NodePtr<'gc>,
    frontier: VecDeque<NodePtr<'gc>>,
    next: usize,
}

/// A new node with no parent and no children.
fn node<'gc>(mc: &Mutation<'gc>, id: usize) -> NodePtr<'gc> {
    Gc::new(
        mc,
        RefLock::new(Node {
            id,
            parent: None,
            children: Vec::with_capacity(FAN_OUT),
        }),
    )
}

impl<'gc> Tree<'gc> {
    /// Adds up to `STEP` nodes, breadth first, stopping at `n`; returns
    /// whether the tree is complete.
    fn grow(&mut self, mc: &Mutation<'gc>, n: usize) -> bool {
        let stop = n.min(self.next + STEP);
        while self.next < stop {
            let parent = self.frontier.pop_front().expect("a parent");
            for _ in 0..FAN_OUT.min(n - self.next) {
                let child = node(mc, self.next);
                self.next += 1;
                child.borrow_mut(mc).parent = Some(parent);
                parent.borrow_mut(mc).children.push(child);
                self.frontier.push_back(child);
            }
        }
        self.next >= n
    }

    /// The sum of the ids in the tree.
    fn sum(&self) -> usize {
        let mut total = 0;
        let mut stack = vec![self.root];
        while let Some(node) = stack.pop() {
            let node = node.borrow();
            total += node.id;
            stack.extend(node.children.iter().copied());
        }
        total
    }
}

/// Builds `n` nodes, checks them, drops them; returns the checksum.
pub fn run(n: usize) -> usize {
    let mut arena = Arena::<Rootable![Tree<'_>]>::new(|mc| {
        let root = node(mc, 0);
        Tree {
            root,
            frontier: VecDeque::from([root]),
            next: 1,
        }
    });
    while !arena.mutate_root(|mc, tree| tree.grow(mc, n)) {
        arena.collect_debt();
    }
    arena.collect_debt();
    let checksum = arena.mutate(|_, tree| tree.sum());
    drop(arena);
    checksum
}
