//! `dumpster::sync::Gc` nodes: atomic reference counting with automatic cycle
//! detection, shared between the threads like `Arc`. Nothing to drive: the
//! crate frees a node when its count reaches zero and runs its cycle search by
//! itself (its default collect condition).

use dumpster::Trace;
use dumpster::sync::Gc;

super::two_threads_variant!(
    /// The variant's module.
    nodes, dumpster::sync::Gc<Node>, Gc::new, Trace
);

pub use nodes::run;
