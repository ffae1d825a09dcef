//! `gc::Gc` nodes (the `gc` crate, rust-gc): a thread-local mark-and-sweep
//! collector whose pointers count how often they are held from outside the
//! GC heap (roots). Nothing to drive: `Gc::new` collects by itself once the
//! bytes allocated since the last collection pass a threshold that grows
//! with the heap; dropped trees are freed only by those collections. Fields
//! are `GcCell`s, the crate's traced `RefCell`; top-down construction
//! recurses through a shared borrow of the field just set.

// `gc_derive` 0.5 puts its impls in a `const _DERIVE_…: () = { … }` block,
// which this lint flags at every derive; nothing to fix on our side.
#![allow(non_local_definitions)]

use std::hint::black_box;

use ::gc::{Finalize, Gc, GcCell, Trace};

use super::{array, checksum, long_lived_depth, schedule};

/// A tree node.
#[derive(Trace, Finalize)]
struct Node {
    left: GcCell<Option<Gc<Node>>>,
    right: GcCell<Option<Gc<Node>>>,
    i: i32,
    j: i32,
}

/// A node with no children.
fn leaf() -> Gc<Node> {
    Gc::new(Node {
        left: GcCell::new(None),
        right: GcCell::new(None),
        i: 0,
        j: 0,
    })
}

/// Gives `node` a complete subtree of `depth` below it, top down.
fn populate(depth: u32, node: &Node) {
    if depth > 0 {
        *node.left.borrow_mut() = Some(leaf());
        *node.right.borrow_mut() = Some(leaf());
        populate(depth - 1, node.left.borrow().as_deref().expect("just set"));
        populate(depth - 1, node.right.borrow().as_deref().expect("just set"));
    }
}

/// A complete tree of `depth`, built bottom up.
fn make_tree(depth: u32) -> Gc<Node> {
    if depth == 0 {
        leaf()
    } else {
        Gc::new(Node {
            left: GcCell::new(Some(make_tree(depth - 1))),
            right: GcCell::new(Some(make_tree(depth - 1))),
            i: 0,
            j: 0,
        })
    }
}

/// The nodes under (and including) `node`.
fn walk(node: &Node) -> usize {
    1 + node.left.borrow().as_deref().map_or(0, walk)
        + node.right.borrow().as_deref().map_or(0, walk)
}

/// Runs GCBench at stretch depth `stretch`; returns its checksum.
pub fn run(stretch: u32) -> usize {
    drop(black_box(make_tree(stretch)));
    let long_lived = leaf();
    populate(long_lived_depth(stretch), &long_lived);
    let array = Gc::new(array());
    for (depth, iterations) in schedule(stretch) {
        for _ in 0..iterations {
            let temp = leaf();
            populate(depth, &temp);
            drop(black_box(temp));
        }
        for _ in 0..iterations {
            drop(black_box(make_tree(depth)));
        }
    }
    checksum(stretch, walk(&long_lived), &array)
}
