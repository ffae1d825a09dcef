//! Allocation budgets trigger collections automatically, so a loop that makes
//! garbage forever runs in bounded memory; invalid configurations are refused.
//!
//! The configuration is process-wide: only `garbage_loop_runs_in_bounded_memory`
//! changes it, and the other tests only try invalid values (which panic
//! before anything is stored).

use std::cell::Cell;
use std::panic::catch_unwind;
use std::rc::Rc;

use rudo_gc::{Gc, GcConfig, Trace, Visitor, collect, config, set_config, stats};

mod common;
use common::{garbage_pair, pair, panic_message};

#[test]
#[cfg_attr(miri, ignore = "allocates 50 MB")]
fn garbage_loop_runs_in_bounded_memory() {
    const BUDGET: usize = 1 << 20;
    const GARBAGE: usize = 50 << 20;
    // A generous bound: the loop never holds more than a few budgets' worth.
    const BOUND: u64 = 32 << 20;
    set_config(GcConfig::default().young_budget_bytes(BUDGET));
    assert_eq!(config().young_budget_bytes, BUDGET);
    assert_eq!(config().growth_factor, 1.5);

    let drops = Rc::new(Cell::new(0));
    let live: Gc<[u64]> = (0..1_000).collect();
    let before = stats().collections;
    let mut allocated = 0;
    let mut max_heap = 0;
    let mut pairs = 0;
    let mut round = 0_usize;
    while allocated < GARBAGE {
        round += 1;
        // Small cyclic garbage...
        garbage_pair(&drops);
        pairs += 1;
        allocated += 2 * 64;
        // ...and now and then a large object.
        if round.is_multiple_of(64) {
            let big: Gc<[u8]> = Gc::from(vec![round as u8; 16 * 1024]);
            assert_eq!(big[16 * 1024 - 1], round as u8);
            allocated += 16 * 1024;
        }
        if round.is_multiple_of(1024) {
            max_heap = max_heap.max(stats().heap_bytes);
        }
    }
    let after = stats().collections;
    // This thread alone spent its budget about fifty times.
    assert!(
        after - before >= 10,
        "only {} collections ran",
        after - before
    );
    assert!(max_heap < BOUND, "heap grew to {max_heap} bytes");
    // Automatic collections really freed the cycles (not just the large
    // objects), and the live object was never touched.
    assert!(
        drops.get() > pairs,
        "only {} of {} pair nodes freed",
        drops.get(),
        2 * pairs
    );
    assert_eq!(live.iter().sum::<u64>(), 999 * 1_000 / 2);
    collect();
    assert_eq!(drops.get(), 2 * pairs);
}

fn rejected(cfg: GcConfig) -> String {
    let payload =
        catch_unwind(|| set_config(cfg)).expect_err("set_config accepted an invalid config");
    panic_message(&*payload)
}

#[test]
fn growth_factor_of_one_is_rejected() {
    let msg = rejected(GcConfig::default().growth_factor(1.0));
    assert!(msg.contains("growth_factor"), "{msg}");
}

#[test]
fn growth_factor_below_one_is_rejected() {
    let msg = rejected(GcConfig::default().growth_factor(0.5));
    assert!(msg.contains("growth_factor"), "{msg}");
}

#[test]
fn growth_factor_nan_and_infinity_are_rejected() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let msg = rejected(GcConfig::default().growth_factor(bad));
        assert!(msg.contains("growth_factor"), "{bad}: {msg}");
    }
}

#[test]
fn zero_young_budget_is_rejected() {
    let msg = rejected(GcConfig::default().young_budget_bytes(0));
    assert!(msg.contains("young_budget_bytes"), "{msg}");
}

#[test]
fn default_config_is_sane() {
    let d = GcConfig::default();
    assert!(d.young_budget_bytes > 0);
    assert!(d.growth_factor > 1.0 && d.growth_factor.is_finite());
}

/// Runs `f` when dropped.
struct OnDrop(Option<Box<dyn FnOnce()>>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

// SAFETY: owns no `Gc` the collector may see (a captured `Gc` counts as held
// from outside, which only keeps its target alive).
unsafe impl Trace for OnDrop {
    fn trace(&self, _: &mut Visitor) {}
}

/// Regression: a destructor run by a collection held the collecting role, so
/// nothing it allocated could start a collection, and a destructor making
/// garbage in a loop grew the heap without bound.
#[test]
fn the_budget_keeps_working_inside_destructors() {
    const BUDGET: usize = if cfg!(miri) { 16 << 10 } else { 1 << 20 };
    const GARBAGE: usize = if cfg!(miri) { 256 << 10 } else { 64 << 20 };
    const OBJECT: usize = 80; // a `GcBox<[u64; 8]>`
    set_config(GcConfig::default().young_budget_bytes(BUDGET));
    let during = Rc::new(Cell::new((0_u64, 0_u64, 0_usize)));
    let seen = during.clone();
    let pair_drops = Rc::new(Cell::new(0));
    let drops = pair_drops.clone();
    drop(Gc::new(OnDrop(Some(Box::new(move || {
        let before = stats().collections;
        let mut max_heap = 0;
        for i in 0..GARBAGE / OBJECT {
            drop(Gc::new([i as u64; 8]));
            // Garbage with a destructor too: dropped by sweeps nested in
            // this one, not only after it.
            if i % 64 == 0 {
                drop(pair(&drops));
            }
            if i % 4096 == 0 {
                max_heap = max_heap.max(stats().heap_bytes);
            }
        }
        seen.set((stats().collections - before, max_heap, drops.get()));
    })))));
    collect();
    let (collections, max_heap, dropped_inside) = during.get();
    let expected = (GARBAGE / BUDGET) as u64 / 2;
    assert!(
        collections >= expected,
        "{collections} collections ran inside the destructor, expected at least {expected}"
    );
    assert!(
        max_heap < (16 * BUDGET) as u64 + (8 << 20),
        "the heap grew to {max_heap} bytes inside the destructor"
    );
    let made = (GARBAGE / OBJECT).div_ceil(64);
    assert!(
        dropped_inside >= made / 2,
        "only {dropped_inside} of {made} values with destructors were dropped inside"
    );
    collect();
    assert_eq!(pair_drops.get(), made);
}
