//! `bacon_rajan_cc::Cc` nodes: reference counting with Bacon–Rajan cycle
//! collection. Trees have no cycles and top-down construction recurses
//! through a shared borrow of the field just set (no clones), so every tree
//! is freed by its counts the moment it is dropped and the buffer of possible
//! cycle roots stays empty; `collect_cycles()`, which the crate's users are
//! asked to call periodically, is called once per depth and finds nothing.
//! Fields are `RefCell`s, as in the crate's examples.

// The shared port names its pointer `Gc` and its cell `GcCell`.
use std::cell::RefCell as GcCell;
use std::hint::black_box;

use bacon_rajan_cc::{Cc as Gc, Trace, Tracer, collect_cycles};

use super::{array, checksum, long_lived_depth, schedule};

impl Trace for Node {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.left.trace(tracer);
        self.right.trace(tracer);
    }
}

super::cell_tree::cell_tree_variant! {
    /// A tree node.
    #[allow(dead_code)] // `i` and `j`: the original's unused payload
    struct Node {
        left: GcCell<Option<Gc<Node>>>,
        right: GcCell<Option<Gc<Node>>>,
        i: i32,
        j: i32,
    }
    after_each_depth {
        collect_cycles();
    }
}
