//! Runs one benchmark workload once, for profilers and instruction counters:
//! `cargo run --release -p benches --bin workload -- binary_trees gc 16`.

use std::process::ExitCode;

use benches::{binary_trees, cycle_churn, large_heap};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [workload, variant, size] = args.as_slice() else {
        eprintln!(
            "usage: workload <binary_trees|cycle_churn|large_heap> <gc|rc|box> <size>, or workload \
             spawn <gc|tokio> <tasks>"
        );
        return ExitCode::from(2);
    };
    let Ok(size) = size.parse::<u32>() else {
        eprintln!("workload: size must be a number, got `{size}`");
        return ExitCode::from(2);
    };
    benches::young_budget_from_env();
    let result = match (workload.as_str(), variant.as_str()) {
        ("binary_trees", "gc") => binary_trees::gc::run(size),
        ("binary_trees", "rc") => binary_trees::rc::run(size),
        ("binary_trees", "box") => binary_trees::boxed::run(size),
        ("cycle_churn", "gc") => cycle_churn::gc::run(size as usize),
        ("cycle_churn", "rc") => cycle_churn::rc::run(size as usize),
        ("large_heap", "rc") => large_heap::rc::run(size as usize),
        ("large_heap", "gc") => {
            let (checksum, pauses) = large_heap::gc::run(size as usize, 3);
            println!("full collections with the heap alive: {pauses:?}");
            checksum
        }
        ("spawn", "tokio") => spawn(size, false),
        ("spawn", "gc") => spawn(size, true),
        _ => {
            eprintln!("workload: unknown workload/variant `{workload} {variant}`");
            return ExitCode::from(2);
        }
    };
    println!("{workload} {variant} {size}: {result}");
    println!("{:?}", rudo_gc::stats());
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
