//! Allocation: `Gc::new` vs `Box::new` vs `Rc::new` for 16-, 64- and 256-byte
//! values, each allocated and dropped in a loop (steady state, reclamation
//! included).

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::rc::Rc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rudo_gc::Gc;

const BATCH: usize = 10_000;

fn bench_size<const N: usize>(c: &mut Criterion) {
    let mut group = c.benchmark_group(format!("alloc/{N}B"));
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function(BenchmarkId::new("Box", N), |b| {
        b.iter(|| {
            for i in 0..BATCH {
                black_box(Box::new([i as u8; N]));
            }
        })
    });
    group.bench_function(BenchmarkId::new("Rc", N), |b| {
        b.iter(|| {
            for i in 0..BATCH {
                black_box(Rc::new([i as u8; N]));
            }
        })
    });
    group.bench_function(BenchmarkId::new("Gc", N), |b| {
        b.iter(|| {
            for i in 0..BATCH {
                black_box(Gc::new([i as u8; N]));
            }
        })
    });
    group.finish();
}

fn alloc(c: &mut Criterion) {
    benches::collector_knobs_from_env();
    bench_size::<16>(c);
    bench_size::<64>(c);
    bench_size::<256>(c);
}

criterion_group!(benches, alloc);
criterion_main!(benches);
