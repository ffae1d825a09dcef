//! Process-wide collection statistics.

use core::fmt;
use std::time::Duration;

use parking_lot::Mutex;

use super::histogram::PauseHistogram;
use crate::heap::size_class::{CLASS_SIZES, NUM_CLASSES};
use crate::sync::raw::{AtomicU64, AtomicUsize, Ordering::Relaxed};

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
/// [`stats`], with a short human report as its `Display`.
///
/// When each field changes:
///
/// - collection counts, pauses (`total_pause`, `max_pause`, `last_pause`,
///   `phases`, the two histograms), `bytes_freed`, `objects_freed`: at the
///   end of each collection;
/// - `skipped_collections`: when a request is skipped;
/// - `bytes_allocated`, `objects_allocated`, `live_*`: current when `stats`
///   is called, to within a thread's allocation cache (see the fields);
/// - `heap_bytes`, `heap_bytes_by_class`, `destructor_panics`,
///   `mutator_wait`: current when `stats` is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    /// Bytes allocated since the process started: what collections
    /// counted, plus what every running thread has taken since the last
    /// one. A thread's allocation cache takes slots in runs of up to 64 of
    /// one size class, so this runs ahead of the objects actually created
    /// by at most that many slots per class and thread; while a collection
    /// is finishing it may briefly lag by what that collection counts.
    pub bytes_allocated: u64,
    /// Objects allocated, counted the same way.
    pub objects_allocated: u64,
    /// Bytes of objects freed.
    pub bytes_freed: u64,
    /// Objects freed.
    pub objects_freed: u64,
    /// Bytes of the slots in use in the heaps of running threads, now:
    /// what the last collection left (including dead objects whose
    /// destructors have not run yet; they are freed after them), plus what
    /// each thread allocated since, minus what its sweeps freed, to within a
    /// thread's allocation cache (see `bytes_allocated`). Pages of exited
    /// threads are not counted. Garbage stays in it until a collection finds
    /// it; `heap::census()` counts live objects exactly, on request.
    pub live_bytes: u64,
    /// Objects in use, likewise.
    pub live_objects: u64,
    /// Bytes the heap holds from the system (chunks and large objects).
    pub heap_bytes: u64,
    /// Panics caught in destructors of dead values (each reported to the
    /// drop-panic hook, see [`set_drop_panic_hook`](crate::set_drop_panic_hook)).
    pub destructor_panics: u64,
    /// The pauses of minor collections (p50, p90, p99, max, buckets).
    pub minor_pauses: PauseHistogram,
    /// The pauses of major collections.
    pub major_pauses: PauseHistogram,
    /// Time threads spent waiting to start a heap operation (an allocation,
    /// a `Gc` clone or drop that found the world stopped, ...) while a
    /// collection ran, summed over threads. A thread waiting for the
    /// collection lock to run a collection itself is not counted. Updated
    /// when each wait ends.
    pub mutator_wait: Duration,
    /// Small pages in use per size class, now (`heap_bytes_by_class`).
    class_pages: [u64; NUM_CLASSES],
}

impl GcStats {
    /// The heap's small pages by size class, now: `(slot size, bytes of
    /// pages)` for every class with a page, smallest first. Large objects
    /// are the rest of [`heap_bytes`](GcStats::heap_bytes) (with pages
    /// pooled for reuse).
    pub fn heap_bytes_by_class(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        CLASS_SIZES
            .iter()
            .zip(&self.class_pages)
            .filter(|&(_, &pages)| pages > 0)
            .map(|(&size, &pages)| (size, pages * crate::heap::page::PAGE_SIZE as u64))
    }
}

impl fmt::Display for GcStats {
    /// A short report for people: collections, pauses, memory.
    ///
    /// ```text
    /// rudo-gc: 229 collections (213 minor, 16 major), 3 skipped
    ///   minor pauses  p50 1.2ms  p90 2.0ms  p99 3.1ms  max 3.5ms
    ///   major pauses  p50 9.8ms  p90 14ms  p99 20ms  max 21ms
    ///   paused 454ms in all; threads waited 12ms
    ///   allocated 1.2 GiB (40000000 objects), freed 1.1 GiB; live 20.0 MiB in 300000 objects
    ///   heap 27.0 MiB from the system; 0 destructor panics
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "rudo-gc: {} collections ({} minor, {} major), {} skipped",
            self.collections,
            self.minor_collections,
            self.major_collections,
            self.skipped_collections
        )?;
        for (name, h) in [("minor", &self.minor_pauses), ("major", &self.major_pauses)] {
            if h.count() > 0 {
                writeln!(
                    f,
                    "  {name} pauses  p50 {:.1?}  p90 {:.1?}  p99 {:.1?}  max {:.1?}",
                    h.p50(),
                    h.p90(),
                    h.p99(),
                    h.max()
                )?;
            }
        }
        writeln!(
            f,
            "  paused {:.1?} in all; threads waited {:.1?}",
            self.total_pause, self.mutator_wait
        )?;
        writeln!(
            f,
            "  allocated {} ({} objects), freed {}; live {} in {} objects",
            Bytes(self.bytes_allocated),
            self.objects_allocated,
            Bytes(self.bytes_freed),
            Bytes(self.live_bytes),
            self.live_objects
        )?;
        write!(
            f,
            "  heap {} from the system; {} destructor panics",
            Bytes(self.heap_bytes),
            self.destructor_panics
        )
    }
}

/// Bytes for people (KiB, MiB, GiB).
struct Bytes(u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0 as f64;
        match self.0 {
            0..1024 => write!(f, "{} B", self.0),
            1024..1_048_576 => write!(f, "{:.1} KiB", b / 1024.0),
            1_048_576..1_073_741_824 => write!(f, "{:.1} MiB", b / 1_048_576.0),
            _ => write!(f, "{:.1} GiB", b / 1_073_741_824.0),
        }
    }
}

/// Small pages in use per class (`GcStats::heap_bytes_by_class`). Relaxed:
/// counters read for statistics only.
static CLASS_PAGES: [AtomicUsize; NUM_CLASSES] = [const { AtomicUsize::new(0) }; NUM_CLASSES];

/// A small page was cut for class `class` (+1) or went back to the pool (-1).
pub(crate) fn note_class_page(class: usize, taken: bool) {
    if taken {
        CLASS_PAGES[class].fetch_add(1, Relaxed);
    } else {
        CLASS_PAGES[class].fetch_sub(1, Relaxed);
    }
}

/// `GcStats::mutator_wait` in nanoseconds. Relaxed: a statistic.
static MUTATOR_WAIT_NANOS: AtomicU64 = AtomicU64::new(0);

/// A thread waited `waited` for a collection before its heap operation.
pub(crate) fn note_mutator_wait(waited: Duration) {
    let nanos = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
    MUTATOR_WAIT_NANOS.fetch_add(nanos, Relaxed);
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
}

/// All zero: before the first collection (by hand, since `Default` is not
/// derived for arrays of more than 32 entries).
impl Default for GcStats {
    fn default() -> Self {
        GcStats::ZERO
    }
}

impl GcStats {
    const ZERO: GcStats = GcStats {
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
        minor_pauses: PauseHistogram::new(),
        major_pauses: PauseHistogram::new(),
        mutator_wait: Duration::ZERO,
        class_pages: [0; NUM_CLASSES],
    };
}

static STATS: Mutex<GcStats> = Mutex::new(GcStats::ZERO);

pub(crate) fn record_skipped() {
    STATS.lock().skipped_collections += 1;
}

pub(crate) fn record_collection(r: CollectionRecord) {
    let mut s = STATS.lock();
    s.collections += 1;
    if r.minor {
        s.minor_collections += 1;
        s.minor_pauses.record(r.pause);
    } else {
        s.major_collections += 1;
        s.major_pauses.record(r.pause);
    }
    s.total_pause += r.pause;
    s.max_pause = s.max_pause.max(r.pause);
    s.last_pause = r.pause;
    s.phases.add(&r.phases);
    s.bytes_allocated += r.allocated_bytes as u64;
    s.objects_allocated += r.allocated_objects as u64;
    s.bytes_freed += r.freed_bytes as u64;
    s.objects_freed += r.freed_objects as u64;
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
    s.mutator_wait = Duration::from_nanos(MUTATOR_WAIT_NANOS.load(Relaxed));
    // What each running thread allocated since its heap's last collection,
    // and what its heap holds now (a thread's exit collection counts its
    // last allocations into the totals before its record goes; orphaned
    // pages are not in any heap).
    let (mut live_bytes, mut live_objects) = (0, 0);
    for m in crate::mutator::registered() {
        let [bytes, objects, used_bytes, used_objects] = m.published();
        s.bytes_allocated += bytes;
        s.objects_allocated += objects;
        live_bytes += used_bytes;
        live_objects += used_objects;
    }
    s.live_bytes = live_bytes;
    s.live_objects = live_objects;
    for (pages, counter) in s.class_pages.iter_mut().zip(&CLASS_PAGES) {
        *pages = counter.load(Relaxed) as u64;
    }
    s
}
