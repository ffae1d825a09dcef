//! The fuzz target's programs from fixed seeds, in every test run: the same
//! checks as `cargo xtask fuzz`, on inputs that do not change, plus the
//! minimised inputs of crashes the fuzzer found (none yet).

use rand::{Rng, SeedableRng, rngs::SmallRng};
use rudo_gc_fuzz::graph::{Op, decode, run};

fn program(seed: u64, bytes: usize) -> Vec<Op> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let data: Vec<u8> = (0..bytes).map(|_| rng.random()).collect();
    decode(&data)
}

#[test]
fn seeded_programs_agree_with_the_model() {
    let (seeds, bytes) = if cfg!(miri) { (3, 256) } else { (100, 2_048) };
    for seed in 0..seeds {
        run(&program(seed, bytes));
    }
}

#[test]
fn seeded_programs_are_long() {
    assert!(program(1, 2_048).len() > 100);
}
