//! Runs one benchmark workload once, for profilers and instruction counters:
//! `cargo run --release -p benches --bin workload -- binary_trees gc 16`.

use std::process::ExitCode;

use benches::{binary_trees, cycle_churn};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [workload, variant, size] = args.as_slice() else {
        eprintln!("usage: workload <binary_trees|cycle_churn> <gc|rc|box> <size>");
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
        _ => {
            eprintln!("workload: unknown workload/variant `{workload} {variant}`");
            return ExitCode::from(2);
        }
    };
    println!("{workload} {variant} {size}: {result}");
    println!("{:?}", rudo_gc::stats());
    ExitCode::SUCCESS
}
