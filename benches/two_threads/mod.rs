//! Two threads sharing a tree: the binary-trees schedule run on two threads at
//! once, each allocating its own short-lived trees, while both read one
//! long-lived tree built by the main thread and shared between them.
//!
//! Every variant does the same work: the main thread builds the shared tree of
//! `depth`; two threads each run binary-trees' `schedule(depth)` (trees built
//! bottom up, checked, dropped) and check the whole shared tree after each
//! depth of the schedule. `run` returns the nodes checked by both threads, the
//! same for every variant.
//!
//! Only pointers that may cross threads can run it: `Arc`, ours (`Gc<T>` is
//! `Send + Sync` for `T: Send + Sync`) and `dumpster::sync` (its own file).
//! `bacon_rajan_cc`, `dumpster::unsync`, the `gc` crate and `gc-arena` are
//! single-threaded; `rudo-gc` 0.8.19's `Gc` is not `Send` (it crosses threads
//! only as a `GcHandle`) and hangs in optimized builds (see
//! `binary_trees::rudo_published`).

pub mod dumpster_sync;

/// Defines a variant module running the workload over the tree code of
/// `binary_trees::$nodes` (a pointer that may cross threads).
macro_rules! two_threads_variant {
    ($(#[$doc:meta])* $module:ident, $($nodes:ident)::+) => {
        $(#[$doc])*
        pub mod $module {
            use $($nodes)::+::{bottom_up, check};

            /// Runs the workload for `depth`; returns the nodes both threads checked.
            pub fn run(depth: u32) -> usize {
                let shared = bottom_up(depth);
                std::thread::scope(|s| {
                    let workers: Vec<_> = (0..2)
                        .map(|_| {
                            let shared = shared.clone();
                            s.spawn(move || {
                                let mut total = 0;
                                for (d, iterations) in crate::binary_trees::schedule(depth) {
                                    for _ in 0..iterations {
                                        total += check(&bottom_up(d));
                                    }
                                    total += check(&shared);
                                }
                                total
                            })
                        })
                        .collect();
                    workers
                        .into_iter()
                        .map(|w| w.join().expect("a worker panicked"))
                        .sum()
                })
            }
        }
    };
}
pub(crate) use two_threads_variant;

two_threads_variant!(
    /// `rudo_gc::Gc` nodes.
    gc, crate::binary_trees::gc
);
two_threads_variant!(
    /// `std::sync::Arc` nodes.
    arc, crate::binary_trees::arc
);

#[cfg(test)]
mod tests {
    /// The depth the tests run at.
    const DEPTH: u32 = 8;

    #[test]
    fn ours_checks_the_same_nodes_as_arc() {
        assert_eq!(super::gc::run(DEPTH), super::arc::run(DEPTH));
    }

    #[test]
    fn dumpster_sync_checks_the_same_nodes() {
        assert_eq!(super::dumpster_sync::run(DEPTH), super::arc::run(DEPTH));
    }

    #[test]
    fn the_checksum_counts_both_threads_work() {
        // Per thread: the schedule's trees plus the shared tree after each depth.
        let per_thread: usize = crate::binary_trees::schedule(DEPTH)
            .map(|(d, n)| n as usize * ((1 << (d + 1)) - 1) + ((1 << (DEPTH + 1)) - 1))
            .sum();
        assert_eq!(super::arc::run(DEPTH), 2 * per_thread);
    }
}
