//! `cargo xtask fuzz [--seconds N] [--only TARGET]`: the libFuzzer targets of
//! `fuzz/` (cargo-fuzz, nightly, AddressSanitizer with the heap's free slots
//! poisoned), each for N seconds
//! (default 60, what CI runs). Installs cargo-fuzz and the nightly
//! toolchain if missing. A crash leaves its input in
//! `fuzz/artifacts/<target>/`; minimise it with `cargo fuzz tmin` and add it
//! to `fuzz/tests/seeded.rs` as a regression test.

use std::path::Path;
use std::process::Command;

use crate::{nightly_cargo, run};

/// Every fuzz target (`fuzz/fuzz_targets/<name>.rs`).
const TARGETS: &[&str] = &["graph", "threads"];

/// Runs the targets for the duration `args` asks for.
pub(crate) fn fuzz(root: &Path, args: &[String]) -> Result<(), String> {
    let mut seconds = 60_u64;
    let mut only: Option<&str> = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => {
                seconds = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--seconds needs a whole number of seconds")?;
            }
            "--only" => only = Some(crate::only_one_of(args.next(), TARGETS, "fuzz target")?),
            other => return Err(format!("xtask fuzz: unknown argument {other:?}")),
        }
    }
    ensure_cargo_fuzz(root)?;
    for target in TARGETS.iter().filter(|t| only.is_none_or(|o| o == **t)) {
        let corpus = root.join("fuzz/corpus").join(target);
        std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
        let mut c = nightly_cargo(root);
        c.args([
            "fuzz",
            "run",
            target,
            "--fuzz-dir",
            "fuzz",
            "--features",
            "libfuzzer",
            "--",
        ]);
        c.arg(format!("-max_total_time={seconds}"));
        // cargo-fuzz builds with AddressSanitizer; the cfg makes the heap
        // poison its free slots for it (`heap/poison.rs`). cargo-fuzz adds
        // its own flags to these.
        c.env("RUSTFLAGS", crate::sanitize::ASAN_CFG);
        c.arg("-print_final_stats=1");
        run(c)?;
    }
    Ok(())
}

/// Installs the nightly toolchain and cargo-fuzz if either is missing.
fn ensure_cargo_fuzz(root: &Path) -> Result<(), String> {
    let works = |c: &mut Command| c.output().map(|o| o.status.success()).unwrap_or(false);
    crate::ensure_nightly(root, &[])?;
    if !works(nightly_cargo(root).args(["fuzz", "--version"])) {
        let mut c = nightly_cargo(root);
        c.args(["install", "cargo-fuzz", "--locked"]);
        run(c)?;
    }
    Ok(())
}
