//! Collection scheduling knobs.

use std::time::Duration;

use crate::sync::raw::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};

/// When collections run. Set with [`set_config`]; read the current one with
/// [`config`].
///
/// Each thread's heap runs a **minor** collection (young objects only) every
/// `young_budget_bytes` of allocation. When the old generation (what the last
/// **major** collection left, plus what minor collections promoted since) has
/// grown to `growth_factor` times what the last major collection left (and
/// beyond twice the young budget), the next collection is a major one
/// instead. While nothing since that collection released an object's last
/// strong reference (or an uncounted root such as a handle), the old
/// generation can only have grown by live objects and garbage cycles, and
/// it may grow three times as much (2.5 times for a `growth_factor` of 1.5)
/// before the major collection. Young objects do not count towards it: each thread's young
/// budget bounds them. So a loop that allocates forever runs in bounded
/// memory, and a program whose long-lived data is stable rarely pays for
/// tracing it.
///
/// With [`automatic(false)`](GcConfig::automatic) the same schedule applies,
/// but only at [`safepoint`](crate::safepoint)s: allocation notes that a
/// collection is due and goes on.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct GcConfig {
    /// Bytes a thread allocates between two collections.
    pub young_budget_bytes: usize,
    /// How much the old generation may grow, relative to the bytes that
    /// survived the last major collection, before the next major one. Must be
    /// greater than 1; 1.5 by default.
    pub growth_factor: f64,
    /// Whether allocation runs the collections the schedule calls for (and
    /// drops the thread's pending dead values), as by default; or, when
    /// `false`, only notes that one is due, for the thread's next
    /// [`safepoint`](crate::safepoint). A thread's exit and explicit
    /// [`collect`](crate::collect) calls collect either way.
    pub automatic: bool,
    /// Pauses longer than this are reported as a `WARN` event of target
    /// `rudo_gc` (with the `tracing` feature; without it nothing reads
    /// this). 100 ms by default.
    pub slow_pause: Duration,
}

impl Default for GcConfig {
    fn default() -> Self {
        GcConfig {
            young_budget_bytes: DEFAULT_YOUNG_BUDGET,
            growth_factor: DEFAULT_GROWTH_FACTOR,
            automatic: true,
            slow_pause: DEFAULT_SLOW_PAUSE,
        }
    }
}

impl GcConfig {
    /// Sets [`young_budget_bytes`](GcConfig::young_budget_bytes).
    pub fn young_budget_bytes(mut self, bytes: usize) -> Self {
        self.young_budget_bytes = bytes;
        self
    }

    /// Sets [`growth_factor`](GcConfig::growth_factor).
    pub fn growth_factor(mut self, factor: f64) -> Self {
        self.growth_factor = factor;
        self
    }

    /// Sets [`automatic`](GcConfig::automatic): `false` for collection only
    /// at [`safepoint`](crate::safepoint)s.
    ///
    /// # Examples
    ///
    /// An interpreter that collects only between instructions, where its own
    /// state is consistent:
    ///
    /// ```
    /// use rudo_gc::{Gc, GcConfig, set_config, safepoint};
    ///
    /// set_config(GcConfig::default().automatic(false));
    /// for step in 0..10_000_u64 {
    ///     let garbage = Gc::new([step; 32]); // never collects here
    ///     drop(garbage);
    ///     safepoint(); // collects here, when the budget says one is due
    /// }
    /// # set_config(GcConfig::default());
    /// ```
    pub fn automatic(mut self, automatic: bool) -> Self {
        self.automatic = automatic;
        self
    }

    /// Sets [`slow_pause`](GcConfig::slow_pause), the pause above which a
    /// collection is reported as a `WARN` event (feature `tracing`).
    pub fn slow_pause(mut self, threshold: Duration) -> Self {
        self.slow_pause = threshold;
        self
    }
}

// About the size of a core's L2 cache: young objects are written and swept while
// they are still cached (measured in `docs/benchmarks.md`).
const DEFAULT_YOUNG_BUDGET: usize = 2 << 20;
static YOUNG_BUDGET: AtomicUsize = AtomicUsize::new(DEFAULT_YOUNG_BUDGET);
/// `automatic`.
static AUTOMATIC: AtomicBool = AtomicBool::new(true);
const DEFAULT_SLOW_PAUSE: Duration = Duration::from_millis(100);
/// `slow_pause` in nanoseconds (saturated to `u64`).
static SLOW_PAUSE_NANOS: AtomicU64 = AtomicU64::new(100_000_000);
/// 1.5 rather than 2: GCBench's peak RSS 93 -> 58 MiB and binary-trees' 30 ->
/// 26 MiB for about 1.5% more time, the other workloads ties
/// (`docs/benchmarks.md`, "The edge list").
const DEFAULT_GROWTH_FACTOR: f64 = 1.5;
/// `growth_factor` as `f64` bits.
static GROWTH_BITS: AtomicU64 = AtomicU64::new(DEFAULT_GROWTH_FACTOR.to_bits());

/// Replaces the process-wide collection schedule. Takes effect at each
/// thread's next allocation.
///
/// # Panics
///
/// Panics if `growth_factor` is not a finite number greater than 1, or
/// `young_budget_bytes` is zero: either would make the collector run after
/// every allocation.
///
/// # Examples
///
/// ```
/// use rudo_gc::{GcConfig, set_config};
///
/// set_config(GcConfig::default().young_budget_bytes(4 << 20).growth_factor(1.5));
/// assert_eq!(rudo_gc::config().young_budget_bytes, 4 << 20);
/// ```
pub fn set_config(config: GcConfig) {
    assert!(
        config.growth_factor.is_finite() && config.growth_factor > 1.0,
        "rudo-gc: GcConfig::growth_factor must be a finite number greater than 1 (got {}); \
         use for example 1.5 or 2.0",
        config.growth_factor
    );
    assert!(
        config.young_budget_bytes > 0,
        "rudo-gc: GcConfig::young_budget_bytes must be greater than 0; use for example 1 << 20"
    );
    YOUNG_BUDGET.store(config.young_budget_bytes, Relaxed);
    GROWTH_BITS.store(config.growth_factor.to_bits(), Relaxed);
    AUTOMATIC.store(config.automatic, Relaxed);
    let nanos = u64::try_from(config.slow_pause.as_nanos()).unwrap_or(u64::MAX);
    SLOW_PAUSE_NANOS.store(nanos, Relaxed);
}

/// The current process-wide collection schedule.
pub fn config() -> GcConfig {
    GcConfig {
        young_budget_bytes: YOUNG_BUDGET.load(Relaxed),
        growth_factor: f64::from_bits(GROWTH_BITS.load(Relaxed)),
        automatic: AUTOMATIC.load(Relaxed),
        slow_pause: slow_pause(),
    }
}

/// `GcConfig::slow_pause`. Relaxed: a plain setting.
pub(crate) fn slow_pause() -> Duration {
    Duration::from_nanos(SLOW_PAUSE_NANOS.load(Relaxed))
}

/// Whether allocation collects by itself (`GcConfig::automatic`). Relaxed:
/// a plain setting, read at the allocation slow path; no other memory
/// depends on it.
pub(crate) fn automatic() -> bool {
    AUTOMATIC.load(Relaxed)
}

/// Bytes allocated between two collections.
pub(crate) fn young_budget() -> usize {
    YOUNG_BUDGET.load(Relaxed)
}

/// How many times more growth the old generation is allowed while there is
/// no evidence of acyclic garbage: `growth_factor` 1.5 becomes 2.5.
pub(crate) const CYCLIC_ONLY_GROWTH: f64 = 3.0;

/// Whether an old generation of `old` bytes, which the last major collection
/// left at `after_major`, calls for a major collection now; `zeroed`: there
/// is evidence of acyclic garbage since that collection. Young bytes do not
/// count: minor collections bound them (a young budget per thread), and
/// counting them made every thread's allocation look like heap growth.
///
/// Evidence of acyclic garbage: an object of the old generation can only
/// become garbage that is not on (or reachable only from) a garbage cycle
/// once something released its last strong count, or an uncounted root (a
/// handle slot, a conservative region) that held it. Every such release
/// since the last major collection is recorded (`Mutator::mark_released`,
/// `mark_root_released`, the fix-up's give-backs outside S, every release on
/// a thread being torn down, and any region registered at a collection).
/// Without any, whatever the old generation grew by since is live or on
/// garbage cycles, and a major collection would free only the cycles: the
/// generation may then grow `CYCLIC_ONLY_GROWTH` times as much before one
/// runs. This is a schedule only: which collection runs never changes what
/// one frees.
pub(crate) fn wants_major(old: usize, after_major: usize, zeroed: bool) -> bool {
    let c = config();
    let growth = if zeroed {
        c.growth_factor - 1.0
    } else {
        (c.growth_factor - 1.0) * CYCLIC_ONLY_GROWTH
    };
    let limit = (after_major as f64 * (1.0 + growth)) as usize;
    old > limit.max(2 * c.young_budget_bytes)
}
