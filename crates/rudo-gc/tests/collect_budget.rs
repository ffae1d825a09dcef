//! Allocation budgets trigger collections automatically, so a loop that makes
//! garbage forever runs in bounded memory; invalid configurations are refused.
//!
//! The configuration is process-wide: only `garbage_loop_runs_in_bounded_memory`
//! changes it, and the other tests only try invalid values (which panic
//! before anything is stored).

use std::cell::Cell;
use std::panic::catch_unwind;
use std::rc::Rc;

use rudo_gc::{Gc, GcCell, GcConfig, Trace, Visitor, collect, config, set_config, stats};

mod common;
use common::panic_message;

/// A small cyclic node, so the garbage is only freed by tracing.
struct Pair {
    other: GcCell<Option<Gc<Pair>>>,
    _pad: [u64; 4],
    drops: Rc<Cell<usize>>,
}

impl Drop for Pair {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

// SAFETY: visits the one `Gc`-owning field once.
unsafe impl Trace for Pair {
    fn trace(&self, v: &mut Visitor) {
        self.other.trace(v);
    }
}

#[test]
#[cfg_attr(miri, ignore = "allocates 50 MB")]
fn garbage_loop_runs_in_bounded_memory() {
    const BUDGET: usize = 1 << 20;
    const GARBAGE: usize = 50 << 20;
    // A generous bound: the loop never holds more than a few budgets' worth.
    const BOUND: u64 = 32 << 20;
    set_config(GcConfig::default().young_budget_bytes(BUDGET));
    assert_eq!(config().young_budget_bytes, BUDGET);
    assert_eq!(config().growth_factor, 2.0);

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
        let a = Gc::new(Pair {
            other: GcCell::new(None),
            _pad: [0; 4],
            drops: drops.clone(),
        });
        let b = Gc::new(Pair {
            other: GcCell::new(Some(a.clone())),
            _pad: [1; 4],
            drops: drops.clone(),
        });
        *a.other.borrow_mut() = Some(b);
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
