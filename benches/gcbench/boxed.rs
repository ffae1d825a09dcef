//! `Box` nodes: single ownership, freed the moment a tree is dropped (the
//! lower bound). Top-down construction writes through `&mut`.

use std::hint::black_box;

use super::{array, checksum, long_lived_depth, schedule};

/// A tree node.
#[derive(Default)]
#[allow(dead_code)] // `i` and `j`: the original's unused payload
struct Node {
    left: Option<Box<Node>>,
    right: Option<Box<Node>>,
    i: i32,
    j: i32,
}

/// Gives `node` a complete subtree of `depth` below it, top down.
fn populate(depth: u32, node: &mut Node) {
    if depth > 0 {
        node.left = Some(Box::default());
        node.right = Some(Box::default());
        populate(depth - 1, node.left.as_deref_mut().expect("just set"));
        populate(depth - 1, node.right.as_deref_mut().expect("just set"));
    }
}

/// A complete tree of `depth`, built bottom up.
fn make_tree(depth: u32) -> Box<Node> {
    if depth == 0 {
        Box::default()
    } else {
        Box::new(Node {
            left: Some(make_tree(depth - 1)),
            right: Some(make_tree(depth - 1)),
            i: 0,
            j: 0,
        })
    }
}

/// The nodes under (and including) `node`.
fn walk(node: &Node) -> usize {
    1 + node.left.as_deref().map_or(0, walk) + node.right.as_deref().map_or(0, walk)
}

/// Runs GCBench at stretch depth `stretch`; returns its checksum.
pub fn run(stretch: u32) -> usize {
    drop(black_box(make_tree(stretch)));
    let mut long_lived = Box::<Node>::default();
    populate(long_lived_depth(stretch), &mut long_lived);
    let array = Box::new(array());
    for (depth, iterations) in schedule(stretch) {
        for _ in 0..iterations {
            let mut temp = Box::<Node>::default();
            populate(depth, &mut temp);
            drop(black_box(temp));
        }
        for _ in 0..iterations {
            drop(black_box(make_tree(depth)));
        }
    }
    checksum(stretch, walk(&long_lived), &array)
}
