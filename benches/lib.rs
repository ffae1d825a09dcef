//! Workloads shared by the criterion benchmarks in `benches/benches/`, each
//! written once per memory manager so that every variant does the same work.
//!
//! The workloads return a checksum so that the optimiser cannot drop them and
//! so that the unit tests below can check that every variant computes the same
//! thing.

pub mod binary_trees;
pub mod cycle_churn;

/// Applies `RUDO_YOUNG_BUDGET` (bytes), if set, to the collector's
/// configuration: the knob the young-budget experiments in
/// `docs/benchmarks.md` turned.
pub fn young_budget_from_env() {
    if let Some(bytes) = std::env::var("RUDO_YOUNG_BUDGET")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        rudo_gc::set_config(rudo_gc::GcConfig::default().young_budget_bytes(bytes));
    }
}
