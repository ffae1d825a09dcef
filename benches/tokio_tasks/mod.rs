//! Tokio tasks holding trees across awaits: tasks on a 2-worker
//! multi-threaded runtime, `BATCH` spawned at once, each building a small
//! tree, yielding four times with the tree held (so tasks move between
//! workers with their trees), then summing it.
//!
//! Every variant does the same work; `run` returns the sum of every task's
//! tree, the same for every variant. Ours spawns with `gc::spawn` on a
//! runtime with the collector's hooks (`rudo_gc_tokio::runtime::install`),
//! the way the adapter's documentation tells a user to; `Arc` and
//! `dumpster::sync` (its own file) use `tokio::spawn` on a plain runtime.
//! The single-threaded peers cannot be held by a task that moves between
//! workers; `rudo-gc` 0.8.19's `Gc` is not `Send`.

use std::sync::Arc;

use rudo_gc::{Gc, Trace};

pub mod dumpster_sync;

/// Depth of each task's tree (127 nodes).
pub const DEPTH: u32 = 6;

/// Tasks spawned at once (then awaited before the next batch).
pub const BATCH: usize = 10_000;

/// A 2-worker multi-threaded runtime, with the collector's hooks when `gc`.
fn runtime(gc: bool) -> tokio::runtime::Runtime {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(2).enable_all();
    if gc {
        rudo_gc_tokio::runtime::install(&mut builder);
    }
    builder.build().expect("a runtime")
}

/// Defines a variant module over the thread-safe pointer `$ptr` (constructor
/// `$new`, `$derive` for the node when the pointer needs it), spawning with
/// `$spawn` on a runtime made by `runtime($hooks)`.
macro_rules! tokio_tasks_variant {
    ($(#[$doc:meta])* $module:ident, $ptr:ty, $new:path, $spawn:path, $hooks:expr $(, $derive:ident)?) => {
        $(#[$doc])*
        pub mod $module {
            #[allow(unused_imports)]
            use super::*;

            $(#[derive($derive)])?
            struct Node {
                value: u64,
                children: Option<($ptr, $ptr)>,
            }

            fn tree(depth: u32, value: u64) -> $ptr {
                $new(Node {
                    value,
                    children: (depth > 0).then(|| (tree(depth - 1, value * 2), tree(depth - 1, value * 2 + 1))),
                })
            }

            fn sum(node: &Node) -> u64 {
                node.value + node.children.as_ref().map_or(0, |(l, r)| sum(l) + sum(r))
            }

            /// Runs `tasks` tasks, `BATCH` at a time; returns the sum of their trees.
            pub fn run(tasks: usize) -> u64 {
                run_in_batches(tasks, $crate::tokio_tasks::BATCH)
            }

            /// Runs `tasks` tasks, `batch` spawned at once and then awaited;
            /// returns the sum of their trees.
            pub fn run_in_batches(tasks: usize, batch: usize) -> u64 {
                let runtime = $crate::tokio_tasks::runtime($hooks);
                runtime.block_on(async {
                    let mut total = 0;
                    for first in (0..tasks).step_by(batch) {
                        let handles: Vec<_> = (first..tasks.min(first + batch))
                            .map(|i| {
                                $spawn(async move {
                                    let tree = tree($crate::tokio_tasks::DEPTH, i as u64);
                                    for _ in 0..4 {
                                        tokio::task::yield_now().await;
                                    }
                                    sum(&tree)
                                })
                            })
                            .collect();
                        for handle in handles {
                            total += handle.await.expect("a task panicked");
                        }
                    }
                    total
                })
            }
        }
    };
}
pub(crate) use tokio_tasks_variant;

tokio_tasks_variant!(
    /// `rudo_gc::Gc` trees in tasks spawned with `gc::spawn`.
    gc, Gc<Node>, Gc::new, rudo_gc_tokio::spawn, true, Trace
);
tokio_tasks_variant!(
    /// `std::sync::Arc` trees in tasks spawned with `tokio::spawn`.
    arc, Arc<Node>, Arc::new, tokio::spawn, false
);

#[cfg(test)]
mod tests {
    /// Tasks the tests run.
    const TASKS: usize = 200;

    /// Tasks per batch in the tests: several batches, the last one short.
    const BATCH: usize = 64;

    #[test]
    fn ours_sums_the_same_as_arc() {
        assert_eq!(
            super::gc::run_in_batches(TASKS, BATCH),
            super::arc::run(TASKS)
        );
    }

    #[test]
    fn dumpster_sync_sums_the_same() {
        assert_eq!(
            super::dumpster_sync::run_in_batches(TASKS, BATCH),
            super::arc::run_in_batches(TASKS, BATCH)
        );
    }

    #[test]
    fn the_checksum_is_every_tree_summed() {
        // Task i's tree holds, at level k, the values i*2^k .. i*2^k + 2^k - 1.
        let expected: u64 = (0..TASKS as u64)
            .map(|i| {
                (0..=super::DEPTH)
                    .map(|k| {
                        let width = 1_u64 << k;
                        i * width * width + width * (width - 1) / 2
                    })
                    .sum::<u64>()
            })
            .sum();
        assert_eq!(super::arc::run(TASKS), expected);
    }
}
