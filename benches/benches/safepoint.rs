//! Safepoint-only collection (issue 10): the cost of `rudo_gc::safepoint()`
//! when nothing is due, the check an interpreter runs at every instruction
//! boundary. Baseline: a call of an empty `#[inline(never)]` function.
//!
//! An iteration is one call, with the thread registered (it allocated once)
//! and nothing requested of it.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rudo_gc::{Gc, GcConfig, safepoint, set_config};

#[inline(never)]
fn empty_call() {
    black_box(());
}

fn nothing_due(c: &mut Criterion) {
    set_config(GcConfig::default().automatic(false));
    let keep = Gc::new(7_u64);
    // Whatever is due from setup runs here, once.
    safepoint();
    let mut group = c.benchmark_group("safepoint_nothing_due");
    group.bench_function("safepoint", |b| b.iter(safepoint));
    group.bench_function("empty_call", |b| b.iter(empty_call));
    group.finish();
    black_box(keep);
}

criterion_group!(benches, nothing_due);
criterion_main!(benches);
