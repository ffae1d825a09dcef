//! `dumpster::unsync::Gc` nodes: thread-local reference counting with
//! automatic cycle detection. Nothing to drive (the crate decides when to
//! search for cycles); trees have no cycles and top-down construction
//! recurses through a shared borrow of the field just set (no clones), so
//! every tree is freed by its counts the moment it is dropped. Fields are
//! `RefCell`s, as in the crate's examples.

use std::cell::RefCell;
use std::hint::black_box;

use dumpster::Trace;
use dumpster::unsync::Gc;

use super::{array, checksum, long_lived_depth, schedule};

/// A tree node.
#[derive(Trace)]
struct Node {
    left: RefCell<Option<Gc<Node>>>,
    right: RefCell<Option<Gc<Node>>>,
    i: i32,
    j: i32,
}

/// A node with no children.
fn leaf() -> Gc<Node> {
    Gc::new(Node {
        left: RefCell::new(None),
        right: RefCell::new(None),
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
            left: RefCell::new(Some(make_tree(depth - 1))),
            right: RefCell::new(Some(make_tree(depth - 1))),
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
