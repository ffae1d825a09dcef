//! The tokio adapter: 10,000 tasks each holding a tree across four awaits
//! (`Gc` trees under `gc::spawn` against `Arc` trees under `tokio::spawn`),
//! a root guard made and dropped, and spawning a trivial task through
//! `gc::spawn` against `tokio::spawn`. All on a 2-worker multi-threaded
//! runtime (with the collector's hooks for both variants).
//!
//! Iterations: `tasks_10k` one batch of 10,000 tasks (spawned, run, awaited);
//! `root_guard` one guard made and dropped; `spawn_1000` a batch of 1,000
//! trivial tasks spawned, then awaited.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rudo_gc::{Gc, Trace};
use rudo_gc_tokio::{self as gc, GcTokioExt};

const TASKS: u64 = 10_000;
const DEPTH: u32 = 4;

#[derive(Trace)]
struct GcTree {
    value: u64,
    children: Option<(Gc<GcTree>, Gc<GcTree>)>,
}

fn gc_tree(depth: u32, value: u64) -> Gc<GcTree> {
    Gc::new(GcTree {
        value,
        children: (depth > 0).then(|| {
            (
                gc_tree(depth - 1, value * 2),
                gc_tree(depth - 1, value * 2 + 1),
            )
        }),
    })
}

fn gc_sum(t: &GcTree) -> u64 {
    t.value
        + t.children
            .as_ref()
            .map_or(0, |(l, r)| gc_sum(l) + gc_sum(r))
}

struct ArcTree {
    value: u64,
    children: Option<(Arc<ArcTree>, Arc<ArcTree>)>,
}

fn arc_tree(depth: u32, value: u64) -> Arc<ArcTree> {
    Arc::new(ArcTree {
        value,
        children: (depth > 0).then(|| {
            (
                arc_tree(depth - 1, value * 2),
                arc_tree(depth - 1, value * 2 + 1),
            )
        }),
    })
}

fn arc_sum(t: &ArcTree) -> u64 {
    t.value
        + t.children
            .as_ref()
            .map_or(0, |(l, r)| arc_sum(l) + arc_sum(r))
}

fn runtime() -> tokio::runtime::Runtime {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(2).enable_all();
    gc::runtime::install(&mut builder)
        .build()
        .expect("a runtime")
}

fn tasks(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("tasks_10k");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("Arc_tokio_spawn", |b| {
        b.iter(|| {
            rt.block_on(async {
                let tasks: Vec<_> = (0..TASKS)
                    .map(|i| {
                        tokio::spawn(async move {
                            let tree = arc_tree(DEPTH, i);
                            for _ in 0..4 {
                                tokio::task::yield_now().await;
                            }
                            arc_sum(&tree)
                        })
                    })
                    .collect();
                let mut total = 0;
                for t in tasks {
                    total += t.await.expect("no panic");
                }
                black_box(total)
            })
        })
    });
    group.bench_function("Gc_gc_spawn", |b| {
        b.iter(|| {
            rt.block_on(async {
                let tasks: Vec<_> = (0..TASKS)
                    .map(|i| {
                        gc::spawn(async move {
                            let tree = gc_tree(DEPTH, i);
                            for _ in 0..4 {
                                tokio::task::yield_now().await;
                            }
                            gc_sum(&tree)
                        })
                    })
                    .collect();
                let mut total = 0;
                for t in tasks {
                    total += t.await.expect("no panic");
                }
                black_box(total)
            })
        })
    });
    group.finish();
}

fn guards_and_spawn(c: &mut Criterion) {
    let value = Gc::new(7_u64);
    let mut group = c.benchmark_group("root_guard");
    group.bench_function("Gc_root_guard_drop", |b| {
        b.iter(|| drop(black_box(value.root_guard())))
    });
    group.bench_function("Gc_clone_drop", |b| {
        b.iter(|| drop(black_box(value.clone())))
    });
    group.finish();

    let rt = runtime();
    let mut group = c.benchmark_group("spawn_1000");
    group.bench_function("tokio_spawn", |b| {
        b.iter(|| {
            rt.block_on(async {
                let tasks: Vec<_> = (0..1_000_u64)
                    .map(|i| tokio::spawn(async move { black_box(i) }))
                    .collect();
                for t in tasks {
                    black_box(t.await.unwrap());
                }
            })
        })
    });
    group.bench_function("gc_spawn", |b| {
        b.iter(|| {
            rt.block_on(async {
                let tasks: Vec<_> = (0..1_000_u64)
                    .map(|i| gc::spawn(async move { black_box(i) }))
                    .collect();
                for t in tasks {
                    black_box(t.await.unwrap());
                }
            })
        })
    });
    group.finish();
}

criterion_group!(benches, tasks, guards_and_spawn);
criterion_main!(benches);
