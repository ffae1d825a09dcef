//! Handle creation vs `Gc` clone+drop vs `Rc` clone+drop, and a scope with 8
//! handles opened and closed.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::rc::Rc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rudo_gc::Gc;
use rudo_gc::handles::HandleScope;
use rudo_gc::heap::current_thread_control_block;

const BATCH: usize = 256;

fn handles(c: &mut Criterion) {
    let tcb = current_thread_control_block().expect("not in teardown");
    let gc = Gc::new(7_u64);
    let rc = Rc::new(7_u64);

    let mut group = c.benchmark_group("root_one_reference");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("Rc_clone_drop", |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                black_box(Rc::clone(black_box(&rc)));
            }
        })
    });
    group.bench_function("Gc_clone_drop", |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                black_box(Gc::clone(black_box(&gc)));
            }
        })
    });
    group.bench_function("Handle_create", |b| {
        b.iter(|| {
            // One scope per batch: the measured cost is the handle bump.
            let scope = HandleScope::new(&tcb);
            for _ in 0..BATCH {
                black_box(scope.handle(black_box(&gc)));
            }
        })
    });
    group.finish();

    c.bench_function("scope_enter_exit_with_8_handles", |b| {
        b.iter(|| {
            let scope = HandleScope::new(&tcb);
            for _ in 0..8 {
                black_box(scope.handle(black_box(&gc)));
            }
        })
    });
}

criterion_group!(benches, handles);
criterion_main!(benches);
