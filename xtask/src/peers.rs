//! `cargo xtask bench --peers`: the peer suite's driver.
//!
//! Builds the workload binary (`benches/src/bin/workload.rs`) with the
//! `peers` profile (release, fat LTO, one codegen unit), then runs every
//! (workload, variant) pair as its own process, `--reps` times, interleaved
//! (round 1 of every pair, then round 2, ...), so that a drift in the shared
//! machine's speed hits every variant alike. Each run is bounded by
//! `--timeout` seconds; its wall time and peak RSS come from the operating
//! system's accounting of that child (`wait4`). A run that crashes, times
//! out or prints another checksum than the other variants is reported as
//! such, never dropped.
//!
//! Writes `docs/benchmarks/peers.md` (the tables, with the command and the
//! machine) and one SVG chart per workload next to it (`svg.rs`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::svg;

/// One workload of the suite and the variants that can run it.
struct Workload {
    name: &'static str,
    /// What the chart's title says the size is.
    label: &'static str,
    size: u32,
    /// Size for `--quick` (a smoke run of the driver itself).
    quick: u32,
    variants: &'static [&'static str],
}

impl Workload {
    /// The size a run uses: the full one, or the `--quick` one.
    fn size_for(&self, quick: bool) -> u32 {
        if quick { self.quick } else { self.size }
    }
}

/// Every collector of the suite, in table order.
const SINGLE_THREADED: &[&str] = &[
    "box",
    "rc",
    "gc",
    "bacon",
    "dumpster",
    "dumpster_sync",
    "gc_crate",
    "arena",
    "rudo_published",
];

const WORKLOADS: &[Workload] = &[
    Workload {
        name: "binary_trees",
        label: "binary-trees, depth 16",
        size: 16,
        quick: 10,
        variants: SINGLE_THREADED,
    },
    Workload {
        name: "gcbench",
        label: "GCBench, stretch depth 18",
        size: 18,
        quick: 10,
        variants: SINGLE_THREADED,
    },
    Workload {
        name: "cycle_churn",
        label: "cycle churn, 600 structures of 1,000 nodes",
        size: 600,
        quick: 20,
        variants: &[
            "rc",
            "gc",
            "bacon",
            "dumpster",
            "dumpster_sync",
            "gc_crate",
            "arena",
            "rudo_published",
        ],
    },
    Workload {
        name: "large_heap",
        label: "large heap, 2M live nodes with parent pointers",
        size: 2_000_000,
        quick: 20_000,
        variants: &[
            "rc",
            "gc",
            "bacon",
            "dumpster",
            "dumpster_sync",
            "gc_crate",
            "arena",
            "rudo_published",
        ],
    },
    Workload {
        name: "two_threads",
        label: "2 threads allocating binary-trees depth 16, sharing a tree",
        size: 16,
        quick: 10,
        variants: THREAD_SAFE,
    },
    Workload {
        name: "tokio_tasks",
        label: "100,000 tokio tasks (10,000 at a time) holding a tree across awaits",
        size: 100_000,
        quick: 2_000,
        variants: THREAD_SAFE,
    },
];

/// The collectors whose pointers may cross threads (`Arc`, ours,
/// `dumpster::sync`); `rudo-gc` 0.8.19's `Gc` is not `Send`.
const THREAD_SAFE: &[&str] = &["arc", "gc", "dumpster_sync"];

/// How one run ended.
#[derive(Clone, Debug)]
enum Outcome {
    Done {
        wall: Duration,
        peak_kib: u64,
        checksum: String,
        /// Our collector's own line (`pauses: ...`), when it printed one.
        pauses: Option<String>,
    },
    Failed(String),
    /// Killed at its timeout, after this long.
    TimedOut(Duration),
}

impl Outcome {
    /// Whether the run was killed at its timeout.
    fn timed_out(&self) -> bool {
        matches!(self, Outcome::TimedOut(_))
    }

    /// Why the run failed, if it did.
    fn failure(&self) -> Option<String> {
        match self {
            Outcome::Done { .. } => None,
            Outcome::Failed(why) => Some(why.clone()),
            Outcome::TimedOut(after) => Some(format!("timeout after {} s", after.as_secs())),
        }
    }
}

struct Options {
    reps: usize,
    timeout: Duration,
    quick: bool,
    only: Option<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        reps: 5,
        timeout: Duration::from_secs(120),
        quick: false,
        only: None,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("`{name}` needs a value"))
                .cloned()
        };
        match arg.as_str() {
            "--reps" => {
                let v = value("--reps")?;
                options.reps =
                    v.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                        format!("--reps must be a whole number above 0, not `{v}`")
                    })?;
            }
            "--timeout" => {
                let v = value("--timeout")?;
                let secs: u64 = v
                    .parse()
                    .map_err(|_| format!("--timeout takes seconds, not `{v}`"))?;
                options.timeout = Duration::from_secs(secs);
            }
            "--quick" => options.quick = true,
            "--only" => options.only = Some(value("--only")?),
            other => {
                return Err(format!(
                    "unknown option `{other}` for `bench --peers` (options: --reps N, \
                     --timeout SECONDS, --quick, --only WORKLOAD)"
                ));
            }
        }
    }
    Ok(options)
}

/// `cargo xtask bench --peers [--reps N] [--timeout S] [--quick] [--only W]`.
pub(crate) fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let options = parse(args)?;
    let workloads: Vec<&Workload> = WORKLOADS
        .iter()
        .filter(|w| options.only.as_deref().is_none_or(|only| only == w.name))
        .collect();
    if workloads.is_empty() {
        let names: Vec<_> = WORKLOADS.iter().map(|w| w.name).collect();
        return Err(format!("--only takes one of {}", names.join(", ")));
    }
    let binary = build(root)?;
    // results[workload][variant] = one outcome per repetition.
    let mut results: BTreeMap<&str, BTreeMap<&str, Vec<Outcome>>> = BTreeMap::new();
    for rep in 1..=options.reps {
        eprintln!("    round {rep} of {}", options.reps);
        for workload in &workloads {
            let size = workload.size_for(options.quick);
            for &variant in workload.variants {
                let runs = results.get(workload.name).and_then(|r| r.get(variant));
                if runs.is_some_and(|runs| runs.iter().any(Outcome::timed_out)) {
                    // Not again: a process killed at its timeout leaves the
                    // machine slower for the processes after it (measured:
                    // ours on the large heap 0.43 -> 0.77 s, nearly all of
                    // it system time, right after 0.8.19 was killed), and
                    // it would only time out again.
                    eprintln!(
                        "      {} {variant}: not rerun after its timeout",
                        workload.name
                    );
                    continue;
                }
                let outcome = run_one(&binary, workload.name, variant, size, options.timeout);
                eprintln!("      {} {variant}: {}", workload.name, describe(&outcome));
                results
                    .entry(workload.name)
                    .or_default()
                    .entry(variant)
                    .or_default()
                    .push(outcome);
            }
        }
    }
    let command = format!(
        "cargo xtask bench --peers --reps {}{}",
        options.reps,
        if options.quick { " --quick" } else { "" }
    );
    let out_dir = if options.quick {
        root.join("target").join("peers")
    } else {
        root.join("docs").join("benchmarks")
    };
    fs::create_dir_all(&out_dir).map_err(|e| format!("cannot create {out_dir:?}: {e}"))?;
    let mut page = header(&command, options.reps);
    for workload in &workloads {
        let rows = summarise(workload, &results[workload.name]);
        page.push_str(&table(workload, workload.size_for(options.quick), &rows));
        let chart = svg::ratio_chart(
            &format!("{} (median of {})", workload.label, options.reps),
            &command,
            &rows
                .iter()
                .map(|r| svg::Bar {
                    label: r.variant.to_string(),
                    seconds: r.median_wall.map(|d| d.as_secs_f64()),
                    note: r.failure.clone(),
                })
                .collect::<Vec<_>>(),
        );
        let file = out_dir.join(format!("{}.svg", workload.name));
        fs::write(&file, chart).map_err(|e| format!("cannot write {file:?}: {e}"))?;
        let _ = writeln!(page, "![{}]({}.svg)\n", workload.label, workload.name);
    }
    let file = out_dir.join("peers.md");
    fs::write(&file, &page).map_err(|e| format!("cannot write {file:?}: {e}"))?;
    println!("{page}");
    eprintln!("    wrote {}", file.display());
    Ok(())
}

fn build(root: &Path) -> Result<PathBuf, String> {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root).args([
        "build",
        "--profile",
        "peers",
        "-p",
        "benches",
        "--bin",
        "workload",
    ]);
    crate::run(c)?;
    Ok(root.join("target").join("peers").join("workload"))
}

/// Runs one (workload, variant) process to its end or its timeout.
fn run_one(binary: &Path, workload: &str, variant: &str, size: u32, timeout: Duration) -> Outcome {
    let started = Instant::now();
    let child = Command::new(binary)
        .args([workload, variant, &size.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return Outcome::Failed(format!("could not start: {e}")),
    };
    // Read the pipes on their own threads, so a chatty child cannot block.
    let stdout = child.stdout.take().map(read_all);
    let stderr = child.stderr.take().map(read_all);
    let ended = crate::process::wait_with_timeout(child.id(), timeout);
    let wall = started.elapsed();
    let stdout = stdout
        .map(|t| t.join().unwrap_or_default())
        .unwrap_or_default();
    let stderr = stderr
        .map(|t| t.join().unwrap_or_default())
        .unwrap_or_default();
    match ended {
        Err(e) => Outcome::Failed(e),
        Ok(crate::process::Ended::TimedOut) => Outcome::TimedOut(timeout),
        Ok(crate::process::Ended::Exited {
            success,
            status,
            peak_kib,
        }) => {
            if !success {
                let last = stderr
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty() && !l.starts_with("note:"))
                    .unwrap_or("")
                    .trim()
                    .chars()
                    .take(100)
                    .collect::<String>();
                return Outcome::Failed(if last.is_empty() {
                    status
                } else {
                    format!("{status}: {last}")
                });
            }
            let prefix = format!("{workload} {variant} {size}: ");
            let Some(checksum) = stdout
                .lines()
                .find_map(|l| l.strip_prefix(&prefix))
                .map(str::to_string)
            else {
                return Outcome::Failed("printed no checksum".into());
            };
            let pauses = stdout
                .lines()
                .find_map(|l| l.strip_prefix("pauses: "))
                .map(str::to_string);
            Outcome::Done {
                wall,
                peak_kib,
                checksum,
                pauses,
            }
        }
    }
}

fn read_all(mut pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Done { wall, peak_kib, .. } => {
            format!("{:.3} s, {} MiB", wall.as_secs_f64(), peak_kib / 1024)
        }
        failed => failed.failure().unwrap_or_default(),
    }
}

/// One variant's medians over its repetitions.
struct Row {
    variant: &'static str,
    median_wall: Option<Duration>,
    min_wall: Option<Duration>,
    max_wall: Option<Duration>,
    median_peak_kib: Option<u64>,
    pauses: Option<String>,
    /// Why some repetitions did not count (crash, timeout, other checksum).
    failure: Option<String>,
}

fn median<T: Copy + Ord>(mut values: Vec<T>) -> Option<T> {
    values.sort_unstable();
    values.get(values.len() / 2).copied()
}

fn summarise(workload: &Workload, runs: &BTreeMap<&str, Vec<Outcome>>) -> Vec<Row> {
    // The checksum most variants agree on is the right one.
    let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
    for outcomes in runs.values() {
        for o in outcomes {
            if let Outcome::Done { checksum, .. } = o {
                *votes.entry(checksum).or_default() += 1;
            }
        }
    }
    let expected = votes.iter().max_by_key(|(_, n)| **n).map(|(c, _)| *c);
    workload
        .variants
        .iter()
        .map(|&variant| {
            let outcomes = &runs[variant];
            let mut walls = Vec::new();
            let mut peaks = Vec::new();
            let mut failures = Vec::new();
            let mut pauses = None;
            for o in outcomes {
                match o {
                    Outcome::Done {
                        wall,
                        peak_kib,
                        checksum,
                        pauses: p,
                    } if Some(checksum.as_str()) == expected => {
                        walls.push(*wall);
                        peaks.push(*peak_kib);
                        if pauses.is_none() {
                            pauses.clone_from(p);
                        }
                    }
                    Outcome::Done { checksum, .. } => {
                        failures.push(format!("wrong checksum {checksum}"));
                    }
                    failed => failures.extend(failed.failure()),
                }
            }
            failures.dedup();
            let failure = (!failures.is_empty()).then(|| {
                let rerun = if outcomes.iter().any(Outcome::timed_out) {
                    " (a run that times out is not repeated)"
                } else {
                    ""
                };
                format!(
                    "{} of {} runs failed: {}{rerun}",
                    outcomes.len() - walls.len(),
                    outcomes.len(),
                    failures.join("; ")
                )
            });
            Row {
                variant,
                median_wall: median(walls.clone()),
                min_wall: walls.iter().min().copied(),
                max_wall: walls.iter().max().copied(),
                median_peak_kib: median(peaks),
                pauses,
                failure,
            }
        })
        .collect()
}

fn header(command: &str, reps: usize) -> String {
    let machine = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "# Peer suite: rudo-gc against Box, Rc and the published collectors\n\n\
         Generated by `{command}` (do not edit; rerun it). Each cell is a whole \
         process (allocation, collections, teardown), the median of {reps} \
         interleaved runs, on {machine} with {cores} cores. `ratio` is the \
         median wall time over the fastest variant's. Peak RSS is the \
         operating system's figure for the process. Variants: `gc` is this \
         workspace's `rudo_gc`; `rudo_published` is the crate of the same name \
         published as 0.8.19; `dumpster` is `dumpster::unsync`; `gc_crate` is \
         the `gc` crate; `arena` is `gc-arena`. The two threaded workloads \
         run only the pointers that may cross threads (`Arc`, ours, \
         `dumpster::sync`): the other collectors are single-threaded, and \
         0.8.19's `Gc` is not `Send`. The `collector` column is our \
         collector's own count from the first run.\n\n"
    )
}

fn table(workload: &Workload, size: u32, rows: &[Row]) -> String {
    let fastest = rows.iter().filter_map(|r| r.median_wall).min();
    let mut out = format!(
        "## {}\n\n`workload {} <variant> {}`\n\n\
         | variant | wall (median) | min - max | ratio | peak RSS | collector |\n\
         |---|---|---|---|---|---|\n",
        workload.label, workload.name, size
    );
    for row in rows {
        let secs =
            |d: Option<Duration>| d.map_or("-".to_string(), |d| format!("{:.3}", d.as_secs_f64()));
        let ratio = match (row.median_wall, fastest) {
            (Some(w), Some(f)) => format!("{:.2}x", w.as_secs_f64() / f.as_secs_f64()),
            _ => "-".into(),
        };
        let rss = row
            .median_peak_kib
            .map_or("-".to_string(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
        let mut notes = row.pauses.clone().unwrap_or_default();
        if let Some(f) = &row.failure {
            if !notes.is_empty() {
                notes.push_str("; ");
            }
            notes.push_str(&format!("**{f}**"));
        }
        let _ = writeln!(
            out,
            "| {} | {} s | {} - {} | {} | {} | {} |",
            row.variant,
            secs(row.median_wall),
            secs(row.min_wall),
            secs(row.max_wall),
            ratio,
            rss,
            notes.replace('|', "/")
        );
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_checksum_and_a_crash_are_failures_not_results() {
        let workload = Workload {
            name: "w",
            label: "w",
            size: 1,
            quick: 1,
            variants: &["a", "b", "c"],
        };
        let done = |ms, checksum: &str| Outcome::Done {
            wall: Duration::from_millis(ms),
            peak_kib: 1024,
            checksum: checksum.into(),
            pauses: None,
        };
        let mut runs: BTreeMap<&str, Vec<Outcome>> = BTreeMap::new();
        runs.insert("a", vec![done(10, "42"), done(30, "42"), done(20, "42")]);
        runs.insert(
            "b",
            vec![
                done(5, "41"),
                done(5, "42"),
                Outcome::Failed("signal 11".into()),
            ],
        );
        runs.insert("c", vec![done(40, "42"); 3]);
        let rows = summarise(&workload, &runs);
        assert_eq!(rows[0].median_wall, Some(Duration::from_millis(20)));
        assert!(rows[0].failure.is_none());
        let b = rows[1].failure.as_deref().expect("b failed twice");
        assert!(b.contains("2 of 3"), "{b}");
        assert!(
            b.contains("wrong checksum 41") && b.contains("signal 11"),
            "{b}"
        );
        assert_eq!(rows[1].median_wall, Some(Duration::from_millis(5)));
        let text = table(&workload, 1, &rows);
        assert!(
            text.contains("| a | 0.020 s | 0.010 - 0.030 | 4.00x |"),
            "{text}"
        );
    }

    #[test]
    fn a_timeout_is_reported_as_not_repeated() {
        let workload = Workload {
            name: "w",
            label: "w",
            size: 1,
            quick: 1,
            variants: &["slow"],
        };
        let killed = Outcome::TimedOut(Duration::from_secs(20));
        assert!(killed.timed_out());
        assert!(!Outcome::Failed("signal 11".into()).timed_out());
        let mut runs: BTreeMap<&str, Vec<Outcome>> = BTreeMap::new();
        runs.insert("slow", vec![killed]);
        let rows = summarise(&workload, &runs);
        let why = rows[0].failure.as_deref().expect("it failed");
        assert_eq!(
            why,
            "1 of 1 runs failed: timeout after 20 s (a run that times out is not repeated)"
        );
    }

    #[test]
    fn options_are_checked() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(parse(&args(&["--reps", "0"])).is_err());
        assert!(parse(&args(&["--bogus"])).is_err());
        let o = parse(&args(&["--reps", "3", "--quick", "--only", "gcbench"])).unwrap();
        assert_eq!(
            (o.reps, o.quick, o.only.as_deref()),
            (3, true, Some("gcbench"))
        );
    }
}
