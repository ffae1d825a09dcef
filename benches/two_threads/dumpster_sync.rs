//! `dumpster::sync::Gc` nodes: atomic reference counting with automatic cycle
//! detection, shared between the threads like `Arc`. Nothing to drive: the
//! crate frees a node when its count reaches zero and runs its cycle search by
//! itself (its default collect condition).

super::two_threads_variant!(
    /// The variant's module, over `binary_trees::dumpster_sync`'s nodes.
    nodes, crate::binary_trees::dumpster_sync
);

pub use nodes::run;
