//! `cargo xtask`: the project's automation. `cargo xtask ci` runs exactly what
//! CI runs; every step is also its own subcommand.
//!
//! Model: rust-analyzer's `xtask`, crossbeam's `ci/*.sh`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

mod fuzz;
mod miri;
mod peers;
mod process;
mod sanitize;
mod svg;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  ci       everything CI runs: fmt, clippy, doc, test, examples, heapsnapshot, loom
           (bounded), miri, sanitize, fuzz (60 s per target)
  fmt      check formatting (cargo fmt --check)
  clippy   clippy on all targets with -D warnings
  doc      build docs with -D warnings
  test     unit, integration, doc and compile-fail tests (the core's also
           in release builds)
  examples run every example once (the service for a second, with both stores;
           the VM's programs on every stack flavour)
  heapsnapshot
           the leak_hunt example's heap snapshot loaded into published
           parsers (npm's v8-heapsnapshot, and DevTools' own code from
           heap-snapshot-toolkit; installed into target/): counts, the
           Summary view, the leaked object's retainers (needs node and npm)
  miri [--jobs N] [TEST...]
           the core's and the adapter's tests under Miri, one test binary
           per job, N at a time (default: the available parallelism); TEST
           names select binaries (`lib`, a core test file's stem, an adapter
           test's); logs in target/miri-logs (installs nightly miri if
           missing)
  sanitize [--only address|thread]
           the core's tests under AddressSanitizer (free heap slots
           poisoned) and ThreadSanitizer (nightly; installs rust-src for
           -Zbuild-std if missing)
  loom     the thread-protocol models under loom, exhaustively up to
           LOOM_MAX_PREEMPTIONS (default 3; ci uses 2)
  bench    run the criterion benchmarks (long; not part of ci)
  bench --peers [--reps N] [--timeout S] [--only WORKLOAD] [--quick]
           the peer suite: every workload as its own process against Box,
           Rc and the published collectors, interleaved, medians of N (5);
           writes docs/benchmarks/peers.md and an SVG per workload
           (--quick: tiny sizes, output in target/peers; long otherwise)
  fuzz [--seconds N] [--only TARGET]
           the libFuzzer targets of fuzz/ for N seconds each (default 60;
           installs nightly and cargo-fuzz if missing)
  soak [--minutes N] [soak options]
           the soak (soak/): 4 threads and 8 tasks on a 2-worker tokio
           runtime on one shared cyclic graph for N minutes (default 10),
           checks throughout, drop balance and peak RSS at the end (long;
           ci runs its short version in `test`); other options go to the
           soak binary (`--threads N`, `--tasks N`, `--max-rss-mib N`,
           `--seed N`)
  soak-tests
           the multi-threaded tests again and again, debug and release
           (SOAK_ROUNDS rounds, default 200; long; not part of ci)
";

type Step = fn(&Path) -> Result<(), String>;

fn main() -> ExitCode {
    let root = workspace_root();
    let args: Vec<String> = env::args().skip(1).collect();
    let steps: Vec<(&str, Step)> = match args.first().map(String::as_str) {
        Some("ci") => vec![
            ("fmt", fmt),
            ("clippy", clippy),
            ("doc", doc),
            ("test", test),
            ("examples", examples),
            ("heapsnapshot", heapsnapshot),
            ("loom", loom_ci),
            ("miri", miri_ci),
            ("sanitize", sanitize_ci),
            ("fuzz", fuzz_ci),
        ],
        Some("fmt") => vec![("fmt", fmt)],
        Some("clippy") => vec![("clippy", clippy)],
        Some("doc") => vec![("doc", doc)],
        Some("test") => vec![("test", test)],
        Some("examples") => vec![("examples", examples)],
        Some("heapsnapshot") => vec![("heapsnapshot", heapsnapshot)],
        Some("miri") => return run_with_args("miri", || miri::miri(&root, &args[1..])),
        Some("loom") => vec![("loom", loom)],
        Some("bench") if args.get(1).map(String::as_str) == Some("--peers") => {
            return run_with_args("bench --peers", || peers::run(&root, &args[2..]));
        }
        Some("bench") => vec![("bench", bench)],
        Some("soak") => return run_with_args("soak", || soak(&root, &args[1..])),
        Some("soak-tests") => vec![("soak-tests", soak_tests)],
        Some("sanitize") => {
            return run_with_args("sanitize", || sanitize::sanitize(&root, &args[1..]));
        }
        Some("fuzz") => return run_with_args("fuzz", || fuzz::fuzz(&root, &args[1..])),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("xtask: unknown command `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
        None => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    for (name, step) in steps {
        let t = Instant::now();
        eprintln!("\n==> xtask {name}");
        if let Err(e) = step(&root) {
            eprintln!("\nxtask {name} FAILED: {e}");
            return ExitCode::FAILURE;
        }
        eprintln!("==> xtask {name}: ok ({:.0?})", t.elapsed());
    }
    eprintln!("\nxtask: all steps passed in {:.0?}", started.elapsed());
    ExitCode::SUCCESS
}

/// The value of an `--only` argument: one of `choices` (what they are is
/// `what`, for the error).
pub(crate) fn only_one_of<'a>(
    value: Option<&String>,
    choices: &[&'a str],
    what: &str,
) -> Result<&'a str, String> {
    let value = value.ok_or_else(|| format!("--only needs a {what} name"))?;
    choices
        .iter()
        .find(|c| **c == value.as_str())
        .copied()
        .ok_or_else(|| format!("no {what} {value:?}; the choices: {choices:?}"))
}

/// Runs a command that takes its own arguments, timed and reported like a
/// step.
fn run_with_args(name: &str, f: impl FnOnce() -> Result<(), String>) -> ExitCode {
    let started = Instant::now();
    eprintln!("\n==> xtask {name}");
    match f() {
        Ok(()) => {
            eprintln!("==> xtask {name}: ok ({:.0?})", started.elapsed());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("\nxtask {name} FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    let manifest = env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    Path::new(&manifest)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn cargo(root: &Path) -> Command {
    let mut c = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root);
    c
}

pub(crate) fn run(cmd: Command) -> Result<(), String> {
    eprintln!("    $ {cmd:?}");
    run_quiet(cmd)
}

/// [`run`] without echoing the command.
pub(crate) fn run_quiet(mut cmd: Command) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("could not start {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} exited with {status}"))
    }
}

/// Installs the nightly toolchain, or just those of `components` it lacks.
/// Returns whether anything was installed.
pub(crate) fn ensure_nightly(root: &Path, components: &[&str]) -> Result<bool, String> {
    let installed = Command::new("rustup")
        .args(["component", "list", "--installed", "--toolchain", NIGHTLY])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    let mut c = Command::new("rustup");
    match installed {
        Some(list) => {
            // Lines read `miri-x86_64-unknown-linux-gnu`, or `rust-src`.
            let missing: Vec<&str> = components
                .iter()
                .copied()
                .filter(|want| !list.lines().any(|l| l.starts_with(want)))
                .collect();
            if missing.is_empty() {
                return Ok(false);
            }
            c.args(["component", "add", "--toolchain", NIGHTLY])
                .args(missing);
        }
        None => {
            c.args(["toolchain", "install", NIGHTLY, "--profile", "minimal"]);
            if !components.is_empty() {
                c.arg("--component").arg(components.join(","));
                // The newest nightly may lack a component for a day or two.
                c.arg("--allow-downgrade");
            }
        }
    }
    run(c)?;
    Ok(true)
}

fn fmt(root: &Path) -> Result<(), String> {
    let mut c = cargo(root);
    c.args(["fmt", "--all", "--", "--check"]);
    run(c)
}

fn clippy(root: &Path) -> Result<(), String> {
    let mut c = cargo(root);
    c.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]);
    run(c)
}

fn doc(root: &Path) -> Result<(), String> {
    let mut c = cargo(root);
    c.args(["doc", "--workspace", "--no-deps", "--all-features"]);
    c.env("RUSTDOCFLAGS", "-D warnings");
    run(c)
}

fn test(root: &Path) -> Result<(), String> {
    let mut c = cargo(root);
    c.args([
        "test",
        "--workspace",
        "--lib",
        "--bins",
        "--tests",
        "--examples",
    ]);
    run(c)?;
    // The core's suites again in release builds: debug assertions must not
    // be what makes them pass (several regression tests are about release
    // behaviour: dead objects, interior lookups).
    let mut c = cargo(root);
    c.args(["test", "-p", "rudo-gc", "--release", "--lib", "--tests"]);
    run(c)?;
    // The optional `tracing` hooks, with a real subscriber.
    let mut c = cargo(root);
    c.args([
        "test",
        "-p",
        "rudo-gc",
        "--features",
        "tracing",
        "--test",
        "tracing_spans",
    ]);
    run(c)?;
    let mut c = cargo(root);
    c.args(["test", "--workspace", "--doc"]);
    run(c)
}

/// Every example, with the arguments that keep it short.
const EXAMPLES: &[(&str, &[&str])] = &[
    ("graph", &[]),
    ("graph_service", &["--seconds", "1", "--clients", "2"]),
    (
        "graph_service",
        &["--seconds", "1", "--clients", "2", "--baseline", "arc"],
    ),
    ("tokio_spawn", &[]),
    ("tokio_macros", &[]),
    ("tokio_macros_manual", &[]),
    ("tokio_root_guard", &[]),
    ("leak_hunt", &["target/leak_hunt.heapsnapshot"]),
];

/// The example VM's programs, each on every stack flavour, kept short.
const VM_RUNS: &[&[&str]] = &[
    &["fib", "18"],
    &["binary-trees", "8"],
    &["counters", "500"],
    &["churn", "5000"],
];

fn examples(root: &Path) -> Result<(), String> {
    for (name, args) in EXAMPLES {
        let mut c = cargo(root);
        c.args(["run", "--quiet", "-p", "examples", "--example", name, "--"]);
        c.args(*args);
        run(c)?;
    }
    for args in VM_RUNS {
        for flavour in ["counted", "conservative", "rc"] {
            let mut c = cargo(root);
            c.args(["run", "--quiet", "-p", "rudo-vm", "--"]);
            c.args(*args);
            c.args(["--stack", flavour]);
            run(c)?;
        }
    }
    Ok(())
}

/// The leak-hunt example writes a snapshot; published parsers of V8's
/// format load it (`xtask/heapsnapshot/check.mjs`: npm's `v8-heapsnapshot`,
/// and `heap-snapshot-toolkit`, which is Chrome DevTools' own snapshot
/// code) and check it against what the example says it wrote.
fn heapsnapshot(root: &Path) -> Result<(), String> {
    let dir = root.join("target").join("heapsnapshot");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for file in ["package.json", "check.mjs"] {
        let from = root.join("xtask/heapsnapshot").join(file);
        std::fs::copy(&from, dir.join(file)).map_err(|e| format!("{}: {e}", from.display()))?;
    }
    let snapshot = dir.join("leak_hunt.heapsnapshot");
    let mut c = cargo(root);
    c.args([
        "run",
        "--quiet",
        "-p",
        "examples",
        "--example",
        "leak_hunt",
        "--",
    ]);
    c.arg(&snapshot);
    run(c)?;
    let mut npm = Command::new("npm");
    npm.args(["install", "--no-audit", "--no-fund", "--loglevel=error"]);
    npm.current_dir(&dir);
    run(npm).map_err(|e| format!("{e} (this step needs node and npm on the PATH)"))?;
    let mut node = Command::new("node");
    node.arg("check.mjs").arg(&snapshot).current_dir(&dir);
    run(node)
}

/// CI's sanitizer runs: both sanitizers.
fn sanitize_ci(root: &Path) -> Result<(), String> {
    sanitize::sanitize(root, &[])
}

/// CI's Miri run: every test binary, on every core.
fn miri_ci(root: &Path) -> Result<(), String> {
    miri::miri(root, &[])
}

/// CI's fuzzing: every target for a minute.
fn fuzz_ci(root: &Path) -> Result<(), String> {
    fuzz::fuzz(root, &[])
}

/// The nightly toolchain Miri, the sanitizers and fuzzing run on.
pub(crate) const NIGHTLY: &str = "nightly";

/// `cargo` of the nightly toolchain. Through `rustup run`, not `cargo
/// +nightly`: the `cargo` this program was started by (`$CARGO`) is the
/// pinned toolchain's own binary, which does not understand `+toolchain`.
pub(crate) fn nightly_cargo(root: &Path) -> Command {
    let mut c = Command::new("rustup");
    c.current_dir(root);
    c.args(["run", NIGHTLY, "cargo"]);
    c.env_remove("CARGO").env_remove("RUSTUP_TOOLCHAIN");
    c
}

/// The core's integration test files (`crates/rudo-gc/tests/*.rs`), by
/// name, sorted, except those in `except`.
pub(crate) fn core_test_files(root: &Path, except: &[&str]) -> Result<Vec<String>, String> {
    let dir = root.join("crates/rudo-gc/tests");
    let mut tests = Vec::new();
    for entry in
        std::fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?
    {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|x| x == "rs")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
            && !except.contains(&stem)
        {
            tests.push(stem.to_owned());
        }
    }
    tests.sort();
    Ok(tests)
}

/// The `loom` models of the heap-operation handshake
/// (`crates/rudo-gc/src/mutator/loom_models.rs`), in their own target
/// directory so that `--cfg loom` does not invalidate the normal build.
fn loom_with_bound(root: &Path, default_bound: &str) -> Result<(), String> {
    let mut c = cargo(root);
    c.args(["test", "-p", "rudo-gc", "--lib", "--release"]);
    c.env("RUSTFLAGS", "--cfg loom");
    c.env("CARGO_TARGET_DIR", root.join("target").join("loom"));
    if env::var_os("LOOM_MAX_PREEMPTIONS").is_none() {
        c.env("LOOM_MAX_PREEMPTIONS", default_bound);
    }
    run(c)
}

fn loom(root: &Path) -> Result<(), String> {
    loom_with_bound(root, "3")
}

fn loom_ci(root: &Path) -> Result<(), String> {
    loom_with_bound(root, "2")
}

/// The test files whose threads race: a soak runs them until an
/// interleaving that a single run rarely hits turns up.
const SOAK_TESTS: &[&str] = &["threads", "thread_exit", "reentrancy", "collect_budget"];

/// The soak program in release mode; `--minutes` defaults to 10 and every
/// other argument goes to it.
fn soak(root: &Path, args: &[String]) -> Result<(), String> {
    let mut c = cargo(root);
    c.args(["run", "--release", "-p", "rudo-gc-soak", "--"]);
    if !args
        .iter()
        .any(|a| a == "--minutes" || a == "--seconds" || a == "--rounds")
    {
        c.args(["--minutes", "10"]);
    }
    c.args(args);
    run(c)
}

fn soak_tests(root: &Path) -> Result<(), String> {
    let rounds: u32 = match env::var("SOAK_ROUNDS") {
        Ok(v) => v
            .parse()
            .map_err(|_| format!("SOAK_ROUNDS must be a whole number, not `{v}`"))?,
        Err(_) => 200,
    };
    for release in [false, true] {
        let profile = if release { "release" } else { "debug" };
        for round in 1..=rounds {
            let mut c = cargo(root);
            c.args(["test", "-q", "-p", "rudo-gc"]);
            if release {
                c.arg("--release");
            }
            for test in SOAK_TESTS {
                c.args(["--test", test]);
            }
            let output = c
                .output()
                .map_err(|e| format!("could not start {c:?}: {e}"))?;
            if !output.status.success() {
                eprintln!("{}", String::from_utf8_lossy(&output.stdout));
                eprintln!("{}", String::from_utf8_lossy(&output.stderr));
                return Err(format!("{profile} round {round} of {rounds} failed"));
            }
            if round % 50 == 0 {
                eprintln!("    {profile}: {round} of {rounds} rounds passed");
            }
        }
    }
    Ok(())
}

fn bench(root: &Path) -> Result<(), String> {
    let mut c = cargo(root);
    c.args(["bench", "-p", "benches", "--benches"]);
    run(c)
}
