//! libFuzzer target: a graph program against the model (`rudo_gc_fuzz::graph`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rudo_gc_fuzz::graph::{decode, run};

fuzz_target!(|data: &[u8]| {
    run(&decode(data));
});
