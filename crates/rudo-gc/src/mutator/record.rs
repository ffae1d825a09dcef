//! The mutator record: what the collector needs of one thread, shared
//! between that thread and whichever thread collects.
//!
//! Access rule (the handshake's contract, see `handshake`): the thread heap
//! and the pending-page list in a record are touched only
//!
//! 1. by the record's own thread, inside a heap operation, or
//! 2. by the collector, while the world is stopped.
//!
//! The handshake makes these two exclusive, so the `UnsafeCell`s need no
//! lock. Everything else in the record is atomic.

use core::cell::UnsafeCell;
use std::sync::Arc;

use super::handshake::OpFlag;
use crate::heap::ThreadControlBlock;
use crate::heap::local::LocalHeap;
use crate::heap::page::PagePtr;
use crate::roots::RegionEntry;
use crate::sync::raw::{AtomicU32, AtomicU64, Ordering::Relaxed};

/// `attention` bit: this thread spent its young allocation budget.
pub(crate) const BUDGET_SPENT: u32 = 1;
/// `attention` bit: a collection left dead values for this thread to drop.
pub(crate) const VALUES_PENDING: u32 = 2;
/// `attention` bit, safepoint-only mode (`GcConfig::automatic(false)`): the
/// thread spent its budget; its next `safepoint()` collects. Not seen by
/// `needs_attention`, so allocation stays on its fast path meanwhile.
pub(crate) const COLLECTION_DUE: u32 = 4;
/// `attention` bit, safepoint-only mode: dead values wait for the thread's
/// next `safepoint()` (or `sweep_pending()`); not seen by `needs_attention`.
pub(crate) const VALUES_DUE: u32 = 8;
/// `attention` bit: a collector is waiting for this thread to leave its
/// mutator section; its next `safepoint()` yields. Not seen by
/// `needs_attention`.
pub(crate) const SECTION_YIELD: u32 = 16;
/// The bits allocation acts on.
const ALLOCATION_WORK: u32 = BUDGET_SPENT | VALUES_PENDING;
/// `flags` bit: a count was decremented or a root released since the last
/// collection.
const DIRTY: u32 = 1;
/// `flags` bit: enter operations with a full fence (see `sync::barrier`).
const FULL_FENCE: u32 = 2;
/// `flags` bit: a strong count reached zero, or an uncounted root (a handle
/// slot, a conservative region) was released, since the last collection:
/// the evidence of acyclic garbage the schedule asks for (`gc::config`,
/// "Evidence of acyclic garbage").
const ZEROED: u32 = 4;

/// One thread's record.
pub(crate) struct Mutator {
    /// The handshake flag: inside a heap operation.
    pub(crate) flag: OpFlag,
    /// `DIRTY` and `FULL_FENCE`.
    flags: AtomicU32,
    /// Work for the thread after its current operation (`BUDGET_SPENT`,
    /// `VALUES_PENDING`, `COLLECTION_DUE`, `VALUES_DUE`). Relaxed
    /// throughout: a bit only asks for work; the work itself (a collection,
    /// a sweep) synchronises through the collection lock and the heap
    /// operations it runs, not through this word.
    attention: AtomicU32,
    /// The thread's allocation state (access rule above).
    heap: UnsafeCell<LocalHeap>,
    /// Pages of this heap holding dead values to drop (access rule above).
    pending: UnsafeCell<Vec<PagePtr>>,
    /// The thread's handle slots.
    tcb: Arc<ThreadControlBlock>,
    /// The conservative regions the thread registered (`roots::region`).
    /// A lock, not the access rule: the thread registers and unregisters
    /// them outside heap operations too (a guard dropped during the exit
    /// collection's sweep); the collector locks it while the world is
    /// stopped, and no holder waits for a collector.
    pub(crate) regions: parking_lot::Mutex<Vec<RegionEntry>>,
    /// Heap id: the `owner` of this thread's pages.
    id: usize,
    /// The heap's counters published for `stats` (which may not read the
    /// heap itself): allocated since the last collection
    /// (`LocalHeap::allocated_since_gc`, `objects_since_gc`) and in use
    /// (`used_bytes`, `used_objects`), as of the thread's last cache refill
    /// or sweep, or the last collection. Written by the thread inside a heap
    /// operation and by the collector with the world stopped; Relaxed:
    /// statistics, no other memory depends on them.
    published: [AtomicU64; 4],
}

// SAFETY: the `UnsafeCell`s follow the access rule of this module, which the
// handshake makes exclusive across threads; all other fields are atomics or
// immutable.
unsafe impl Sync for Mutator {}
// SAFETY: as above; the record moves between threads only inside `Arc`s.
unsafe impl Send for Mutator {}

impl Mutator {
    /// A record for the calling thread, whose pages will carry `id`.
    pub(crate) fn new(id: usize, light_fence: bool) -> Mutator {
        Mutator {
            flag: OpFlag::new(),
            flags: AtomicU32::new(if light_fence { 0 } else { FULL_FENCE }),
            attention: AtomicU32::new(0),
            heap: UnsafeCell::new(LocalHeap::new(id)),
            pending: UnsafeCell::new(Vec::new()),
            tcb: ThreadControlBlock::new_registered(),
            regions: parking_lot::Mutex::new(Vec::new()),
            id,
            published: [const { AtomicU64::new(0) }; 4],
        }
    }

    /// Publishes `heap`'s counters (see `published`). Call with the heap
    /// borrowed as the access rule allows: inside a heap operation of this
    /// thread, or as the collector.
    #[inline]
    pub(crate) fn publish(&self, heap: &LocalHeap) {
        let values = [
            heap.allocated_since_gc,
            heap.objects_since_gc,
            heap.used_bytes,
            heap.used_objects,
        ];
        for (cell, value) in self.published.iter().zip(values) {
            cell.store(value as u64, Relaxed);
        }
    }

    /// What [`publish`](Mutator::publish) last stored: bytes and objects
    /// allocated since the last collection, then bytes and objects in use.
    pub(crate) fn published(&self) -> [u64; 4] {
        self.published.each_ref().map(|c| c.load(Relaxed))
    }

    /// The heap id of this thread's pages.
    pub(crate) fn id(&self) -> usize {
        self.id
    }

    /// The thread's control block (handle slots).
    pub(crate) fn tcb(&self) -> &Arc<ThreadControlBlock> {
        &self.tcb
    }

    /// The thread heap.
    ///
    /// # Safety
    ///
    /// Only under the access rule of this module, and with no other reference
    /// from this function alive.
    #[allow(clippy::mut_from_ref)]
    #[inline(always)]
    pub(crate) unsafe fn heap(&self) -> &mut LocalHeap {
        // SAFETY: caller contract (exclusive by the handshake).
        unsafe { &mut *self.heap.get() }
    }

    /// The list of pages with dead values to drop.
    ///
    /// # Safety
    ///
    /// As for [`heap`](Mutator::heap).
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn pending(&self) -> &mut Vec<PagePtr> {
        // SAFETY: caller contract.
        unsafe { &mut *self.pending.get() }
    }

    /// Whether operations may use the light fence.
    #[inline(always)]
    pub(crate) fn light_fence(&self) -> bool {
        self.flags.load(Relaxed) & FULL_FENCE == 0
    }

    /// Makes this thread enter operations with a full fence (always correct;
    /// used to measure what the light fence saves).
    pub(crate) fn force_full_fence(&self, on: bool) {
        if on {
            self.flags.fetch_or(FULL_FENCE, Relaxed);
        } else if super::light_fence_available() {
            self.flags.fetch_and(!FULL_FENCE, Relaxed);
        }
    }

    /// Records a change that cannot free anything a collection would not
    /// also find without it, such as a weak release (the next collection
    /// must run).
    #[inline(always)]
    pub(crate) fn mark_dirty(&self) {
        self.set_flags(DIRTY);
    }

    /// Records the release of an uncounted root (a handle scope closing, a
    /// conservative region going away): dirty, and evidence of acyclic
    /// garbage.
    #[inline(always)]
    pub(crate) fn mark_root_released(&self) {
        self.set_flags(DIRTY | ZEROED);
    }

    /// Records a strong release: dirty, and evidence of acyclic garbage if
    /// it was the object's last strong reference (`zeroed`).
    #[inline(always)]
    pub(crate) fn mark_released(&self, zeroed: bool) {
        self.set_flags(if zeroed { DIRTY | ZEROED } else { DIRTY });
    }

    #[inline(always)]
    fn set_flags(&self, bits: u32) {
        // Test first: the store would take the cache line exclusive on every
        // drop, and usually the flags are already set.
        if self.flags.load(Relaxed) & bits != bits {
            self.flags.fetch_or(bits, Relaxed);
        }
    }

    /// Returns and clears the dirty flag and the evidence flag (collector,
    /// while stopped): `(dirty, zeroed)`.
    pub(crate) fn take_dirty(&self) -> (bool, bool) {
        let flags = self.flags.fetch_and(!(DIRTY | ZEROED), Relaxed);
        (flags & DIRTY != 0, flags & ZEROED != 0)
    }

    /// Asks the thread to do `bits` after its current operation.
    #[inline]
    pub(crate) fn request(&self, bits: u32) {
        self.attention.fetch_or(bits, Relaxed);
    }

    /// Whether work allocation acts on was requested (`BUDGET_SPENT`,
    /// `VALUES_PENDING`; not the safepoint-only `*_DUE` bits).
    #[inline(always)]
    pub(crate) fn needs_attention(&self) -> bool {
        self.attention.load(Relaxed) & ALLOCATION_WORK != 0
    }

    /// Whether any work was requested, the safepoint-only bits included.
    #[inline(always)]
    pub(crate) fn any_attention(&self) -> bool {
        self.attention.load(Relaxed) != 0
    }

    /// Safepoint-only mode: turns the work allocation would do now into work
    /// due at the next safepoint (`BUDGET_SPENT` into `COLLECTION_DUE`,
    /// `VALUES_PENDING` into `VALUES_DUE`).
    pub(crate) fn defer_to_safepoint(&self) {
        let work = self.attention.fetch_and(!ALLOCATION_WORK, Relaxed) & ALLOCATION_WORK;
        let mut due = 0;
        if work & BUDGET_SPENT != 0 {
            due |= COLLECTION_DUE;
        }
        if work & VALUES_PENDING != 0 {
            due |= VALUES_DUE;
        }
        if due != 0 {
            self.request(due);
        }
    }

    /// Takes the requested work.
    pub(crate) fn take_attention(&self) -> u32 {
        self.attention.swap(0, Relaxed)
    }

    /// Takes one kind of requested work; returns whether it was requested.
    pub(crate) fn take_request(&self, bits: u32) -> bool {
        self.attention.load(Relaxed) & bits != 0
            && self.attention.fetch_and(!bits, Relaxed) & bits != 0
    }
}
