//! `dumpster::sync::Gc` trees in tasks spawned with `tokio::spawn`: atomic
//! reference counting with automatic cycle detection; nothing to drive.

use dumpster::Trace;
use dumpster::sync::Gc;

super::tokio_tasks_variant!(
    /// The variant's module.
    nodes, dumpster::sync::Gc<Node>, Gc::new, tokio::spawn, false, Trace
);

/// Runs `tasks` tasks; returns the sum of their trees.
pub fn run(tasks: usize) -> u64 {
    nodes::run(tasks)
}
