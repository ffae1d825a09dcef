//! `rudo_gc::Gc` nodes (ours): trees are freed by the collector, which runs
//! by itself. Top-down construction stores into `GcCell` fields and recurses
//! through a shared borrow of the field just set (no count traffic); the
//! array is a `Gc<Vec<f64>>`.

use std::hint::black_box;

use rudo_gc::{Gc, GcCell, Trace};

use super::{array, checksum, long_lived_depth, schedule};

super::cell_tree::cell_tree_variant! {
    /// A tree node.
    #[derive(Trace)]
    struct Node {
        left: GcCell<Option<Gc<Node>>>,
        right: GcCell<Option<Gc<Node>>>,
        i: i32,
        j: i32,
    }
}
