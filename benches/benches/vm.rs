//! The example VM (issue 10): binary-trees and fib on each stack flavour
//! (counted `Vec<Value>`, raw words in a conservative region under a
//! mutator section) and on `Rc` values (cycles leaked), collecting only at
//! the VM's safepoints. One iteration is one whole program run on a fresh
//! VM; the flavours of one program are interleaved within the group.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rudo_vm::{Flavour, programs, run};

const FLAVOURS: [(&str, Flavour); 3] = [
    ("conservative", Flavour::Conservative),
    ("counted", Flavour::Counted),
    ("rc", Flavour::Rc),
];

fn vm_programs(c: &mut Criterion) {
    rudo_vm::configure();
    for (name, program) in [
        ("binary_trees_12", programs::binary_trees(12)),
        ("fib_22", programs::fib(22)),
    ] {
        let mut group = c.benchmark_group(format!("vm_{name}"));
        group
            .sample_size(20)
            .measurement_time(Duration::from_secs(4));
        for (flavour_name, flavour) in FLAVOURS {
            group.bench_function(flavour_name, |b| {
                b.iter(|| black_box(run(&program, flavour).expect("the program runs")));
            });
        }
        group.finish();
    }
}

criterion_group!(benches, vm_programs);
criterion_main!(benches);
