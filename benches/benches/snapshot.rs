//! The cost of looking at the heap: `heap::census()` and
//! `heap::write_snapshot` on a heap of 1M objects (a 4-ary tree of nodes
//! with a `Weak` to their parent), against one full collection of the same
//! heap. Each is one pause with the world stopped; the snapshot also
//! writes the JSON afterwards (timed separately, to a `Vec` and to a
//! file).
//!
//! `cargo bench -p benches --bench snapshot`

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rudo_gc::{Gc, GcCell, Trace, Weak, collect, heap};

#[derive(Trace)]
struct Node {
    children: GcCell<Vec<Gc<Node>>>,
    parent: Weak<Node>,
}

/// A tree of `n` nodes, breadth first, four children each.
fn tree(n: usize) -> Gc<Node> {
    let root = Gc::new(Node {
        children: GcCell::new(Vec::new()),
        parent: Weak::new(),
    });
    let mut level = vec![root.clone()];
    let mut made = 1;
    while made < n {
        let mut next = Vec::new();
        for parent in &level {
            for _ in 0..4 {
                if made == n {
                    break;
                }
                let child = Gc::new(Node {
                    children: GcCell::new(Vec::new()),
                    parent: Gc::downgrade(parent),
                });
                parent.children.borrow_mut().push(child.clone());
                next.push(child);
                made += 1;
            }
        }
        level = next;
    }
    root
}

fn bench(c: &mut Criterion) {
    let root = tree(1_000_000);
    collect();
    let mut json = Vec::new();
    let summary = heap::write_snapshot(&mut json).unwrap();
    eprintln!(
        "snapshot of {} objects and {} edges: {:.1} MiB of JSON, world stopped {:.1?}",
        summary.objects,
        summary.edges,
        json.len() as f64 / (1 << 20) as f64,
        summary.pause
    );
    let mut g = c.benchmark_group("heap_1m");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("collect", |b| {
        b.iter(|| {
            // Something changed, so the collection is not skipped.
            drop(Gc::new(0_u8));
            collect();
        })
    });
    g.bench_function("census", |b| b.iter(heap::census));
    g.bench_function("write_snapshot_to_vec", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(json.len());
            heap::write_snapshot(&mut out).unwrap()
        })
    });
    let path = std::env::temp_dir().join("rudo-gc-bench.heapsnapshot");
    g.bench_function("write_snapshot_to_file", |b| {
        b.iter(|| heap::write_snapshot(std::fs::File::create(&path).unwrap()).unwrap())
    });
    g.finish();
    let _ = std::fs::remove_file(&path);
    drop(root);
}

criterion_group!(benches, bench);
criterion_main!(benches);
