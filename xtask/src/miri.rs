//! `cargo xtask miri [--jobs N] [TEST...]`: the core's and the adapter's
//! tests under Miri, one test binary per job, on every core.
//!
//! Miri interprets a program on one host thread, and `cargo miri test` runs
//! its test binaries one after another, so a plain run uses one core of the
//! two this project's CI has. Here every test binary is built first
//! (`--no-run`), then each is its own `cargo miri test` job, taken from one
//! queue by `--jobs` workers (default: the available parallelism). Cargo
//! holds its build lock only while it builds, so the jobs' interpreters run
//! side by side; every job's output goes to `target/miri-logs/<job>.log`
//! and is printed whole when the job ends, with its wall time, so the log
//! reads as a sequence of complete runs.
//!
//! The queue starts with the binaries that took longest (`SLOW_FIRST`, a
//! scheduling hint only: a missing or renamed name changes nothing but the
//! order), so that no long job starts last.
//!
//! `TEST` names (`lib` for the core's unit tests, a core test file's stem,
//! or `tokio_<stem>` for the adapter's) run just those.

use std::collections::VecDeque;
use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Instant;

use crate::{core_test_files, nightly_cargo, run, run_quiet};

/// Weak-memory emulation is off because Miri's store buffers cannot model
/// mixed-size atomic accesses to the same bytes: a page reused for another
/// size class writes 4-byte header atomics where an 8-byte length trailer
/// was, and Miri aborts with "partially overlapping store buffer". The
/// accesses never race (the page changes hands through the pool's lock);
/// data races and provenance are still checked. (Weak memory is what the
/// `loom` models are for.)
const COMMON_FLAGS: &str = "-Zmiri-disable-weak-memory-emulation";

/// Integration tests whose threads contend for locks: `parking_lot`'s
/// contended path turns integers into pointers (`parking_lot_core`'s
/// `word_lock.rs`), which strict provenance rejects, so these run with
/// permissive provenance; so does `ptr_raw`, whose FFI round trip turns a
/// `Gc::into_raw` pointer into a `u64` and back, as C user data does, and
/// `ptr_interior` and the `roots_*` region tests, whose words are addresses
/// stored as integers; `heap_census`, whose threads hand objects over, and
/// `heap_snapshot`, which registers a region.
/// Everything else runs with strict provenance.
const THREADED_TESTS: &[&str] = &[
    "threads",
    "thread_exit",
    "handles_teardown",
    "collect_drop_panics",
    "roots_table",
    "handles_async",
    "safepoint",
    "ptr_dyn",
    "ptr_raw",
    "ptr_interior",
    "roots_conservative",
    "roots_section",
    "heap_census",
    "heap_snapshot",
];

/// The adapter's test files Miri runs (its compile-fail tests need rustc;
/// `tokio_misuse` and `tokio_auto_traits` check panics and types that the
/// core's files already cover under Miri). Multi-threaded runtimes, so
/// permissive provenance.
const TOKIO_TESTS: &[&str] = &["tokio_guards", "tokio_macros", "tokio_tasks"];

/// The jobs that took longest under Miri (stop 22's CI: 60-150 s each,
/// against 5-50 s for most), queued first. Only an ordering hint.
const SLOW_FIRST: &[&str] = &[
    "threads",
    "tokio_tasks",
    "collect_edge_list",
    "collect_drops",
    "ptr_api",
    "collect_parallel",
    "collect_schedule",
    "collect_roots",
    "collect_cycles",
    "heap_lookup_model",
    "safepoint",
    "misuse_trace",
    "collect_leaks",
    "thread_exit",
    "lib",
];

/// One test binary under Miri.
struct Job {
    /// `lib`, the core test file's stem, or `tokio_<stem>`.
    name: String,
    package: &'static str,
    /// `--lib`, or `--test <stem>`.
    target: Vec<String>,
    strict: bool,
}

impl Job {
    fn command(&self, root: &Path, no_run: bool) -> Command {
        let mut c = nightly_cargo(root);
        c.args(["miri", "test", "-p", self.package]);
        c.args(&self.target);
        if no_run {
            c.arg("--no-run");
        }
        let provenance = if self.strict {
            "-Zmiri-strict-provenance"
        } else {
            "-Zmiri-permissive-provenance"
        };
        c.env("MIRIFLAGS", format!("{provenance} {COMMON_FLAGS}"));
        c
    }
}

/// Every job, slow ones first.
fn all_jobs(root: &Path) -> Result<Vec<Job>, String> {
    let mut jobs = vec![Job {
        name: "lib".into(),
        package: "rudo-gc",
        target: vec!["--lib".into()],
        strict: true,
    }];
    for test in core_test_files(root, &[])? {
        jobs.push(Job {
            strict: !THREADED_TESTS.contains(&test.as_str()),
            target: vec!["--test".into(), test.clone()],
            name: test,
            package: "rudo-gc",
        });
    }
    for test in TOKIO_TESTS {
        jobs.push(Job {
            name: (*test).into(),
            package: "rudo-gc-tokio",
            target: vec!["--test".into(), (*test).into()],
            strict: false,
        });
    }
    // Stable: the rest keep their sorted order.
    jobs.sort_by_key(|j| {
        SLOW_FIRST
            .iter()
            .position(|s| *s == j.name)
            .unwrap_or(SLOW_FIRST.len())
    });
    Ok(jobs)
}

/// Runs the jobs `args` select (all by default) on `--jobs` workers.
pub(crate) fn miri(root: &Path, args: &[String]) -> Result<(), String> {
    let mut workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut only = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--jobs" => {
                workers = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--jobs needs a positive number")?;
            }
            other if other.starts_with('-') => {
                return Err(format!("xtask miri: unknown option {other:?}"));
            }
            name => only.push(name.to_owned()),
        }
    }
    let mut jobs = all_jobs(root)?;
    if !only.is_empty() {
        let names: Vec<String> = jobs.iter().map(|j| j.name.clone()).collect();
        if let Some(unknown) = only.iter().find(|o| !names.contains(o)) {
            return Err(format!(
                "xtask miri: no test binary {unknown:?}; the choices: {names:?}"
            ));
        }
        jobs.retain(|j| only.contains(&j.name));
    }
    ensure_miri(root)?;
    build(root, &jobs)?;
    let logs = root.join("target").join("miri-logs");
    std::fs::create_dir_all(&logs).map_err(|e| format!("cannot create {}: {e}", logs.display()))?;
    let total = jobs.len();
    let queue = Mutex::new(VecDeque::from(jobs));
    let failed = Mutex::new(Vec::new());
    let printing = Mutex::new(0usize);
    std::thread::scope(|s| {
        for _ in 0..workers.min(total) {
            s.spawn(|| {
                loop {
                    let Some(job) = queue.lock().unwrap().pop_front() else {
                        break;
                    };
                    let log = logs.join(format!("{}.log", job.name));
                    let started = Instant::now();
                    let outcome = run_logged(job.command(root, false), &log);
                    let secs = started.elapsed().as_secs();
                    let output = std::fs::read_to_string(&log).unwrap_or_default();
                    let mut done = printing.lock().unwrap();
                    *done += 1;
                    let verdict = match &outcome {
                        Ok(()) => "ok".to_owned(),
                        Err(e) => format!("FAILED: {e}"),
                    };
                    eprintln!(
                        "\n--> miri {} ({}/{total}, {secs} s): {verdict}",
                        job.name, *done
                    );
                    eprint!("{output}");
                    if outcome.is_err() {
                        failed.lock().unwrap().push(job.name.clone());
                    }
                }
            });
        }
    });
    let failed = failed.into_inner().unwrap();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {total} test binaries failed under Miri: {failed:?} (logs in {})",
            failed.len(),
            logs.display()
        ))
    }
}

/// Builds every job's test binary, one `cargo miri test --no-run` per
/// package and provenance mode, so that the jobs only interpret.
fn build(root: &Path, jobs: &[Job]) -> Result<(), String> {
    let mut groups: Vec<(&str, bool, Vec<&str>)> = Vec::new();
    for job in jobs {
        let key = (job.package, job.strict);
        match groups.iter_mut().find(|g| (g.0, g.1) == key) {
            Some(g) => g.2.extend(job.target.iter().map(String::as_str)),
            None => groups.push((
                job.package,
                job.strict,
                job.target.iter().map(String::as_str).collect(),
            )),
        }
    }
    for (package, strict, targets) in groups {
        let job = Job {
            name: String::new(),
            package,
            target: targets.into_iter().map(str::to_owned).collect(),
            strict,
        };
        run(job.command(root, true))?;
    }
    Ok(())
}

/// Runs `cmd` with its stdout and stderr, interleaved as written, in `log`.
fn run_logged(mut cmd: Command, log: &Path) -> Result<(), String> {
    let file = File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let err = file.try_clone().map_err(|e| e.to_string())?;
    cmd.stdout(Stdio::from(file)).stderr(Stdio::from(err));
    run_quiet(cmd)
}

/// Installs Miri (and the nightly toolchain) if missing, and sets up its
/// standard library.
fn ensure_miri(root: &Path) -> Result<(), String> {
    if crate::ensure_nightly(root, &["miri", "rust-src"])? {
        let mut setup = nightly_cargo(root);
        setup.args(["miri", "setup"]);
        run(setup)?;
    }
    Ok(())
}
