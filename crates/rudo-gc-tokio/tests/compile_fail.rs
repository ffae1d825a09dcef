//! Compile-fail tests of the adapter: macro misuse, and values that cannot
//! go where the adapter would take them. Regenerate the `.stderr` files with
//! `TRYBUILD=overwrite cargo test -p rudo-gc-tokio --test compile_fail`, then
//! read every changed one: the error must be the intended one.

#[test]
#[cfg_attr(miri, ignore)]
#[cfg_attr(not(debug_assertions), ignore = "checked by the debug run")]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
