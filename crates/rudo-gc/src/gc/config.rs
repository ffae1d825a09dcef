//! Collection scheduling knobs.

use crate::sync::raw::{AtomicU64, AtomicUsize, Ordering::Relaxed};

/// When collections run. Set with [`set_config`]; read the current one with
/// [`config`].
///
/// A thread's heap runs a collection when the bytes it allocated since its last
/// collection reach `max(min_budget_bytes, live_bytes * (growth_factor - 1))`,
/// where `live_bytes` is what survived that last collection. So a program with
/// a small live heap collects every `min_budget_bytes` of allocation, and a
/// program with a large one grows by at most `growth_factor` between
/// collections: a loop that allocates forever runs in bounded memory.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct GcConfig {
    /// Smallest allocation budget between two collections, in bytes.
    pub min_budget_bytes: usize,
    /// How much the heap may grow, relative to the bytes that survived the last
    /// collection, before the next one. Must be greater than 1.
    pub growth_factor: f64,
}

impl Default for GcConfig {
    fn default() -> Self {
        GcConfig { min_budget_bytes: 8 << 20, growth_factor: 2.0 }
    }
}

impl GcConfig {
    /// Sets [`min_budget_bytes`](GcConfig::min_budget_bytes).
    pub fn min_budget_bytes(mut self, bytes: usize) -> Self {
        self.min_budget_bytes = bytes;
        self
    }

    /// Sets [`growth_factor`](GcConfig::growth_factor).
    pub fn growth_factor(mut self, factor: f64) -> Self {
        self.growth_factor = factor;
        self
    }
}

static MIN_BUDGET: AtomicUsize = AtomicUsize::new(8 << 20);
/// `growth_factor` as `f64` bits.
static GROWTH_BITS: AtomicU64 = AtomicU64::new(0x4000_0000_0000_0000); // 2.0

/// Replaces the process-wide collection schedule. Takes effect at each
/// thread's next collection.
///
/// # Panics
///
/// Panics if `growth_factor` is not a finite number greater than 1, or
/// `min_budget_bytes` is zero: either would make the collector run after every
/// allocation.
pub fn set_config(config: GcConfig) {
    assert!(
        config.growth_factor.is_finite() && config.growth_factor > 1.0,
        "rudo-gc: GcConfig::growth_factor must be a finite number greater than 1 (got {}); \
         use for example 1.5 or 2.0",
        config.growth_factor
    );
    assert!(
        config.min_budget_bytes > 0,
        "rudo-gc: GcConfig::min_budget_bytes must be greater than 0; use for example 1 << 20"
    );
    MIN_BUDGET.store(config.min_budget_bytes, Relaxed);
    GROWTH_BITS.store(config.growth_factor.to_bits(), Relaxed);
}

/// The current process-wide collection schedule.
pub fn config() -> GcConfig {
    GcConfig {
        min_budget_bytes: MIN_BUDGET.load(Relaxed),
        growth_factor: f64::from_bits(GROWTH_BITS.load(Relaxed)),
    }
}

pub(crate) fn min_budget() -> usize {
    MIN_BUDGET.load(Relaxed)
}

/// The allocation budget after a collection that left `live_bytes`.
pub(crate) fn next_threshold(live_bytes: usize) -> usize {
    let c = config();
    let growth = (live_bytes as f64 * (c.growth_factor - 1.0)) as usize;
    growth.max(c.min_budget_bytes)
}
