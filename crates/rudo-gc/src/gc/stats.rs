//! Process-wide collection statistics.

use std::time::Duration;

use parking_lot::Mutex;

/// Time spent in each phase of a collection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PhaseTimes {
    /// Trial deletion: counting references from inside the heap.
    pub subtract: Duration,
    /// Finding roots and marking what they reach.
    pub mark: Duration,
    /// Releasing the references dead objects hold on survivors.
    pub fix_up: Duration,
    /// Dropping dead values and freeing their slots.
    pub sweep: Duration,
}

impl PhaseTimes {
    fn add(&mut self, other: &PhaseTimes) {
        self.subtract += other.subtract;
        self.mark += other.mark;
        self.fix_up += other.fix_up;
        self.sweep += other.sweep;
    }
}

/// A snapshot of the collector's counters for the whole process, from
/// [`stats`].
///
/// Counts and byte totals are cumulative since the process started; `live_*`
/// describe the heaps as each thread's most recent collection left them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GcStats {
    /// Collections that ran.
    pub collections: u64,
    /// Of those, minor (young-generation) collections.
    pub minor_collections: u64,
    /// Of those, major (whole-heap) collections.
    pub major_collections: u64,
    /// Requests skipped because nothing had changed since the last collection.
    pub skipped_collections: u64,
    /// Sum of all pauses.
    pub total_pause: Duration,
    /// Longest single pause.
    pub max_pause: Duration,
    /// Pause of the most recent collection.
    pub last_pause: Duration,
    /// Per-phase time summed over all collections.
    pub phases: PhaseTimes,
    /// Bytes allocated (counted at each collection).
    pub bytes_allocated: u64,
    /// Objects allocated (counted at each collection).
    pub objects_allocated: u64,
    /// Bytes of objects freed.
    pub bytes_freed: u64,
    /// Objects freed.
    pub objects_freed: u64,
    /// Bytes of objects alive after the most recent collection of the thread
    /// that collected last.
    pub live_bytes: u64,
    /// Objects alive after that collection.
    pub live_objects: u64,
    /// Bytes the heap holds from the system (chunks and large objects).
    pub heap_bytes: u64,
    /// Panics caught in destructors of dead values (each reported to the
    /// drop-panic hook, see [`set_drop_panic_hook`](crate::set_drop_panic_hook)).
    pub destructor_panics: u64,
}

/// What one collection reports.
pub(crate) struct CollectionRecord {
    pub(crate) minor: bool,
    pub(crate) pause: Duration,
    pub(crate) phases: PhaseTimes,
    pub(crate) allocated_bytes: usize,
    pub(crate) allocated_objects: usize,
    pub(crate) freed_objects: usize,
    pub(crate) freed_bytes: usize,
    pub(crate) live_objects: usize,
    pub(crate) live_bytes: usize,
}

static STATS: Mutex<GcStats> = Mutex::new(GcStats {
    collections: 0,
    minor_collections: 0,
    major_collections: 0,
    skipped_collections: 0,
    total_pause: Duration::ZERO,
    max_pause: Duration::ZERO,
    last_pause: Duration::ZERO,
    phases: PhaseTimes {
        subtract: Duration::ZERO,
        mark: Duration::ZERO,
        fix_up: Duration::ZERO,
        sweep: Duration::ZERO,
    },
    bytes_allocated: 0,
    objects_allocated: 0,
    bytes_freed: 0,
    objects_freed: 0,
    live_bytes: 0,
    live_objects: 0,
    heap_bytes: 0,
    destructor_panics: 0,
});

pub(crate) fn record_skipped() {
    STATS.lock().skipped_collections += 1;
}

pub(crate) fn record_collection(r: CollectionRecord) {
    let mut s = STATS.lock();
    s.collections += 1;
    if r.minor {
        s.minor_collections += 1;
    } else {
        s.major_collections += 1;
    }
    s.total_pause += r.pause;
    s.max_pause = s.max_pause.max(r.pause);
    s.last_pause = r.pause;
    s.phases.add(&r.phases);
    s.bytes_allocated += r.allocated_bytes as u64;
    s.objects_allocated += r.allocated_objects as u64;
    s.bytes_freed += r.freed_bytes as u64;
    s.objects_freed += r.freed_objects as u64;
    s.live_bytes = r.live_bytes as u64;
    s.live_objects = r.live_objects as u64;
}

/// A snapshot of the process-wide collector statistics.
///
/// # Examples
///
/// ```
/// let before = rudo_gc::stats().collections;
/// let _garbage = rudo_gc::Gc::new(1_u64);
/// rudo_gc::collect();
/// assert!(rudo_gc::stats().collections > before);
/// ```
pub fn stats() -> GcStats {
    let mut s = *STATS.lock();
    s.heap_bytes = crate::heap::chunk::footprint() as u64;
    s.destructor_panics = super::drop_panic::caught();
    s
}
