//! Root tables: pinning and unpinning one `Gc` through a
//! `rudo_gc::roots::RootTable`, against a `Mutex<HashMap>` table (what the
//! published rudo-gc's `root_guard()` uses), on one thread and on two
//! threads sharing one table.
//!
//! An iteration is one pin and one unpin of the same `Gc` (moved in and
//! back out, so no reference count changes). The two-thread rows time both
//! threads from the first start to the last end, so an iteration is one
//! pin and unpin *on each* thread.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use benches::on_two_threads;
use criterion::{Criterion, criterion_group, criterion_main};
use rudo_gc::Gc;
use rudo_gc::roots::RootTable;

/// The baseline: a locked map from a counter to the value.
struct MapTable {
    next: AtomicU64,
    map: Mutex<HashMap<u64, Gc<u64>>>,
}

impl MapTable {
    fn pin(&self, value: Gc<u64>) -> u64 {
        let key = self.next.fetch_add(1, Ordering::Relaxed);
        self.map.lock().unwrap().insert(key, value);
        key
    }

    fn unpin(&self, key: u64) -> Gc<u64> {
        self.map.lock().unwrap().remove(&key).expect("pinned")
    }
}

fn cycle_table(table: &RootTable<Gc<u64>>, value: &mut Option<Gc<u64>>, n: u64) {
    for _ in 0..n {
        let ticket = table.pin(value.take().expect("held"));
        *value = Some(table.unpin(black_box(ticket)).expect("live"));
    }
}

fn cycle_map(table: &MapTable, value: &mut Option<Gc<u64>>, n: u64) {
    for _ in 0..n {
        let key = table.pin(value.take().expect("held"));
        *value = Some(table.unpin(black_box(key)));
    }
}

fn roots(c: &mut Criterion) {
    let table = RootTable::new();
    let map = MapTable {
        next: AtomicU64::new(0),
        map: Mutex::new(HashMap::new()),
    };
    let mut group = c.benchmark_group("pin_unpin");
    let mut value = Some(Gc::new(7_u64));
    group.bench_function("RootTable", |b| {
        b.iter_custom(|iters| {
            let start = std::time::Instant::now();
            cycle_table(&table, &mut value, iters);
            start.elapsed()
        })
    });
    group.bench_function("Mutex_HashMap", |b| {
        b.iter_custom(|iters| {
            let start = std::time::Instant::now();
            cycle_map(&map, &mut value, iters);
            start.elapsed()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("pin_unpin_2_threads");
    group.bench_function("RootTable", |b| {
        b.iter_custom(|iters| {
            on_two_threads(
                iters,
                || std::cell::RefCell::new(Some(Gc::new(7_u64))),
                |value, n| cycle_table(&table, &mut value.borrow_mut(), n),
            )
        })
    });
    group.bench_function("Mutex_HashMap", |b| {
        b.iter_custom(|iters| {
            on_two_threads(
                iters,
                || std::cell::RefCell::new(Some(Gc::new(7_u64))),
                |value, n| cycle_map(&map, &mut value.borrow_mut(), n),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, roots);
criterion_main!(benches);
