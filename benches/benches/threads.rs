//! Threads (issue 3): `Gc` against `Arc` (and `Rc`) when counts are shared,
//! allocation on two threads, and the pause of a major collection over a live
//! heap of 1,000,000 objects, with the longest wait it imposes on another
//! thread's heap operation.
//!
//! Groups, and what one criterion "iteration" is in each:
//!
//! - `clone_drop`: one clone and drop of a shared pointer on the bench thread.
//!   `Gc` runs twice: with the process's default heap-operation fence (the
//!   light, `membarrier`-based one where available) and with the full `SeqCst`
//!   fence forced on the bench thread
//!   (`rudo_gc::__private::use_full_fence_on_this_thread`).
//! - `clone_drop_2_threads`: two threads each clone and drop the *same*
//!   object (contention on one count, like `Arc`); an iteration is one clone
//!   and drop on each thread, timed from the first thread's start to the last
//!   thread's end (thread spawn, registration and exit excluded).
//! - `alloc_2_threads`: two threads each allocate and drop one `u64`; timed
//!   like the previous group. `Gc` includes the collections its allocations
//!   trigger (which stop the other thread's heap operations).
//! - `collection_pause_1m`, over 1,000 chains of 1,000 nodes (1,000,000 live
//!   objects, kept alive from a `Vec`; sample size 10):
//!   - `Gc_collect`: one `rudo_gc::collect()` (a major collection), after
//!     allocating and dropping one garbage object so that it is not skipped.
//!     Baseline `Arc_traverse`: one walk over the same shape built of `Arc`s,
//!     the pointer chasing that any pass over the objects pays.
//!   - `Gc_max_drop_wait_while_collecting`: **not a throughput figure**. A
//!     second thread clones and drops a shared `Gc` in a loop and times every
//!     single drop (a heap operation); the bench thread runs one collection
//!     as above. The "time" criterion reports for an iteration is the
//!     *longest single drop* during that collection, i.e. how long a mutator
//!     waited at most. Baseline `Arc_max_drop_latency_while_traversing`: the
//!     same, with `Arc`, while the bench thread walks the `Arc` heap: the
//!     noise floor of the measurement (timer, preemption) without a
//!     collector.
//!
//! Prints `light_fence_available()` and the collector's own pause statistics
//! for `Gc_collect` to stderr.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use benches::on_two_threads;
use criterion::{Criterion, criterion_group, criterion_main};
use rudo_gc::__private::{light_fence_available, use_full_fence_on_this_thread};
use rudo_gc::{Gc, Trace};

/// Chains in the live heap of `collection_pause_1m`.
const CHAINS: u64 = 1_000;
/// Nodes per chain.
const CHAIN_LEN: u64 = 1_000;

fn clone_drop(c: &mut Criterion) {
    eprintln!(
        "rudo-gc: light_fence_available() = {}",
        light_fence_available()
    );
    let rc = Rc::new(7_u64);
    let arc = Arc::new(7_u64);
    let gc = Gc::new(7_u64);

    let mut group = c.benchmark_group("clone_drop");
    group.bench_function("Rc", |b| {
        b.iter(|| drop(black_box(Rc::clone(black_box(&rc)))))
    });
    group.bench_function("Arc", |b| {
        b.iter(|| drop(black_box(Arc::clone(black_box(&arc)))))
    });
    group.bench_function("Gc", |b| {
        b.iter(|| drop(black_box(Gc::clone(black_box(&gc)))))
    });
    group.bench_function("Gc_full_fence", |b| {
        use_full_fence_on_this_thread(true);
        b.iter(|| drop(black_box(Gc::clone(black_box(&gc)))));
        use_full_fence_on_this_thread(false);
    });
    group.finish();
}

fn clone_drop_2_threads(c: &mut Criterion) {
    let arc = Arc::new(7_u64);
    let gc = Gc::new(7_u64);

    let mut group = c.benchmark_group("clone_drop_2_threads");
    group.bench_function("Arc", |b| {
        b.iter_custom(|iters| {
            on_two_threads(
                iters,
                || Arc::clone(&arc),
                |p, n| {
                    for _ in 0..n {
                        drop(black_box(Arc::clone(black_box(p))));
                    }
                },
            )
        })
    });
    for (name, full_fence) in [("Gc", false), ("Gc_full_fence", true)] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                on_two_threads(
                    iters,
                    || {
                        use_full_fence_on_this_thread(full_fence);
                        // Also registers the thread before the timed window.
                        drop(Gc::clone(&gc));
                        Gc::clone(&gc)
                    },
                    |p, n| {
                        for _ in 0..n {
                            drop(black_box(Gc::clone(black_box(p))));
                        }
                    },
                )
            })
        });
    }
    group.finish();
}

fn alloc_2_threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("alloc_2_threads");
    group.bench_function("Arc", |b| {
        b.iter_custom(|iters| {
            on_two_threads(
                iters,
                || (),
                |(), n| {
                    for i in 0..n {
                        drop(black_box(Arc::new(i)));
                    }
                },
            )
        })
    });
    group.bench_function("Gc", |b| {
        b.iter_custom(|iters| {
            on_two_threads(
                iters,
                // Registers the thread and creates its heap before the window.
                || drop(Gc::new(0_u64)),
                |(), n| {
                    for i in 0..n {
                        drop(black_box(Gc::new(i)));
                    }
                },
            )
        })
    });
    group.finish();
}

#[derive(Trace)]
struct Node {
    value: u64,
    next: Option<Gc<Node>>,
}

struct ArcNode {
    value: u64,
    next: Option<Arc<ArcNode>>,
}

fn build_gc_heap() -> Vec<Gc<Node>> {
    (0..CHAINS)
        .map(|_| {
            let mut head = Gc::new(Node {
                value: 0,
                next: None,
            });
            for value in 1..CHAIN_LEN {
                head = Gc::new(Node {
                    value,
                    next: Some(head),
                });
            }
            head
        })
        .collect()
}

fn build_arc_heap() -> Vec<Arc<ArcNode>> {
    (0..CHAINS)
        .map(|_| {
            let mut head = Arc::new(ArcNode {
                value: 0,
                next: None,
            });
            for value in 1..CHAIN_LEN {
                head = Arc::new(ArcNode {
                    value,
                    next: Some(head),
                });
            }
            head
        })
        .collect()
}

fn traverse_arc_heap(heads: &[Arc<ArcNode>]) -> u64 {
    let mut sum = 0_u64;
    for head in heads {
        let mut node = Some(&**head);
        while let Some(n) = node {
            sum = sum.wrapping_add(n.value);
            node = n.next.as_deref();
        }
    }
    sum
}

fn traverse_gc_heap(heads: &[Gc<Node>]) -> u64 {
    let mut sum = 0_u64;
    let mut count = 0_u64;
    for head in heads {
        let mut node = Some(&**head);
        while let Some(n) = node {
            sum = sum.wrapping_add(n.value);
            count += 1;
            node = n.next.as_deref();
        }
    }
    assert_eq!(count, CHAINS * CHAIN_LEN, "the live heap lost objects");
    sum
}

/// Waits until the spinner of [`max_drop_wait`] completed two more laps.
fn wait_laps(laps: &AtomicU64) {
    let target = laps.load(Ordering::Acquire) + 2;
    while laps.load(Ordering::Acquire) < target {
        std::hint::spin_loop();
    }
}

/// Runs `main` `iters` times on the calling thread while a second thread
/// clones and drops `shared` in a loop, timing each drop. Returns the sum,
/// over the `iters` runs, of the longest single drop during each run (so
/// criterion's per-iteration figure is that longest drop).
fn max_drop_wait<P: Clone + Send + Sync>(
    iters: u64,
    shared: &P,
    mut main: impl FnMut(),
) -> Duration {
    let stop = AtomicBool::new(false);
    let laps = AtomicU64::new(0);
    let max_ns = AtomicU64::new(0);
    thread::scope(|s| {
        s.spawn(|| {
            let local = shared.clone();
            let mut lap = 0_u64;
            while !stop.load(Ordering::Relaxed) {
                let copy = black_box(local.clone());
                let t0 = Instant::now();
                drop(copy);
                let ns = u64::try_from(t0.elapsed().as_nanos()).unwrap_or(u64::MAX);
                if ns > max_ns.load(Ordering::Relaxed) {
                    max_ns.fetch_max(ns, Ordering::Relaxed);
                }
                lap += 1;
                laps.store(lap, Ordering::Release);
            }
        });
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            // The spinner is running (and, for `Gc`, registered).
            wait_laps(&laps);
            max_ns.store(0, Ordering::Relaxed);
            main();
            // A drop held up by `main` has finished and been recorded.
            wait_laps(&laps);
            total += Duration::from_nanos(max_ns.swap(0, Ordering::Relaxed));
        }
        stop.store(true, Ordering::Relaxed);
        total
    })
}

/// Allocates and drops one garbage object, so that the next `collect()` has
/// something changed and runs, then collects.
fn collect_once() {
    drop(black_box(Gc::new(0_u64)));
    rudo_gc::collect();
}

fn collection_pause_1m(c: &mut Criterion) {
    let arc_heap = build_arc_heap();
    let gc_heap = build_gc_heap();
    rudo_gc::collect();
    assert_eq!(
        traverse_gc_heap(&gc_heap),
        traverse_arc_heap(&arc_heap),
        "both heaps hold the same values"
    );
    eprintln!(
        "rudo-gc: live objects after building the heap: {}",
        rudo_gc::stats().live_objects
    );
    let arc_shared = Arc::new(7_u64);
    let gc_shared = Gc::new(7_u64);

    let mut group = c.benchmark_group("collection_pause_1m");
    group.sample_size(10);
    group.bench_function("Arc_traverse", |b| {
        b.iter(|| black_box(traverse_arc_heap(black_box(&arc_heap))))
    });
    let before = rudo_gc::stats();
    group.bench_function("Gc_collect", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                drop(black_box(Gc::new(0_u64)));
                let t0 = Instant::now();
                rudo_gc::collect();
                total += t0.elapsed();
            }
            total
        })
    });
    let after = rudo_gc::stats();
    let majors = after.major_collections - before.major_collections;
    if let Some(n) = u32::try_from(majors).ok().filter(|&n| n > 0) {
        let p = |a: Duration, b: Duration| (a - b) / n;
        eprintln!(
            "rudo-gc: Gc_collect: {majors} major collections ({} minor), mean pause {:?} \
             (subtract {:?}, mark {:?}, fix-up {:?}, sweep {:?}), live objects {}",
            after.minor_collections - before.minor_collections,
            p(after.total_pause, before.total_pause),
            p(after.phases.subtract, before.phases.subtract),
            p(after.phases.mark, before.phases.mark),
            p(after.phases.fix_up, before.phases.fix_up),
            p(after.phases.sweep, before.phases.sweep),
            after.live_objects,
        );
    }
    group.bench_function("Arc_max_drop_latency_while_traversing", |b| {
        b.iter_custom(|iters| {
            max_drop_wait(iters, &arc_shared, || {
                black_box(traverse_arc_heap(black_box(&arc_heap)));
            })
        })
    });
    group.bench_function("Gc_max_drop_wait_while_collecting", |b| {
        b.iter_custom(|iters| max_drop_wait(iters, &gc_shared, collect_once))
    });
    group.finish();
    drop(gc_heap);
    drop(arc_heap);
}

criterion_group!(
    benches,
    clone_drop,
    clone_drop_2_threads,
    alloc_2_threads,
    collection_pause_1m
);
criterion_main!(benches);
