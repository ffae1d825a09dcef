//! `gc::Gc` nodes (the `gc` crate, rust-gc): a thread-local mark-and-sweep
//! collector whose pointers count how often they are held from outside the
//! GC heap (roots). Nothing to drive: `Gc::new` collects by itself once the
//! bytes allocated since the last collection pass a threshold that grows
//! with the heap; dropped trees are freed only by those collections. Fields
//! are `GcCell`s, the crate's traced `RefCell`; top-down construction
//! recurses through a shared borrow of the field just set.

// `gc_derive` 0.5 puts its impls in a `const _DERIVE_…: () = { … }` block,
// which this lint flags at every derive; nothing to fix on our side.
#![allow(non_local_definitions)]

use std::hint::black_box;

use ::gc::{Finalize, Gc, GcCell, Trace};

use super::{array, checksum, long_lived_depth, schedule};

super::cell_tree::cell_tree_variant! {
    /// A tree node.
    #[derive(Trace, Finalize)]
    struct Node {
        left: GcCell<Option<Gc<Node>>>,
        right: GcCell<Option<Gc<Node>>>,
        i: i32,
        j: i32,
    }
}
