//! Differential test of `heap::find_gc_box` against a `BTreeMap` model of the
//! allocated objects, over random allocations, drops and collections.

use std::collections::BTreeMap;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rudo_gc::heap::find_gc_box;
use rudo_gc::{Gc, collect};

const HEADER: usize = 16;
const STEPS: usize = if cfg!(miri) { 40 } else { 4_000 };
/// Objects probed after each step.
const PROBED: usize = if cfg!(miri) { 6 } else { 64 };

/// Objects the heap holds: start address -> (size, still referenced).
type Model = BTreeMap<usize, (usize, bool)>;

fn expected(model: &Model, addr: usize) -> Option<usize> {
    let (&start, &(size, _)) = model.range(..=addr).next_back()?;
    (addr < start + size).then_some(start)
}

fn check(model: &Model, rng: &mut SmallRng, anchor: *const u8) {
    // Probe near known objects (inside, at the edges, just past the end) and
    // at random offsets around them, through a pointer with heap provenance.
    for (&start, &(size, _)) in model.iter().take(PROBED) {
        for probe in [
            start,
            start + size - 1,
            start + size,
            start + rng.random_range(0..size),
        ] {
            let p = anchor.wrapping_add(probe.wrapping_sub(anchor as usize));
            let got = find_gc_box(p).map(|i| i.start as usize);
            assert_eq!(got, expected(model, probe), "probe {probe:#x}");
        }
    }
}

#[test]
fn find_gc_box_matches_a_model_of_live_objects() {
    for seed in 0..if cfg!(miri) { 1 } else { 4 } {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut held: Vec<Gc<[u8]>> = Vec::new();
        let mut model = Model::new();
        for _ in 0..STEPS {
            match rng.random_range(0..100) {
                0..60 => {
                    let len = if rng.random_bool(0.02) {
                        rng.random_range(4096..if cfg!(miri) { 5000 } else { 100_000 })
                    } else {
                        rng.random_range(0..if cfg!(miri) { 100 } else { 600 })
                    };
                    let gc: Gc<[u8]> = Gc::from(vec![0xAB_u8; len]);
                    let start = Gc::as_ptr(&gc).cast::<u8>() as usize - HEADER;
                    assert!(
                        expected(&model, start).is_none(),
                        "fresh object overlaps a live one"
                    );
                    model.insert(start, (HEADER + len, true));
                    held.push(gc);
                }
                60..95 if !held.is_empty() => {
                    let gc = held.swap_remove(rng.random_range(0..held.len()));
                    let start = Gc::as_ptr(&gc).cast::<u8>() as usize - HEADER;
                    model.get_mut(&start).unwrap().1 = false;
                }
                _ => {
                    collect();
                    model.retain(|_, &mut (_, referenced)| referenced);
                }
            }
            if let Some(anchor) = held.first() {
                check(&model, &mut rng, Gc::as_ptr(anchor).cast());
            }
        }
        for gc in &held {
            assert!(
                gc.iter().all(|&b| b == 0xAB),
                "object contents were overwritten"
            );
        }
    }
}
