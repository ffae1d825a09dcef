//! `dumpster::unsync::Gc` nodes: thread-local reference counting with
//! automatic cycle detection. Nothing to drive (the crate decides when to
//! search for cycles); trees have no cycles and top-down construction
//! recurses through a shared borrow of the field just set (no clones), so
//! every tree is freed by its counts the moment it is dropped. Fields are
//! `RefCell`s, as in the crate's examples.

// The shared port names its cell `GcCell`; dumpster's examples use `RefCell`.
use std::cell::RefCell as GcCell;
use std::hint::black_box;

use dumpster::Trace;
use dumpster::unsync::Gc;

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
