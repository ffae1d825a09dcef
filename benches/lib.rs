//! Workloads shared by the criterion benchmarks in `benches/benches/`, each
//! written once per memory manager so that every variant does the same work.
//!
//! The workloads return a checksum so that the optimiser cannot drop them and
//! so that the unit tests below can check that every variant computes the same
//! thing.

pub mod binary_trees;
pub mod cycle_churn;
