//! Workloads shared by the criterion benchmarks in `benches/benches/` and the
//! `workload` binary, each written once per memory manager (ours, `Rc`,
//! `Box`, and the published Rust GC crates, one file per crate) so that every
//! variant does the same work.
//!
//! The workloads return a checksum so that the optimiser cannot drop them and
//! so that the unit tests below can check that every variant computes the same
//! thing.

use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

pub mod binary_trees;
pub mod cycle_churn;
pub mod gcbench;
pub mod large_heap;
pub mod minor_pause;
pub mod tokio_tasks;
pub mod two_threads;

/// Applies `RUDO_YOUNG_BUDGET` (bytes), `RUDO_GROWTH_FACTOR`,
/// `RUDO_PARALLEL_MIN_SLOTS` and `RUDO_EDGE_RECORDING` (`1`: every
/// collection records the edge list, `0`: none does), where set, to the
/// collector's configuration: the knobs the experiments in
/// `docs/benchmarks.md` turned.
pub fn collector_knobs_from_env() {
    if let Some(slots) = std::env::var("RUDO_PARALLEL_MIN_SLOTS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        rudo_gc::__private::set_parallel_min_slots(slots);
    }
    let _previous = match std::env::var("RUDO_EDGE_RECORDING").as_deref() {
        Ok("1") => rudo_gc::__private::set_edge_recording(Some(true)),
        Ok("0") => rudo_gc::__private::set_edge_recording(Some(false)),
        _ => None,
    };
    let mut config = rudo_gc::config();
    if let Some(bytes) = std::env::var("RUDO_YOUNG_BUDGET")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        config = config.young_budget_bytes(bytes);
    }
    if let Some(factor) = std::env::var("RUDO_GROWTH_FACTOR")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        config = config.growth_factor(factor);
    }
    rudo_gc::set_config(config);
}

/// Runs `work(&setup(), iters)` on two threads at once. Each thread runs
/// `setup` first, then both start together; returns the time from the first
/// start to the last end. Spawning, `setup`, and thread exit (which for a
/// thread owning `Gc` objects runs a collection) are outside the window: a
/// thread that finished waits for the other before exiting.
pub fn on_two_threads<S>(
    iters: u64,
    setup: impl Fn() -> S + Sync,
    work: impl Fn(&S, u64) + Sync,
) -> Duration {
    let start = Barrier::new(2);
    let end = Barrier::new(2);
    let spans: Vec<(Instant, Instant)> = thread::scope(|s| {
        let threads: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let state = setup();
                    start.wait();
                    let t0 = Instant::now();
                    work(&state, iters);
                    let t1 = Instant::now();
                    end.wait();
                    drop(state);
                    (t0, t1)
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("bench thread panicked"))
            .collect()
    });
    let first = spans.iter().map(|s| s.0).min().expect("two spans");
    let last = spans.iter().map(|s| s.1).max().expect("two spans");
    last - first
}
