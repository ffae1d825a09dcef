//! Differential fuzzing of rudo-gc: programs of heap operations on a graph
//! of traced nodes, run against the real collector and against a plain
//! model (a graph with explicit roots and a reachability computation).
//!
//! After every collection, everything the model says is reachable must be
//! alive with its payload and edges intact; after a full collection
//! everything unreachable must have been dropped exactly once; `upgrade`
//! must agree with the model; nothing is ever dropped twice or while
//! reachable. Any disagreement panics (libFuzzer reports it as a crash).
//!
//! Two targets: [`graph`] (one thread) and [`threads`] (two threads on one
//! shared graph, each running its share of the program at the same time).
//!
//! `cargo xtask fuzz --seconds N` runs the libFuzzer targets
//! (`fuzz_targets/`); `tests/seeded.rs` runs the same programs from fixed
//! seeds in every test run, and holds the minimised regressions.

pub mod graph;
pub mod threads;
