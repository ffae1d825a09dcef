//! `std::rc::Rc` nodes: reference counting, each tree freed the moment it is
//! dropped. Top-down construction stores into `RefCell` fields and recurses
//! through a shared borrow of the field just set (no count traffic).

// The shared port names its pointer `Gc` and its cell `GcCell`.
use std::cell::RefCell as GcCell;
use std::hint::black_box;
use std::rc::Rc as Gc;

use super::{array, checksum, long_lived_depth, schedule};

super::cell_tree::cell_tree_variant! {
    /// A tree node.
    #[allow(dead_code)] // `i` and `j`: the original's unused payload
    struct Node {
        left: GcCell<Option<Gc<Node>>>,
        right: GcCell<Option<Gc<Node>>>,
        i: i32,
        j: i32,
    }
}
