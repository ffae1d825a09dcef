//! Compile-fail tests: derive misuse and types the collector rejects.
//!
//! Each file in `tests/ui/` must fail to compile with the message in its
//! `.stderr` file. Regenerate them with
//! `TRYBUILD=overwrite cargo test -p rudo-gc --test compile_fail`, then read
//! every changed `.stderr`: the error must be the intended one, not a typo.

#[test]
#[cfg_attr(miri, ignore)]
// The compiler's errors do not depend on the profile; the release run of the
// suites (`cargo xtask test`) skips this slow one.
#[cfg_attr(not(debug_assertions), ignore = "checked by the debug run")]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
