//! `rudo-gc-soak [--minutes N | --seconds N] [--threads N] [--tasks N]
//! [--max-rss-mib N] [--seed N]`: runs the soak and prints its report
//! (`cargo xtask soak --minutes N` builds it in release mode and runs it).

use std::process::ExitCode;
use std::time::Duration;

use rudo_gc_soak::{Config, Limit, run};

fn main() -> ExitCode {
    let config = match parse(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("rudo-gc-soak: {e}");
            return ExitCode::from(2);
        }
    };
    eprintln!(
        "soak: {} threads, {} tokio workers with {} tasks, {:?}",
        config.threads, config.workers, config.tasks, config.limit
    );
    let mut last_minute = 0;
    let result = run(&config, |s| {
        let minute = s.elapsed.as_secs() / 60;
        if minute > last_minute {
            last_minute = minute;
            eprintln!(
                "soak: {minute} min, {} nodes outstanding, rss {}",
                s.outstanding,
                mib(s.rss_mib)
            );
        }
    });
    match result {
        Ok(r) => {
            println!("soak passed in {:.1?}", r.elapsed);
            println!("  operations        {}", r.ops);
            println!("  nodes checked     {}", r.checks);
            println!("  nodes created     {} (all dropped exactly once)", r.nodes);
            println!("  peak outstanding  {}", r.peak_outstanding);
            println!("  peak rss          {}", mib(r.peak_rss_mib));
            println!(
                "  collections       {} minor, {} major, max pause {:.1?}",
                r.minor_collections, r.major_collections, r.max_pause
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("soak FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

fn mib(v: Option<f64>) -> String {
    v.map_or_else(|| "unknown".into(), |v| format!("{v:.1} MiB"))
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Config, String> {
    let mut config = Config::default();
    while let Some(arg) = args.next() {
        let mut value = |what: &str| -> Result<u64, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{arg} needs a whole number ({what})"))
        };
        match arg.as_str() {
            "--minutes" => config.limit = Limit::Time(Duration::from_secs(value("minutes")? * 60)),
            "--seconds" => config.limit = Limit::Time(Duration::from_secs(value("seconds")?)),
            "--rounds" => config.limit = Limit::Rounds(value("operations per worker")?),
            "--threads" => config.threads = value("threads")? as usize,
            "--tasks" => config.tasks = value("tasks")? as usize,
            "--max-rss-mib" => config.max_rss_mib = value("MiB")? as f64,
            "--seed" => config.seed = value("seed")?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(config)
}
