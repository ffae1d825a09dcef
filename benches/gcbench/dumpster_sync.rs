//! `dumpster::sync::Gc` nodes: thread-safe (atomic) reference counting with
//! automatic cycle detection. Nothing to drive; trees have no cycles and
//! top-down construction recurses through a read lock of the field just set
//! (no clones), so every tree is freed by its counts the moment it is
//! dropped. Fields are `RwLock`s (the pointee must be `Sync`; a read lock
//! still lets the collector trace through the field). One thread only: this
//! measures what the `Send + Sync` pointer costs a single-threaded program.

use std::hint::black_box;
use std::sync::RwLock;

use dumpster::Trace;
use dumpster::sync::Gc;

use super::{array, checksum, long_lived_depth, schedule};

/// A tree node.
#[derive(Trace)]
struct Node {
    left: RwLock<Option<Gc<Node>>>,
    right: RwLock<Option<Gc<Node>>>,
    i: i32,
    j: i32,
}

/// A node with no children.
fn leaf() -> Gc<Node> {
    Gc::new(Node {
        left: RwLock::new(None),
        right: RwLock::new(None),
        i: 0,
        j: 0,
    })
}

/// Sets `field` to `value`.
fn set(field: &RwLock<Option<Gc<Node>>>, value: Gc<Node>) {
    *field.write().expect("no panic while locked") = Some(value);
}

/// Gives `node` a complete subtree of `depth` below it, top down.
fn populate(depth: u32, node: &Node) {
    if depth > 0 {
        set(&node.left, leaf());
        set(&node.right, leaf());
        for field in [&node.left, &node.right] {
            let child = field.read().expect("no panic while locked");
            populate(depth - 1, child.as_deref().expect("just set"));
        }
    }
}

/// A complete tree of `depth`, built bottom up.
fn make_tree(depth: u32) -> Gc<Node> {
    if depth == 0 {
        leaf()
    } else {
        Gc::new(Node {
            left: RwLock::new(Some(make_tree(depth - 1))),
            right: RwLock::new(Some(make_tree(depth - 1))),
            i: 0,
            j: 0,
        })
    }
}

/// The nodes under (and including) `node`.
fn walk(node: &Node) -> usize {
    1 + [&node.left, &node.right]
        .into_iter()
        .map(|field| {
            let child = field.read().expect("no panic while locked");
            child.as_deref().map_or(0, walk)
        })
        .sum::<usize>()
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
