//! A multi-threaded soak of rudo-gc (`cargo xtask soak --minutes N`).
//!
//! Threads and tasks on a 2-worker tokio runtime mutate one shared cyclic
//! graph: they grow it and cut it, allocate cyclic garbage, walk it checking
//! every node they pass (its id, a payload derived from the id, and a state
//! word its destructor overwrites), hold nodes through handles, async
//! handles, root-table tickets and `Weak`s, and collect. The resident set
//! is sampled throughout and must stay under a bound. At the end every node
//! ever created must have been dropped exactly once.
//!
//! `tests/smoke.rs` runs a short bounded soak in every test run.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

mod node;
mod rss;
mod tasks;
mod worker;

use node::COUNTERS;
use worker::{Shared, Tally, Worker, done};

/// How long a soak runs.
#[derive(Debug, Clone, Copy)]
pub enum Limit {
    /// Every thread and task runs this many operations.
    Rounds(u64),
    /// Everything runs until this much time has passed.
    Time(Duration),
}

/// What a soak runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Plain threads.
    pub threads: usize,
    /// Tokio worker threads (0: no runtime).
    pub workers: usize,
    /// Tasks spawned on the runtime.
    pub tasks: usize,
    /// Anchors: the graph's entry points.
    pub anchors: usize,
    /// The live-node bound growing respects (about; see `Shared::max_live`).
    pub max_live: u64,
    /// The resident-set bound in MiB; crossing it fails the soak.
    pub max_rss_mib: f64,
    /// Seeds every worker's random source.
    pub seed: u64,
    /// How long it runs.
    pub limit: Limit,
}

impl Default for Config {
    /// 4 threads, 2 tokio workers with 8 tasks, 64 anchors, 200,000 live
    /// nodes, a 1 GiB bound, one minute.
    fn default() -> Config {
        Config {
            threads: 4,
            workers: 2,
            tasks: 8,
            anchors: 64,
            max_live: 200_000,
            max_rss_mib: 1024.0,
            seed: 0x50A4,
            limit: Limit::Time(Duration::from_secs(60)),
        }
    }
}

/// What a soak did.
#[derive(Debug, Clone)]
pub struct Report {
    /// Wall time.
    pub elapsed: Duration,
    /// Operations run, over every thread and task.
    pub ops: u64,
    /// Nodes checked.
    pub checks: u64,
    /// Nodes created (and dropped: the soak fails otherwise).
    pub nodes: u64,
    /// The most nodes outstanding (created, not yet dropped) at a sample.
    pub peak_outstanding: u64,
    /// The resident set's peak in MiB (`None` where unknown).
    pub peak_rss_mib: Option<f64>,
    /// Collections during the soak: minor and major.
    pub minor_collections: u64,
    /// See `minor_collections`.
    pub major_collections: u64,
    /// The longest collection pause.
    pub max_pause: Duration,
}

/// A progress sample, passed to the callback of [`run`] about once a second
/// while a timed soak runs.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Time since the start.
    pub elapsed: Duration,
    /// Nodes outstanding.
    pub outstanding: u64,
    /// The resident set in MiB, if known.
    pub rss_mib: Option<f64>,
}

/// One soak at a time: the node counters are process-wide.
static RUNNING: Mutex<()> = Mutex::new(());

/// Runs a soak. `Err` says what failed: a check (a worker's panic message),
/// the resident-set bound, or the drop balance.
pub fn run(config: &Config, mut progress: impl FnMut(&Sample)) -> Result<Report, String> {
    let _one = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    let start = Instant::now();
    let before = rudo_gc::stats();
    let created_before = COUNTERS.created.load(Relaxed);
    let dropped_before = COUNTERS.dropped.load(Relaxed);
    let shared = Arc::new(Shared::new(config.anchors, config.max_live));
    let rounds = match config.limit {
        Limit::Rounds(n) => Some(n),
        Limit::Time(_) => None,
    };

    let threads: Vec<_> = (0..config.threads)
        .map(|i| {
            let shared = shared.clone();
            let seed = config.seed.wrapping_add(i as u64);
            thread::Builder::new()
                .name(format!("soak-{i}"))
                .spawn(move || {
                    let mut worker = Worker::new(seed);
                    let mut done_rounds = 0;
                    while !done(&shared, done_rounds, rounds) {
                        worker.step(&shared);
                        done_rounds += 1;
                    }
                    worker.finish(&shared)
                })
                .map_err(|e| format!("cannot start a soak thread: {e}"))
        })
        .collect::<Result<_, _>>()?;

    let runtime = if config.workers > 0 {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(config.workers);
        Some(
            rudo_gc_tokio::runtime::install(&mut builder)
                .build()
                .map_err(|e| format!("cannot build the tokio runtime: {e}"))?,
        )
    } else {
        None
    };
    let tasks: Vec<_> = runtime
        .as_ref()
        .map(|rt| {
            (0..config.tasks)
                .map(|i| {
                    let seed = config.seed.wrapping_add(1_000 + i as u64);
                    rt.spawn(tasks::task(shared.clone(), seed, rounds))
                })
                .collect()
        })
        .unwrap_or_default();

    let mut failure = None;
    let mut peak_outstanding = node::outstanding();
    if let Limit::Time(limit) = config.limit {
        while start.elapsed() < limit && !threads.iter().any(|t| t.is_finished()) {
            thread::sleep((limit - start.elapsed().min(limit)).min(Duration::from_secs(1)));
            let sample = Sample {
                elapsed: start.elapsed(),
                outstanding: node::outstanding(),
                rss_mib: rss::current_mib(),
            };
            peak_outstanding = peak_outstanding.max(sample.outstanding);
            progress(&sample);
            if let Some(rss) = sample.rss_mib
                && rss > config.max_rss_mib
            {
                failure = Some(format!(
                    "the resident set reached {rss:.0} MiB, over the {:.0} MiB bound",
                    config.max_rss_mib
                ));
                break;
            }
        }
        shared.stop.store(true, Relaxed);
    }

    let mut tally = Tally::default();
    for t in threads {
        match t.join() {
            Ok(t) => tally.add(t),
            Err(panic) => {
                shared.stop.store(true, Relaxed);
                failure.get_or_insert(format!("a soak thread failed: {}", message(&*panic)));
            }
        }
    }
    if let Some(rt) = &runtime {
        for task in tasks {
            match rt.block_on(task) {
                Ok(t) => tally.add(t),
                Err(e) => {
                    shared.stop.store(true, Relaxed);
                    let why = match e.try_into_panic() {
                        Ok(panic) => message(&*panic),
                        Err(e) => e.to_string(),
                    };
                    failure.get_or_insert(format!("a soak task failed: {why}"));
                }
            }
        }
    }
    drop(runtime);
    peak_outstanding = peak_outstanding.max(node::outstanding());
    if let Some(failure) = failure {
        return Err(failure);
    }

    // Everything is garbage now: the drop counts must balance.
    let shared = Arc::into_inner(shared).ok_or("the shared graph is still referenced")?;
    shared.table.unpin_all();
    drop(shared);
    let created = COUNTERS.created.load(Relaxed) - created_before;
    let mut dropped = 0;
    for _ in 0..8 {
        rudo_gc::collect();
        rudo_gc::sweep_pending();
        dropped = COUNTERS.dropped.load(Relaxed) - dropped_before;
        if dropped >= created {
            break;
        }
    }
    if COUNTERS.corrupt.load(Relaxed) {
        return Err("a destructor found its node corrupted or dropped twice".into());
    }
    if dropped != created {
        return Err(format!(
            "{created} nodes were created but {dropped} dropped after the soak"
        ));
    }
    let after = rudo_gc::stats();
    Ok(Report {
        elapsed: start.elapsed(),
        ops: tally.ops,
        checks: tally.checks,
        nodes: created,
        peak_outstanding,
        peak_rss_mib: rss::peak_mib(),
        minor_collections: after.minor_collections - before.minor_collections,
        major_collections: after.major_collections - before.major_collections,
        max_pause: after.max_pause,
    })
}

/// A panic payload's message.
fn message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a panic without a message)".into())
}
