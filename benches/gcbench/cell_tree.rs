//! The GCBench port shared by every collector whose pointer has `new` and
//! whose mutable field is a cell with `new`, `borrow` and `borrow_mut`
//! (`rudo_gc`, the `gc` crate, rudo-gc 0.8.19, `dumpster::unsync`, `Rc` and
//! `bacon_rajan_cc` with `RefCell`): only the imports (named `Gc` and
//! `GcCell` here), the derive, and what runs after each depth differ, so
//! each of those files names them and expands this.

/// Expands to the GCBench `run` over the `Gc` and `GcCell` in scope at the
/// call site, for the node type given (its definition comes from the call
/// site so that the crate's derive sees ordinary tokens): a `struct Node`
/// with `left` and `right` cells of `Option<Gc<Node>>` and two `i32`s;
/// optionally followed by `after_each_depth { ... }`, a block run after each
/// depth's trees.
macro_rules! cell_tree_variant {
    ($node:item) => {
        $crate::gcbench::cell_tree::cell_tree_variant! { $node after_each_depth {} }
    };
    ($node:item after_each_depth $after:block) => {
        $node

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
                $after
            }
            checksum(stretch, walk(&long_lived), &array)
        }
    };
}

pub(crate) use cell_tree_variant;
