//! binary-trees (depth 16) and cycle churn, against `Rc` and `Box`.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use benches::{binary_trees, cycle_churn};
use criterion::{Criterion, criterion_group, criterion_main};

const DEPTH: u32 = 16;
const ROUNDS: usize = 600;

fn trees(c: &mut Criterion) {
    benches::collector_knobs_from_env();
    let mut group = c.benchmark_group(format!("binary_trees/depth{DEPTH}"));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("Box", |b| {
        b.iter(|| black_box(binary_trees::boxed::run(DEPTH)))
    });
    group.bench_function("Rc", |b| b.iter(|| black_box(binary_trees::rc::run(DEPTH))));
    group.bench_function("Gc", |b| b.iter(|| black_box(binary_trees::gc::run(DEPTH))));
    group.finish();

    let mut group = c.benchmark_group(format!("cycle_churn/{}k_nodes", ROUNDS));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("Rc_manual_break", |b| {
        b.iter(|| black_box(cycle_churn::rc::run(ROUNDS)))
    });
    group.bench_function("Gc", |b| b.iter(|| black_box(cycle_churn::gc::run(ROUNDS))));
    group.finish();
}

criterion_group!(benches, trees);
criterion_main!(benches);
