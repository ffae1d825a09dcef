//! libFuzzer target: a two-thread program on one shared graph against the
//! model (`rudo_gc_fuzz::threads`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rudo_gc_fuzz::threads::{decode, run};

fuzz_target!(|data: &[u8]| {
    run(&decode(data));
});
