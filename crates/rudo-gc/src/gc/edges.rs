//! The edge list: the subtract pass (step 1 of `gc::phases`) writes down
//! every edge into S it counts, so that the mark pass (steps 2 and 3) walks
//! compact arrays instead of loading and tracing every live object a second
//! time. On a large live heap that second trace was most of a major
//! collection: one cache miss per object, on its header, and more on its
//! buffers (`docs/benchmarks.md`, "The edge list").
//!
//! Layout, per collection: `edges` holds the scratch index of each edge's
//! target, grouped by source in scratch order; `first[s]` is where the
//! edges of scratch index `s` start (its low 31 bits) and whether `s` has a
//! destructor that runs (bit 31), so `s`'s edges are
//! `edges[first[s] & MASK .. first[s + 1] & MASK]`. A split subtract pass
//! (`gc::parallel`) writes two lists, one per half: from `split_at` on,
//! `first` indexes the helper's list, and the first half's last source ends
//! where the first list does.
//!
//! Rules:
//!
//! 1. Recorded only for a set of fewer than 2^31 slots with fewer than 2^31
//!    edges per list (31 bits each); otherwise the mark pass traces, as it
//!    does when nothing is recorded.
//! 2. The mark pass follows exactly the edges the subtract pass counted.
//!    That is what trial deletion needs: an object whose edges were not
//!    counted (a cell mutably borrowed during the subtract pass, skipped)
//!    contributed no internal references, so its targets are roots anyway;
//!    and the counts taken off are exactly those added (unlike a second
//!    trace, which may see a cell the first one skipped, hence the
//!    saturating decrements of `trace::visitor`).
//! 3. Live bits are kept per scratch index while marking (`live`) and or-ed
//!    into the pages' mark bitmaps at the end, so that the walk never needs
//!    a page from a scratch index. (Bitmap accesses are Relaxed, as every
//!    bitmap access of a collection: the world is stopped, and the
//!    handshake orders them before any later heap operation.)
//! 4. The walk only finds what is live. The counts the fix-up needs (each
//!    object's references from *dead* objects of S, and of those, from dead
//!    objects whose destructor runs) are then counted afresh from the dead
//!    sources' edges. (Taking the live sources' edges off instead would
//!    need each object's internal count, which "One array" below gives up.)
//!    So a recording subtract pass does not count `dropping` at all: it
//!    would be one more read-modify-write per edge, in a second array,
//!    thrown away (`docs/benchmarks.md`, "Sixth pass").
//!
//! One array: a recording pass keeps no snapshot of the strong counts. Each
//! object's counter starts at zero, gains one per edge into it and loses
//! its strong count when its own turn comes (`Visitor::take_strong`), all
//! wrapping, so that afterwards it holds `internal - strong`: negative (as
//! an `i32`) for a root, positive for an over-visit (a `Trace` bug, the
//! panic of `phases::for_each_net_root`), zero otherwise. Both counts are
//! below 2^31 (`ptr::header`'s bound on strong counts, rule 1's on the
//! list), so the difference fits. That saves four bytes per slot of S in
//! the collections with the most slots, where peak memory is made
//! (`docs/benchmarks.md`, "One counter array"). A list that outgrows rule
//! 1 leaves counters no other pass can read, so the subtract pass runs
//! again without recording (`phases::collect`).
//!
//! Whether to record is a bet on the survivors: recording costs two stores
//! per edge and per object in the subtract pass, for every object of S; it
//! saves the second load and trace of every *live* one. A major collection
//! records when at least one in `RECORD_MIN_SURVIVAL` objects of the last
//! major collection's set survived it (the first one always records). Minor
//! collections never record: their young objects are mostly still in the
//! cache, so the second trace costs little, and on binary-trees and GCBench
//! recording them measured a tie or a loss (`docs/benchmarks.md`).

use super::phases::{SlotArray, for_each_net_root, scratch_bits};
use crate::heap::page::PagePtr;
use crate::sync::raw::{AtomicU8, AtomicUsize, Ordering::Relaxed};

/// Test hook (`__private::set_edge_recording`): 0 follows the bet, 1
/// records in every collection, major or minor, 2 in none. Relaxed: read at
/// the start of each collection; orders nothing else.
static FORCE: AtomicU8 = AtomicU8::new(0);

/// Test hook (`__private::set_edge_list_limit`): lists of this many edges
/// or more count as outgrowing rule 1, so that tests reach what happens
/// then without 2^31 edges. Relaxed: read once per subtract run; orders
/// nothing else.
static LIMIT: AtomicUsize = AtomicUsize::new(MASK as usize);

/// Sets the test hook's bound (`None`: rule 1's own, 2^31 - 1); returns the
/// previous one. Bounds above rule 1's are taken as rule 1's.
pub(crate) fn set_limit(edges: Option<usize>) -> usize {
    LIMIT.swap(
        edges.map_or(MASK as usize, |n| n.min(MASK as usize)),
        Relaxed,
    )
}

/// Mark passes that walked a recorded list (`__private::edge_list_marks`).
/// Relaxed: a statistic.
pub(crate) static MARKS: AtomicUsize = AtomicUsize::new(0);

/// Sets the test hook: `Some(true)` records in every collection,
/// `Some(false)` in none, `None` follows the bet. Returns the previous
/// setting.
pub(crate) fn set_recording(force: Option<bool>) -> Option<bool> {
    let code = match force {
        None => 0,
        Some(true) => 1,
        Some(false) => 2,
    };
    match FORCE.swap(code, Relaxed) {
        1 => Some(true),
        2 => Some(false),
        _ => None,
    }
}

/// The low 31 bits of a `first` entry: an offset into the edge list.
pub(super) const MASK: u32 = (1 << 31) - 1;
/// Bit 31 of a `first` entry: the source's destructor runs.
pub(super) const DROPS: u32 = 1 << 31;

/// The collector's edge-list scratch, kept from one collection to the next.
pub(super) struct EdgeList {
    /// The first half's list (or the only one).
    pub(super) edges: Vec<u32>,
    /// The helper's list in a split subtract pass.
    pub(super) helper_edges: Vec<u32>,
    /// Per scratch index (and one past the last), see the module docs.
    pub(super) first: Vec<u32>,
    /// Where the helper's half starts (the set's size if not split).
    pub(super) split_at: usize,
    live: Vec<u64>,
    stack: Vec<u32>,
    /// Whether the last subtract pass recorded a usable list (rule 1).
    pub(super) recorded: bool,
    /// Whether the last major collection's survivors were at least
    /// `1 / RECORD_MIN_SURVIVAL` of its set (the module docs' bet).
    majors_survive: bool,
}

/// A major collection records the edge list if at least one in this many
/// objects of the last major collection's set survived it.
const RECORD_MIN_SURVIVAL: usize = 4;

impl EdgeList {
    pub(super) const fn new() -> EdgeList {
        EdgeList {
            edges: Vec::new(),
            helper_edges: Vec::new(),
            first: Vec::new(),
            split_at: 0,
            live: Vec::new(),
            stack: Vec::new(),
            recorded: false,
            majors_survive: true,
        }
    }

    /// A collection of a set of `objects` objects found `dead` of them dead.
    pub(super) fn note_survivors(&mut self, minor: bool, objects: usize, dead: usize) {
        if !minor {
            let survivors = objects - dead.min(objects);
            self.majors_survive = survivors * RECORD_MIN_SURVIVAL >= objects;
        }
    }

    /// Prepares for a collected set of `total` slots; returns whether to
    /// record (the bet, and rule 1's bound on slots).
    pub(super) fn start(&mut self, total: usize, minor: bool) -> bool {
        let wanted = match FORCE.load(Relaxed) {
            1 => true,
            2 => false,
            _ => !minor && self.majors_survive,
        };
        self.recorded = false;
        self.edges.clear();
        self.helper_edges.clear();
        self.split_at = total;
        if !wanted || total >= MASK as usize {
            return false;
        }
        // Every entry is written by the subtract pass before it is read:
        // no need to zero.
        if self.first.len() < total + 1 {
            self.first.resize(total + 1, 0);
        }
        true
    }
}

/// Writes `first` entries for one subtract pass over a run of pages.
pub(super) struct Recorder {
    first: SlotArray,
    /// The next scratch index whose entry is not written yet.
    next: usize,
}

impl Recorder {
    /// A recorder for pages whose scratch indices start at `start`.
    pub(super) fn new(first: SlotArray, start: usize) -> Recorder {
        Recorder { first, next: start }
    }

    /// Object `index` is about to be traced, with `recorded` edges in the
    /// list so far: indices without edges before it start where it does.
    ///
    /// # Safety
    ///
    /// No other thread uses the entries of this recorder's pages.
    #[inline(always)]
    pub(super) unsafe fn source(&mut self, index: usize, recorded: usize, drops: bool) {
        let offset = recorded as u32 & MASK;
        while self.next < index {
            // SAFETY: this recorder's entries (caller contract).
            unsafe { self.first.write(self.next, offset) };
            self.next += 1;
        }
        let flag = if drops { DROPS } else { 0 };
        // SAFETY: as above.
        unsafe { self.first.write(index, offset | flag) };
        self.next = index + 1;
    }

    /// The pages are done: entries up to and including `end` point at the
    /// list's end (`recorded` edges). Returns whether the list fits rule 1.
    ///
    /// # Safety
    ///
    /// As for [`source`](Recorder::source), for entries up to `end`.
    pub(super) unsafe fn finish(mut self, end: usize, recorded: usize) -> bool {
        let offset = recorded as u32 & MASK;
        while self.next <= end {
            // SAFETY: caller contract.
            unsafe { self.first.write(self.next, offset) };
            self.next += 1;
        }
        recorded < LIMIT.load(Relaxed)
    }
}

/// The recorded lists of one collection, by source.
struct Lists<'a> {
    first: &'a [u32],
    split_at: usize,
    edges: &'a [u32],
    helper_edges: &'a [u32],
}

impl Lists<'_> {
    /// The targets of source `s`, and whether its destructor runs.
    #[inline(always)]
    fn of(&self, s: usize) -> (&[u32], bool) {
        let (list, end) = if s < self.split_at {
            let end = if s + 1 == self.split_at {
                self.edges.len() as u32
            } else {
                self.first[s + 1] & MASK
            };
            (self.edges, end)
        } else {
            (self.helper_edges, self.first[s + 1] & MASK)
        };
        let start = self.first[s] & MASK;
        (
            &list[start as usize..end as usize],
            self.first[s] & DROPS != 0,
        )
    }
}

/// What the mark pass needs of the collection's counters.
pub(super) struct MarkCounters<'a> {
    /// `internal - strong` per scratch index, as the recording subtract
    /// pass left them ("One array"); the fix-up's counts afterwards.
    pub(super) internal: &'a mut [u32],
    /// All zeros: the recording subtract pass leaves it alone (rule 4).
    pub(super) dropping: &'a mut [u32],
    /// The sum of `dropping` (zero on entry); the pass counts what it counts.
    pub(super) dropping_edges: &'a mut usize,
    /// Set before the pass writes `dropping` (`phases::zero_for_pass`).
    pub(super) dropping_dirty: &'a mut bool,
}

impl EdgeList {
    /// Step 3 over the recorded list (step 2's count roots found first on
    /// `pages`, then `roots`, the scratch indices of the handle and region
    /// roots in S); leaves the live objects marked in the pages' bitmaps.
    /// Returns whether any edge into S leaves a dead object: if none does,
    /// every give-back is zero and the counters are left as the subtract
    /// pass left them (not the fix-up's), with `dropping_edges` zero.
    /// Panics as `phases::for_each_net_root` does.
    pub(super) fn mark(
        &mut self,
        pages: &[PagePtr],
        counters: MarkCounters<'_>,
        roots: impl IntoIterator<Item = usize>,
        total: usize,
    ) -> bool {
        debug_assert!(self.recorded);
        MARKS.fetch_add(1, Relaxed);
        let MarkCounters {
            internal,
            dropping,
            dropping_edges,
            dropping_dirty,
        } = counters;
        debug_assert_eq!(
            *dropping_edges, 0,
            "rudo-gc: a recording pass counted `dropping`"
        );
        self.live.clear();
        self.live.resize(total.div_ceil(64), 0);
        let (live, stack) = (&mut self.live, &mut self.stack);
        stack.clear();
        for_each_net_root(pages, internal, |_, _, s| {
            live[s / 64] |= 1 << (s % 64);
            stack.push(s as u32);
        });
        for s in roots {
            let bit = 1 << (s % 64);
            if live[s / 64] & bit == 0 {
                live[s / 64] |= bit;
                stack.push(s as u32);
            }
        }
        let lists = Lists {
            first: &self.first[..=total],
            split_at: self.split_at,
            edges: &self.edges,
            helper_edges: &self.helper_edges,
        };
        // Rule 4: the walk only finds what is live.
        let mut live_edges = 0;
        while let Some(s) = stack.pop() {
            let (targets, _) = lists.of(s as usize);
            live_edges += targets.len();
            for &t in targets {
                let t = t as usize;
                let bit = 1 << (t % 64);
                if live[t / 64] & bit == 0 {
                    live[t / 64] |= bit;
                    stack.push(t as u32);
                }
            }
        }
        let dead_edges = lists.edges.len() + lists.helper_edges.len() - live_edges;
        // With no dead edge, no reference into S comes from a dead object:
        // nothing to give back, no destructor reaches into S, the counts are
        // not needed (the caller skips the give-back), and `dropping` stays
        // the zeros it came in as, with `dropping_edges` zero.
        if dead_edges > 0 {
            // Recount from the dead sources: the counters hold `internal -
            // strong`, not the internal counts a take-off would need.
            // `dropping` is still all zeros (the recording pass left it
            // alone), and is dirty from here on.
            internal[..total].fill(0);
            *dropping_dirty = true;
            for &page in pages {
                let base = page.scratch_base();
                for w in 0..page.bitmap_words() {
                    let in_set =
                        page.alloc_word(w).load(Relaxed) & !page.mark_word(w).load(Relaxed);
                    let mut dead = in_set & !scratch_bits(live, base + w * 64);
                    while dead != 0 {
                        let s = base + w * 64 + dead.trailing_zeros() as usize;
                        dead &= dead - 1;
                        let (targets, drops) = lists.of(s);
                        for &t in targets {
                            internal[t as usize] += 1;
                            if drops {
                                dropping[t as usize] += 1;
                                *dropping_edges += 1;
                            }
                        }
                    }
                }
            }
        }
        // Rule 3.
        for &page in pages {
            let base = page.scratch_base();
            for w in 0..page.bitmap_words() {
                let found = scratch_bits(live, base + w * 64) & page.alloc_word(w).load(Relaxed);
                if found != 0 {
                    let word = page.mark_word(w);
                    word.store(word.load(Relaxed) | found, Relaxed);
                }
            }
        }
        dead_edges > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorder_fills_gaps_and_flags_sources_that_drop() {
        let mut first = vec![u32::MAX; 6];
        let mut recorder = Recorder::new(SlotArray::new(&mut first), 0);
        // SAFETY: the only recorder of `first`.
        unsafe {
            recorder.source(1, 0, true);
            recorder.source(3, 2, false);
            assert!(recorder.finish(5, 5));
        }
        assert_eq!(first, [0, DROPS, 2, 2, 5, 5]);
    }

    #[test]
    fn sources_find_their_edges_on_both_sides_of_a_split() {
        let first = [0, 1 | DROPS, 0, 0, 1];
        let lists = Lists {
            first: &first,
            split_at: 2,
            edges: &[10, 11, 12],
            helper_edges: &[13],
        };
        assert_eq!(lists.of(0), (&[10][..], false));
        assert_eq!(lists.of(1), (&[11, 12][..], true));
        assert_eq!(lists.of(2), (&[][..], false));
        assert_eq!(lists.of(3), (&[13][..], false));
    }
}
