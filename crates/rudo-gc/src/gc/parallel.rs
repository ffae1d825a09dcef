//! A second core for the subtract pass of large major collections.
//!
//! The subtract pass (step 1 of `gc::phases`) traces every object of S once,
//! in page order, and counts each edge into S in `internal` (and
//! `dropping`). Its work splits by page: the collecting thread takes the
//! first half of the pages (by slot count), a scoped helper thread the
//! second, each with its own `internal`, `dropping` and `fixup` arrays
//! (edges cross halves, so counting into one array would need atomic
//! increments on every edge); the helper's arrays are then added into the
//! collector's. Snapshots of strong counts and the mark bits of objects under
//! construction are per object, so each half writes only its own pages'.
//!
//! Rules:
//!
//! 1. Only major collections of at least `parallel_min_slots()` slots, on a
//!    machine with more than one core, split: below that the pause is short
//!    and the helper's arrays are not repaid in memory. (The test hook's 0
//!    forces it.)
//! 2. The helper holds `Role::Tracing` while it traces, as the collecting
//!    thread does, so a `Trace` that tries a heap operation panics (the
//!    documented misuse answer) instead of waiting for a world that the
//!    collection itself holds stopped.
//! 3. A panic in the helper's `Trace` is resumed on the collecting thread
//!    after both halves stopped, exactly like a panic in a sequential
//!    subtract pass: the collection is abandoned with nothing changed but
//!    scratch state.
//! 4. Tracing on the helper reads what the collecting thread would read, with
//!    the same world stopped: it adds no access the sequential pass does not
//!    make, only moves half of them to another thread, which synchronises
//!    with the collector by the scope's spawn and join.

use std::sync::OnceLock;

use crate::sync::raw::{AtomicUsize, Ordering::Relaxed};

/// Default of `parallel_min_slots`: about 64 MiB of 64-byte objects, where a
/// major collection's pause passes 20 ms on this kind of machine. The helper's
/// arrays cost 8 bytes per slot while the collection runs. Below this the
/// split saved GCBench about 1.3 ms of its longest major pause (9.3-9.9
/// against 10.5-11.2 ms) and cost it 5 MiB of peak RSS (60.9 against 55.7),
/// for a tie in time (`docs/benchmarks.md`, "Huge pages and 8-byte size
/// classes"). It was 2^18, from the thread's start-up cost alone.
const DEFAULT_MIN_SLOTS: usize = 1 << 20;

/// Relaxed everywhere: a tuning knob read at the start of each collection;
/// it orders nothing else, and either value is correct.
static MIN_SLOTS: AtomicUsize = AtomicUsize::new(DEFAULT_MIN_SLOTS);

/// The size of S from which a major collection's subtract pass uses two
/// threads (rule 1).
pub(crate) fn parallel_min_slots() -> usize {
    MIN_SLOTS.load(Relaxed)
}

/// Test hook (`__private::set_parallel_min_slots`): sets
/// `parallel_min_slots`; returns the previous value. 0 splits every major
/// collection with two pages or more, even on one core (so Miri runs the
/// split too).
pub(crate) fn set_parallel_min_slots(slots: usize) -> usize {
    MIN_SLOTS.swap(slots, Relaxed)
}

/// Subtract passes split so far (`__private::split_subtract_passes`).
/// Relaxed: a statistic; tests read it on the thread that collected.
pub(crate) static SPLIT_PASSES: AtomicUsize = AtomicUsize::new(0);

/// Whether this machine has a second core to give the collector.
pub(crate) fn second_core() -> bool {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get())) > 1
}

/// Adds `from` into `into`, element by element.
pub(crate) fn add_counts(into: &mut [u32], from: &[u32]) {
    for (a, b) in into.iter_mut().zip(from) {
        // Wrapping: a recording pass's counters hold `internal - strong`
        // (`gc::edges`, "One array"), each half's share of it.
        *a = a.wrapping_add(*b);
    }
}

/// Ors `from` into `into`, word by word.
pub(crate) fn or_bits(into: &mut [u64], from: &[u64]) {
    for (a, b) in into.iter_mut().zip(from) {
        *a |= *b;
    }
}

/// The index `i` in `1..len` that splits `slot_counts` into `[..i]` and
/// `[i..]` of the most nearly equal sums (0 for fewer than two entries).
pub(crate) fn halfway(slot_counts: &[usize]) -> usize {
    let total: usize = slot_counts.iter().sum();
    let mut best = (usize::MAX, 0);
    let mut seen = 0;
    for i in 1..slot_counts.len() {
        seen += slot_counts[i - 1];
        let imbalance = (2 * seen).abs_diff(total);
        if imbalance < best.0 {
            best = (imbalance, i);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halfway_balances_slots() {
        assert_eq!(halfway(&[10, 10, 10, 10]), 2);
        assert_eq!(halfway(&[100, 1, 1, 1]), 1);
        assert_eq!(halfway(&[1, 1, 1, 100]), 3);
        assert_eq!(halfway(&[7]), 0);
        assert_eq!(halfway(&[]), 0);
    }

    #[test]
    fn merging_adds_and_ors() {
        let mut a = [1, 2, 3];
        add_counts(&mut a, &[1, 0, 2]);
        assert_eq!(a, [2, 2, 5]);
        let mut b = [0b01, 0];
        or_bits(&mut b, &[0b10, 0b1]);
        assert_eq!(b, [0b11, 0b1]);
    }
}
