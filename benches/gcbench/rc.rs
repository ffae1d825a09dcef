//! `std::rc::Rc` nodes: reference counting, each tree freed the moment it is
//! dropped. Top-down construction stores into `RefCell` fields and recurses
//! through a shared borrow of the field just set (no count traffic).

use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;

use super::{array, checksum, long_lived_depth, schedule};

/// A tree node.
#[derive(Default)]
#[allow(dead_code)] // `i` and `j`: the original's unused payload
struct Node {
    left: RefCell<Option<Rc<Node>>>,
    right: RefCell<Option<Rc<Node>>>,
    i: i32,
    j: i32,
}

/// Gives `node` a complete subtree of `depth` below it, top down.
fn populate(depth: u32, node: &Node) {
    if depth > 0 {
        *node.left.borrow_mut() = Some(Rc::default());
        *node.right.borrow_mut() = Some(Rc::default());
        populate(depth - 1, node.left.borrow().as_deref().expect("just set"));
        populate(depth - 1, node.right.borrow().as_deref().expect("just set"));
    }
}

/// A complete tree of `depth`, built bottom up.
fn make_tree(depth: u32) -> Rc<Node> {
    if depth == 0 {
        Rc::default()
    } else {
        Rc::new(Node {
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
    let long_lived = Rc::<Node>::default();
    populate(long_lived_depth(stretch), &long_lived);
    let array = Rc::new(array());
    for (depth, iterations) in schedule(stretch) {
        for _ in 0..iterations {
            let temp = Rc::<Node>::default();
            populate(depth, &temp);
            drop(black_box(temp));
        }
        for _ in 0..iterations {
            drop(black_box(make_tree(depth)));
        }
    }
    checksum(stretch, walk(&long_lived), &array)
}
