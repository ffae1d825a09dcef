//! Runs one of the example programs:
//! `cargo run -p rudo-vm --release -- <fib|binary-trees|counters|churn> [n] [--stack counted|conservative|rc]`.

use std::process::ExitCode;
use std::time::Instant;

use rudo_vm::{Flavour, programs, run};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut positional = Vec::new();
    let mut flavour = Flavour::Conservative;
    while let Some(arg) = args.next() {
        if arg == "--stack" {
            let Some(value) = args.next() else {
                eprintln!("--stack needs a value: counted, conservative or rc");
                return ExitCode::FAILURE;
            };
            match value.parse() {
                Ok(f) => flavour = f,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            }
        } else {
            positional.push(arg);
        }
    }
    let name = positional.first().map_or("binary-trees", String::as_str);
    let n: Option<i64> = match positional.get(1).map(|s| s.parse()) {
        None => None,
        Some(Ok(n)) if n >= 0 => Some(n),
        Some(_) => {
            eprintln!("n must be a non-negative integer");
            return ExitCode::FAILURE;
        }
    };
    let (program, expected) = match name {
        "fib" => {
            let n = n.unwrap_or(27).min(60);
            (programs::fib(n), programs::fib_expected(n))
        }
        "binary-trees" => {
            let n = u32::try_from(n.unwrap_or(14).min(22)).expect("clamped");
            let last = *programs::binary_trees_expected(n)
                .last()
                .expect("non-empty");
            (programs::binary_trees(n), last)
        }
        "counters" => {
            let n = n.unwrap_or(20_000);
            (
                programs::counters(n, 50),
                programs::counters_expected(n, 50),
            )
        }
        "churn" => {
            let n = n.unwrap_or(200_000).max(16);
            (programs::table_churn(n), 136)
        }
        other => {
            eprintln!("unknown program {other:?}: use fib, binary-trees, counters or churn");
            return ExitCode::FAILURE;
        }
    };
    rudo_vm::configure();
    let started = Instant::now();
    match run(&program, flavour) {
        Ok(outcome) => {
            let elapsed = started.elapsed();
            for line in &outcome.output {
                println!("{line}");
            }
            println!(
                "{name} ({flavour:?} stack): {:?} in {elapsed:.2?}, {} safepoints",
                outcome.result, outcome.safepoints
            );
            println!("{}", rudo_gc::stats());
            if outcome.result == Some(expected) {
                ExitCode::SUCCESS
            } else {
                eprintln!("wrong result: expected {expected}");
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
