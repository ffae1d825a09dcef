//! `dumpster::sync::Gc` trees in tasks spawned with `tokio::spawn`: atomic
//! reference counting with automatic cycle detection; nothing to drive.

use dumpster::Trace;
use dumpster::sync::Gc;

super::tokio_tasks_variant!(
    /// The variant's module.
    nodes, dumpster::sync::Gc<Node>, Gc::new, tokio::spawn, false, Trace
);

pub use nodes::{run, run_in_batches};
