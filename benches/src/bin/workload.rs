//! Runs one benchmark workload once, for profilers and instruction counters:
//! `cargo run --release -p benches --bin workload -- binary_trees gc 16`.

use std::process::ExitCode;

use benches::{binary_trees, cycle_churn, gcbench, large_heap, tokio_tasks, two_threads};

/// The usage message.
const USAGE: &str = "usage: workload <binary_trees|cycle_churn|large_heap|gcbench> <variant> <size>, \
     variant one of gc (ours), rc, box (binary_trees and gcbench only), bacon, dumpster, \
     dumpster_sync, gc_crate, arena, rudo_published; or workload <two_threads|tokio_tasks> <gc|arc|dumpster_sync> <size>; \
     or workload full_collection gc <size>; or workload minor_pause gc <old objects>; \
     or workload spawn <gc|tokio> <tasks>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [workload, variant, size] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let Ok(size) = size.parse::<u32>() else {
        eprintln!("workload: size must be a number, got `{size}`");
        return ExitCode::from(2);
    };
    benches::collector_knobs_from_env();
    let n = size as usize;
    let result = match (workload.as_str(), variant.as_str()) {
        ("binary_trees", "gc") => binary_trees::gc::run(size),
        ("binary_trees", "rc") => binary_trees::rc::run(size),
        ("binary_trees", "box") => binary_trees::boxed::run(size),
        ("binary_trees", "bacon") => binary_trees::bacon::run(size),
        ("binary_trees", "dumpster") => binary_trees::dumpster_unsync::run(size),
        ("binary_trees", "dumpster_sync") => binary_trees::dumpster_sync::run(size),
        ("binary_trees", "gc_crate") => binary_trees::gc_crate::run(size),
        ("binary_trees", "arena") => binary_trees::arena::run(size),
        ("binary_trees", "rudo_published") => binary_trees::rudo_published::run(size),
        ("cycle_churn", "gc") => cycle_churn::gc::run(n),
        ("cycle_churn", "rc") => cycle_churn::rc::run(n),
        ("cycle_churn", "bacon") => cycle_churn::bacon::run(n),
        ("cycle_churn", "dumpster") => cycle_churn::dumpster_unsync::run(n),
        ("cycle_churn", "dumpster_sync") => cycle_churn::dumpster_sync::run(n),
        ("cycle_churn", "gc_crate") => cycle_churn::gc_crate::run(n),
        ("cycle_churn", "arena") => cycle_churn::arena::run(n),
        ("cycle_churn", "rudo_published") => cycle_churn::rudo_published::run(n),
        ("large_heap", "gc") => large_heap::gc::run(n, 0).0,
        ("large_heap", "rc") => large_heap::rc::run(n),
        ("large_heap", "bacon") => large_heap::bacon::run(n),
        ("large_heap", "dumpster") => large_heap::dumpster_unsync::run(n),
        ("large_heap", "dumpster_sync") => large_heap::dumpster_sync::run(n),
        ("large_heap", "gc_crate") => large_heap::gc_crate::run(n),
        ("large_heap", "arena") => large_heap::arena::run(n),
        ("large_heap", "rudo_published") => large_heap::rudo_published::run(n),
        ("gcbench", "gc") => gcbench::gc::run(size),
        ("gcbench", "rc") => gcbench::rc::run(size),
        ("gcbench", "box") => gcbench::boxed::run(size),
        ("gcbench", "bacon") => gcbench::bacon::run(size),
        ("gcbench", "dumpster") => gcbench::dumpster_unsync::run(size),
        ("gcbench", "dumpster_sync") => gcbench::dumpster_sync::run(size),
        ("gcbench", "gc_crate") => gcbench::gc_crate::run(size),
        ("gcbench", "arena") => gcbench::arena::run(size),
        ("gcbench", "rudo_published") => gcbench::rudo_published::run(size),
        ("two_threads", "gc") => two_threads::gc::run(size),
        ("two_threads", "arc") => two_threads::arc::run(size),
        ("two_threads", "dumpster_sync") => two_threads::dumpster_sync::run(size),
        ("tokio_tasks", "gc") => tokio_tasks::gc::run(n) as usize,
        ("tokio_tasks", "arc") => tokio_tasks::arc::run(n) as usize,
        ("tokio_tasks", "dumpster_sync") => tokio_tasks::dumpster_sync::run(n) as usize,
        ("minor_pause", "gc") => {
            let mut pauses = benches::minor_pause::run(n, 21);
            pauses.sort_unstable();
            println!(
                "minor collections of {} young objects with {n} old ones: median {:?}, min {:?}, max {:?}",
                benches::minor_pause::YOUNG_PER_ROUND,
                pauses[pauses.len() / 2],
                pauses[0],
                pauses[pauses.len() - 1]
            );
            pauses.len()
        }
        ("full_collection", "gc") => {
            let (checksum, pauses) = large_heap::gc::run(n, 5);
            println!("full collections with the heap alive: {pauses:?}");
            checksum
        }
        ("spawn", "tokio") => spawn(size, false),
        ("spawn", "gc") => spawn(size, true),
        _ => {
            eprintln!("workload: unknown workload/variant `{workload} {variant}`\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    println!("{workload} {variant} {size}: {result}");
    let stats = rudo_gc::stats();
    if stats.collections > 0 {
        // One line for the peer suite's table (`cargo xtask bench --peers`).
        println!(
            "pauses: {} collections ({} major), {:.0} ms in pauses, longest {:.1} ms",
            stats.collections,
            stats.major_collections,
            stats.total_pause.as_secs_f64() * 1e3,
            stats.max_pause.as_secs_f64() * 1e3,
        );
    }
    println!("{stats:?}");
    ExitCode::SUCCESS
}

/// Spawns `tasks` trivial tasks on a current-thread runtime (with the
/// collector's hooks either way) through `gc::spawn` or `tokio::spawn`, and
/// awaits them: one thread, so instruction counts are repeatable.
fn spawn(tasks: u32, gc: bool) -> usize {
    let mut builder = tokio::runtime::Builder::new_current_thread();
    let runtime = rudo_gc_tokio::runtime::install(&mut builder)
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let handles: Vec<_> = (0..tasks as usize)
            .map(|i| {
                let task = async move { std::hint::black_box(i) };
                if gc {
                    rudo_gc_tokio::spawn(task)
                } else {
                    tokio::spawn(task)
                }
            })
            .collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await.expect("no panic");
        }
        sum
    })
}
