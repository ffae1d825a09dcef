//! `gc_arena::Gc` nodes (gc-arena): an incremental mark-and-sweep collector
//! confined to an `Arena`, with `Copy` pointers branded by the arena's `'gc`
//! lifetime.
//!
//! Driven the way the crate's docs describe: the long-lived tree and array
//! are the arena's root; every other tree is built inside one `mutate` call
//! (and is unreachable once it returns), with `collect_debt()` after each,
//! doing as much incremental work as that tree's allocation paid for. Nodes
//! are `Gc<RefLock<Node>>`, as in the crate's linked-list example: top-down
//! construction stores children with `borrow_mut(mc)` (the write barrier).
//!
//! Approximations: the collector never runs in the middle of one tree (the
//! stretch tree, `TreeSize(s)` nodes, is allocated in one call), and it paces
//! itself by the bytes it allocates, which count the array's `Vec` header but
//! not its 4 MB buffer (gc-arena 0.7 has no way to report it short of
//! adjusting the debt by hand).

use std::hint::black_box;

use gc_arena::{Arena, Collect, Gc, Mutation, RefLock, Rootable};

use super::{array, checksum, long_lived_depth, schedule};

/// A tree node.
#[derive(Collect)]
#[collect(no_drop)]
struct Node<'gc> {
    left: Option<NodePtr<'gc>>,
    right: Option<NodePtr<'gc>>,
    i: i32,
    j: i32,
}

/// A pointer to a node, mutable through the arena's write barrier.
type NodePtr<'gc> = Gc<'gc, RefLock<Node<'gc>>>;

/// The arena's root: the long-lived data, once built.
#[derive(Collect)]
#[collect(no_drop)]
struct LongLived<'gc> {
    tree: Option<NodePtr<'gc>>,
    array: Option<Gc<'gc, Vec<f64>>>,
}

/// A node with these children.
fn node<'gc>(
    mc: &Mutation<'gc>,
    left: Option<NodePtr<'gc>>,
    right: Option<NodePtr<'gc>>,
) -> NodePtr<'gc> {
    Gc::new(
        mc,
        RefLock::new(Node {
            left,
            right,
            i: 0,
            j: 0,
        }),
    )
}

/// Gives `node` a complete subtree of `depth` below it, top down.
fn populate<'gc>(mc: &Mutation<'gc>, depth: u32, parent: NodePtr<'gc>) {
    if depth > 0 {
        let (left, right) = (node(mc, None, None), node(mc, None, None));
        {
            let mut parent = parent.borrow_mut(mc);
            parent.left = Some(left);
            parent.right = Some(right);
        }
        populate(mc, depth - 1, left);
        populate(mc, depth - 1, right);
    }
}

/// A complete tree of `depth`, built bottom up.
fn make_tree<'gc>(mc: &Mutation<'gc>, depth: u32) -> NodePtr<'gc> {
    if depth == 0 {
        node(mc, None, None)
    } else {
        let left = make_tree(mc, depth - 1);
        let right = make_tree(mc, depth - 1);
        node(mc, Some(left), Some(right))
    }
}

/// The nodes under (and including) `node`.
fn walk(node: NodePtr<'_>) -> usize {
    let node = node.borrow();
    1 + node.left.map_or(0, walk) + node.right.map_or(0, walk)
}

/// Runs GCBench at stretch depth `stretch`; returns its checksum.
pub fn run(stretch: u32) -> usize {
    let mut arena = Arena::<Rootable![LongLived<'_>]>::new(|_| LongLived {
        tree: None,
        array: None,
    });
    arena.mutate(|mc, _| {
        black_box(make_tree(mc, stretch));
    });
    arena.collect_debt();
    arena.mutate_root(|mc, root| {
        let tree = node(mc, None, None);
        populate(mc, long_lived_depth(stretch), tree);
        root.tree = Some(tree);
    });
    arena.collect_debt();
    arena.mutate_root(|mc, root| root.array = Some(Gc::new(mc, array())));
    arena.collect_debt();
    for (depth, iterations) in schedule(stretch) {
        for _ in 0..iterations {
            arena.mutate(|mc, _| {
                let temp = node(mc, None, None);
                populate(mc, depth, temp);
                black_box(temp);
            });
            arena.collect_debt();
        }
        for _ in 0..iterations {
            arena.mutate(|mc, _| {
                black_box(make_tree(mc, depth));
            });
            arena.collect_debt();
        }
    }
    arena.mutate(|_, root| {
        let tree = root.tree.expect("the long-lived tree");
        let array = root.array.expect("the long-lived array");
        checksum(stretch, walk(tree), &array)
    })
}
