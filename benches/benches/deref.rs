//! Dereferencing: walking a 10,000-node linked list through `Gc` vs `Rc` vs
//! `Box`. Every `Gc` dereference checks that its object is alive (a dead
//! object reached by a `#[gc(unsafe_drop)]` destructor is a checked panic in
//! every build); this bench measures what that check costs.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::rc::Rc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rudo_gc::{Gc, Trace};

const NODES: u64 = 10_000;

macro_rules! list {
    ($module:ident, $ptr:ident $(, $derive:ident)?) => {
        mod $module {
            use super::*;

            $(#[derive($derive)])?
            pub(crate) struct Node {
                pub(crate) value: u64,
                pub(crate) next: Option<$ptr<Node>>,
            }

            pub(crate) fn build() -> $ptr<Node> {
                let mut head = $ptr::new(Node { value: 0, next: None });
                for value in 1..NODES {
                    head = $ptr::new(Node { value, next: Some(head) });
                }
                head
            }

            #[inline(never)]
            pub(crate) fn walk(head: &$ptr<Node>) -> u64 {
                let mut sum = 0;
                let mut node: &Node = head;
                loop {
                    sum += node.value;
                    match &node.next {
                        Some(next) => node = next,
                        None => return sum,
                    }
                }
            }
        }
    };
}

list!(boxed, Box);
list!(rc, Rc);
list!(gc, Gc, Trace);

fn deref(c: &mut Criterion) {
    let mut group = c.benchmark_group("deref/list_walk_10k");
    group.throughput(Throughput::Elements(NODES));
    let (b, r, g) = (boxed::build(), rc::build(), gc::build());
    let expected = NODES * (NODES - 1) / 2;
    assert_eq!(
        (boxed::walk(&b), rc::walk(&r), gc::walk(&g)),
        (expected, expected, expected)
    );
    group.bench_function("Box", |bench| bench.iter(|| boxed::walk(black_box(&b))));
    group.bench_function("Rc", |bench| bench.iter(|| rc::walk(black_box(&r))));
    group.bench_function("Gc", |bench| bench.iter(|| gc::walk(black_box(&g))));
    group.finish();
}

criterion_group!(benches, deref);
criterion_main!(benches);
