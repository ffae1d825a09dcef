//! `rudo_gc::Gc` nodes from the last published `rudo-gc` (0.8.19, imported
//! as `rudo_published`): a generational, conservatively stack-scanning
//! mark-sweep collector. Nothing to drive: it collects by itself. The code is
//! the same as our `gc` variant's (`GcCell` fields, a `Gc<Vec<f64>>` array);
//! only the derive needs to be told the crate's renamed path.
//!
//! Measured failures of 0.8.19 (not worked around): in optimized builds
//! (`--release`, the benchmark configuration) the first `Gc::new` never
//! returns: `GlobalSegmentManager::allocate_page` finds the address of the page
//! it has just mapped among the stack slots and registers it scans for false
//! roots, quarantines the page and maps another, forever. In debug builds it
//! runs, but it spends its time in collections started from `Gc` drops once the
//! heap is large: stretch depth 12 takes 1 s, 14 takes 21 s, 16 more than a
//! minute.

use std::hint::black_box;

use rudo_published::{Gc, GcCell, Trace};

use super::{array, checksum, long_lived_depth, schedule};

super::cell_tree::cell_tree_variant! {
    /// A tree node.
    #[derive(Trace)]
    #[rudo_gc(crate = rudo_published)]
    struct Node {
        left: GcCell<Option<Gc<Node>>>,
        right: GcCell<Option<Gc<Node>>>,
        i: i32,
        j: i32,
    }
}
