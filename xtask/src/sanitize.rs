//! `cargo xtask sanitize [--only address|thread]`: the core's test suite
//! under AddressSanitizer and ThreadSanitizer (nightly `-Zsanitizer`).
//!
//! - AddressSanitizer also builds the core with `--cfg rudo_asan`, which
//!   poisons the heap's free slots (`heap/poison.rs`): ASan sees the heap's
//!   chunks as ordinary `malloc`ed blocks and would miss a read of a freed
//!   slot otherwise. LeakSanitizer runs with it.
//! - ThreadSanitizer needs the standard library instrumented too, so it
//!   builds it (`-Zbuild-std`, which needs the nightly `rust-src`
//!   component).
//!
//! Every test file of `crates/rudo-gc/tests` runs except `compile_fail`,
//! whose expected messages are the pinned toolchain's. Each sanitizer has
//! its own target directory. A report fails the run: ASan aborts the test
//! binary, TSan makes it exit with status 66.

use std::path::Path;

use crate::{nightly_cargo, run};

/// What makes the heap poison its free slots for AddressSanitizer
/// (`heap/poison.rs`); the fuzz builds, which use ASan too, pass it as well.
pub(crate) const ASAN_CFG: &str = "--cfg rudo_asan";

/// The sanitizers, by the name `-Zsanitizer` takes.
const SANITIZERS: &[&str] = &["address", "thread"];

/// The host target: sanitizer builds name it so that build scripts and
/// proc macros are built without the sanitizer.
const TARGET: &str = "x86_64-unknown-linux-gnu";

/// Runs the sanitizers `args` ask for (all by default).
pub(crate) fn sanitize(root: &Path, args: &[String]) -> Result<(), String> {
    let mut only = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--only" => only = Some(crate::only_one_of(args.next(), SANITIZERS, "sanitizer")?),
            other => return Err(format!("xtask sanitize: unknown argument {other:?}")),
        }
    }
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        return Err(format!("the sanitizer runs are set up for {TARGET} only"));
    }
    // `rust-src` for `-Zbuild-std`.
    crate::ensure_nightly(root, &["rust-src"])?;
    let tests = crate::core_test_files(root, &["compile_fail"])?;
    for sanitizer in SANITIZERS.iter().filter(|s| only.is_none_or(|o| o == **s)) {
        let mut c = nightly_cargo(root);
        c.args(["test", "-p", "rudo-gc", "--target", TARGET, "--lib"]);
        for test in &tests {
            c.args(["--test", test]);
        }
        let mut flags = format!("-Zsanitizer={sanitizer}");
        if *sanitizer == "address" {
            flags.push(' ');
            flags.push_str(ASAN_CFG);
        } else {
            c.arg("-Zbuild-std");
        }
        c.env("RUSTFLAGS", flags);
        c.env(
            "CARGO_TARGET_DIR",
            root.join("target").join(format!("sanitize-{sanitizer}")),
        );
        run(c)?;
    }
    Ok(())
}
