//! Pages: the unit of the BiBOP heap.
//!
//! Every page starts at a `PAGE_SIZE`-aligned address and begins with a
//! [`PageHeader`]. A *small* page holds equally sized slots of one size class;
//! a *large* page (the large object space) holds exactly one object and spans
//! as many page granules as it needs.
//!
//! ```text
//!  small page (PAGE_SIZE bytes, PAGE_SIZE-aligned)
//!  +-----------------+--------------------------------------+------+-----+------+-------+
//!  | PageHeader (128)| group 0 | group 1 | ... | group W-1    | slot | ... | slot | slack |
//!  +-----------------+--------------------------------------+------+-----+------+-------+
//!  0                 128                     SMALL_FIRST_SLOT       first + i * slot_size
//!
//!  group w (56 bytes): word w of each bitmap, slots 64w..64w+63
//!  | alloc | mark | old | weak | drop | pending | survived |
//!
//!  large page (one allocation, PAGE_SIZE-aligned, any length)
//!  +-----------------+-------------------+-----------------------------+
//!  | PageHeader (128)| group 0 (56)      | the object (header + value) |
//!  +-----------------+-------------------+-----------------------------+
//!  0                 128                 first_slot (>= LARGE_FIRST_SLOT)
//! ```
//!
//! The bitmaps, one bit per slot:
//!
//! - `alloc`: the slot holds an object (live, dead or a zombie).
//! - `mark`: during a collection, reached from a root; after its fix-up
//!   step, found dead.
//! - `old`: the object survived two minor collections, or a major one: it
//!   is part of no minor collection any more.
//! - `weak`: a `Weak` to the object was ever created, so when it dies it must
//!   be flagged `DEAD` and its weak count read.
//! - `drop`: the object's value has a destructor that has not run yet.
//! - `pending`: a collection found the object dead, and its slot is not free
//!   yet: its value waits to be dropped on its home thread, or destructors of
//!   other dead objects will still decrement its count, or `Weak`s to it
//!   remain. Never part of a collection again; freed once its value is
//!   dropped and both counts are zero (see `gc::reclaim`).
//! - `survived`: the object survived exactly one minor collection and is not
//!   `old` yet: it stays young (its page stays in its heap's `young` list)
//!   for one more minor collection, so that what was merely under
//!   construction when a collection struck dies young instead of waiting in
//!   the old generation for a major collection.
//!
//! Thanks to `weak` and `drop`, a dead object with neither costs its page two
//! bit operations and no memory access of its own.
//!
//! Rules:
//!
//! 1. Masking the address of any object header down to `PAGE_SIZE` yields its
//!    page header, for both kinds (a large object's header lies in its first
//!    granule).
//! 2. `alloc`, `old`, `drop`, `pending`, `survived` and the flags are written by the
//!    owner thread inside heap operations (or, for an orphan page, by whoever
//!    holds the orphan list inside a heap operation) and by a collector while
//!    the world is stopped; the handshake makes those exclusive, so
//!    load + store suffices. `mark` is the collector's. `weak` is set by any
//!    thread (atomic OR). Every field is atomic so that a concurrent
//!    interior-pointer lookup from another thread is a (possibly stale) read,
//!    never a data race.
//! 3. Geometry fields (`slot_size`, `slot_count`, ...) change only when the page
//!    is (re)initialised for a size class, which happens while it is owned by
//!    no one.
//! 4. A small page's first slot is `SMALL_FIRST_SLOT` rounded up to the
//!    class's slot alignment ([`small_first_slot`]), and slots are that
//!    alignment's multiples apart, so every slot is aligned to it: that is
//!    what lets over-aligned objects share ordinary pages
//!    (`heap::size_class`). The rounding costs no slot in any class (the
//!    page's slack absorbs it; `no_class_loses_a_slot_to_slot_alignment`).

use core::ptr::NonNull;

use crate::sync::raw::{AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering::Relaxed};

/// log2 of the page size.
pub(crate) const PAGE_SHIFT: usize = 15;
/// Size and alignment of a page: 32 KiB.
pub(crate) const PAGE_SIZE: usize = 1 << PAGE_SHIFT;
/// Mask that rounds an address down to its page.
pub(crate) const PAGE_MASK: usize = !(PAGE_SIZE - 1);

/// Bitmap words of a small page: enough bits for the smallest slot size.
pub(crate) const SMALL_BITMAP_WORDS: usize = 32;
/// Offset of the first slot in a small page.
pub(crate) const SMALL_FIRST_SLOT: usize = HEADER_SIZE + SMALL_BITMAP_WORDS * GROUP_BYTES;
/// Offset of the object in a large page when its alignment is at most 16.
pub(crate) const LARGE_FIRST_SLOT: usize = 192;
/// The epoch bit of a page enrolled in a minor collection that holds old
/// objects (`PagePtr::in_collection`).
pub(crate) const MIXED: u64 = 1;
/// Number of bitmaps per page.
const BITMAPS: usize = 7;
/// The bitmaps are interleaved: word `w` of every bitmap lies in group `w`
/// (7 adjacent words), so the collector's loops over a word of slots touch
/// one or two cache lines, and a word's address does not depend on the
/// page's kind. (Padding groups to a whole 64-byte line moved the first slot
/// from 1920 to 2176 bytes and raised binary-trees' peak RSS from 20.6 to
/// 27.1 MB, for no measured gain.)
const GROUP_BYTES: usize = BITMAPS * 8;
const _: () = assert!(BITMAPS * 8 <= GROUP_BYTES);

const HEADER_SIZE: usize = 128;
const _: () = assert!(core::mem::size_of::<PageHeader>() <= HEADER_SIZE);
const _: () = assert!(HEADER_SIZE + GROUP_BYTES <= LARGE_FIRST_SLOT);
const _: () = assert!((PAGE_SIZE - SMALL_FIRST_SLOT) / 16 <= SMALL_BITMAP_WORDS * 64);

/// What a page currently holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum PageKind {
    /// In the page pool; holds nothing.
    Free = 0,
    /// Slots of one size class.
    Small = 1,
    /// One large object.
    Large = 2,
}

/// Bookkeeping bits of a page, for its owner thread.
#[derive(Clone, Copy, Debug)]
#[repr(u32)]
pub(crate) enum PageFlag {
    /// The page is in its heap's list of pages with free slots.
    Available = 1,
    /// The page is in its heap's list of pages allocated into since the last
    /// collection (the pages a minor collection visits).
    Young = 2,
    /// The page has dead values to drop and is either listed for a sweep
    /// (in its owner's pending list, or the orphans') or in a sweep that is
    /// dropping them. A collection lists a page only while the flag is clear,
    /// so a page is never in two lists, nor listed while a sweep holds it
    /// (the sweep lists it again if values remain, see `gc::sweep`).
    Pending = 4,
    /// The page belongs to an exited thread (`heap::orphans`). Its `owner`
    /// keeps that thread's id, whose record may still be registered for a
    /// moment after its pages were orphaned; collections go by this flag.
    Orphan = 8,
}

/// The fixed part of a page header; the bitmaps follow it in memory.
#[repr(C)]
pub(crate) struct PageHeader {
    /// A [`PageKind`] discriminant.
    kind: AtomicU32,
    /// [`PageFlag`] bits, used by the owning heap's bookkeeping.
    flags: AtomicU32,
    /// Slots in the page (1 for a large page).
    slot_count: AtomicU32,
    /// `floor(2^32 / slot_size) + 1`, for division by multiplication; 0 for a
    /// large page (whose only slot has index 0).
    div_magic: AtomicU32,
    /// Offset of slot 0 from the page start.
    first_slot: AtomicU32,
    /// Bytes per slot (for a large page: bytes reserved for the object, so the
    /// allocation is `first_slot + slot_size` bytes).
    slot_size: AtomicUsize,
    /// Id of the owning thread heap; 0 for a free page. Orphaned pages keep
    /// the id of the thread that exited.
    owner: AtomicUsize,
    /// Epoch of the collection this page takes part in (see `gc::collect`).
    epoch: AtomicU64,
    /// Index of this page's slot 0 in the collector's scratch array.
    scratch_base: AtomicUsize,
    /// The chunk this page was cut from (null for large pages).
    chunk: AtomicPtr<u8>,
}

/// A pointer to a page header, carrying the provenance of the page's whole
/// allocation (its chunk, or the large allocation).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct PagePtr(NonNull<u8>);

// SAFETY: a `PagePtr` is an address plus provenance; all accesses through it go
// to atomics, so it may be moved between threads freely.
unsafe impl Send for PagePtr {}
// SAFETY: as above; shared access only reads and writes atomics.
unsafe impl Sync for PagePtr {}

impl PagePtr {
    /// Wraps the start of a page.
    ///
    /// # Safety
    ///
    /// `base` must be `PAGE_SIZE`-aligned, point to at least `PAGE_SIZE` bytes
    /// (or the whole large allocation) that stay allocated for as long as the
    /// returned value is used, and carry provenance for all of them.
    pub(crate) unsafe fn from_base(base: NonNull<u8>) -> Self {
        debug_assert_eq!(base.as_ptr() as usize & !PAGE_MASK, 0);
        PagePtr(base)
    }

    /// The page of an object header, by masking (rule 1).
    ///
    /// # Safety
    ///
    /// `header` must point to the header of an object allocated by this heap
    /// (live, dead or a zombie, but in a page that has not been released).
    #[inline(always)]
    pub(crate) unsafe fn of_object(header: NonNull<u8>) -> Self {
        let base = header.as_ptr().map_addr(|a| a & PAGE_MASK);
        // SAFETY: masking an in-page address stays within the same allocation
        // and cannot yield null, because heap pages are never at address 0.
        PagePtr(unsafe { NonNull::new_unchecked(base) })
    }

    /// The page start.
    #[inline(always)]
    pub(crate) fn base(self) -> NonNull<u8> {
        self.0
    }

    #[inline(always)]
    fn header(&self) -> &PageHeader {
        // SAFETY: `from_base`/`of_object` guarantee the page is allocated and
        // its first 64 bytes are a `PageHeader` made only of atomics, which are
        // valid for shared access from any thread.
        unsafe { self.0.cast::<PageHeader>().as_ref() }
    }

    #[inline(always)]
    fn bitmap(self, which: usize, word: usize) -> &'static AtomicU64 {
        debug_assert!(word < self.bitmap_words());
        let offset = HEADER_SIZE + word * GROUP_BYTES + which * 8;
        // SAFETY: the bitmaps follow the header inside the page's first slot
        // offset (checked by the const assertions above), they are
        // initialised by `init_*`, and the page outlives every use (caller
        // contract of the constructors). The `'static` is a local fiction: the
        // reference never escapes the heap module's callers, which hold the
        // page alive.
        unsafe { &*self.0.as_ptr().add(offset).cast::<AtomicU64>() }
    }

    /// Bitmap words this page uses.
    #[inline(always)]
    pub(crate) fn bitmap_words(self) -> usize {
        if self.kind() == PageKind::Large {
            1
        } else {
            SMALL_BITMAP_WORDS
        }
    }

    /// The allocated-slot bitmap word `w`.
    #[inline(always)]
    pub(crate) fn alloc_word(self, w: usize) -> &'static AtomicU64 {
        self.bitmap(0, w)
    }

    /// The mark bitmap word `w`.
    #[inline(always)]
    pub(crate) fn mark_word(self, w: usize) -> &'static AtomicU64 {
        self.bitmap(1, w)
    }

    /// The old-generation bitmap word `w`.
    #[inline(always)]
    pub(crate) fn old_word(self, w: usize) -> &'static AtomicU64 {
        self.bitmap(2, w)
    }

    /// The has-had-a-weak-reference bitmap word `w`.
    #[inline(always)]
    pub(crate) fn weak_word(self, w: usize) -> &'static AtomicU64 {
        self.bitmap(3, w)
    }

    /// The needs-drop bitmap word `w`.
    #[inline(always)]
    pub(crate) fn drop_word(self, w: usize) -> &'static AtomicU64 {
        self.bitmap(4, w)
    }

    /// The pending-destruction bitmap word `w`.
    #[inline(always)]
    pub(crate) fn pending_word(self, w: usize) -> &'static AtomicU64 {
        self.bitmap(5, w)
    }

    /// The survived-one-minor-collection bitmap word `w`.
    #[inline(always)]
    pub(crate) fn survived_word(self, w: usize) -> &'static AtomicU64 {
        self.bitmap(6, w)
    }

    /// Makes slot `index` pending (see the bitmaps above). Inside a heap
    /// operation of the owner, or by a collector with the world stopped.
    pub(crate) fn set_pending_bit(self, index: usize) {
        let word = self.pending_word(index / 64);
        word.store(word.load(Relaxed) | 1 << (index % 64), Relaxed);
    }

    /// Records that slot `index`'s value has a destructor to run. As
    /// [`set_pending_bit`](PagePtr::set_pending_bit).
    pub(crate) fn set_drop_bit(self, index: usize) {
        let word = self.drop_word(index / 64);
        word.store(word.load(Relaxed) | 1 << (index % 64), Relaxed);
    }

    /// Records that slot `index` has (had) a weak reference. Any thread may
    /// call it (downgrading a shared object), hence the atomic OR.
    #[inline]
    pub(crate) fn set_weak_bit(self, index: usize) {
        self.weak_word(index / 64)
            .fetch_or(1 << (index % 64), Relaxed);
    }

    /// Clears every per-object bit of the slots in `bits` of word `w`, which
    /// are being freed. The weak word may be updated by other threads, so it
    /// is cleared with an atomic AND.
    #[inline]
    pub(crate) fn free_bits(self, w: usize, bits: u64) {
        if self.kind() == PageKind::Small {
            let mut each = bits;
            while each != 0 {
                let index = w * 64 + each.trailing_zeros() as usize;
                each &= each - 1;
                super::poison::poison(self.slot(index).as_ptr(), self.slot_size());
            }
        }
        let alloc = self.alloc_word(w);
        alloc.store(alloc.load(Relaxed) & !bits, Relaxed);
        let drop = self.drop_word(w);
        drop.store(drop.load(Relaxed) & !bits, Relaxed);
        let old = self.old_word(w);
        old.store(old.load(Relaxed) & !bits, Relaxed);
        let pending = self.pending_word(w);
        pending.store(pending.load(Relaxed) & !bits, Relaxed);
        let survived = self.survived_word(w);
        survived.store(survived.load(Relaxed) & !bits, Relaxed);
        if self.weak_word(w).load(Relaxed) & bits != 0 {
            self.weak_word(w).fetch_and(!bits, Relaxed);
        }
    }

    /// Initialises a free page for size class `class` with `slot_size`-byte
    /// slots, owned by heap `owner`. All bitmaps start clear.
    pub(crate) fn init_small(self, class: usize, slot_size: usize, owner: usize) {
        // The page may have had slots of another class where the header is
        // now (`poison`'s rule: unpoisoned whole, then its slots poisoned).
        super::poison::unpoison(self.0.as_ptr(), PAGE_SIZE);
        let h = self.header();
        let first = small_first_slot(slot_size);
        let count = (PAGE_SIZE - first) / slot_size;
        debug_assert_eq!(super::size_class::CLASS_SIZES[class], slot_size);
        h.slot_size.store(slot_size, Relaxed);
        h.slot_count.store(count as u32, Relaxed);
        h.div_magic.store(div_magic(slot_size), Relaxed);
        h.first_slot.store(first as u32, Relaxed);
        h.owner.store(owner, Relaxed);
        h.epoch.store(0, Relaxed);
        h.flags.store(0, Relaxed);
        h.kind.store(PageKind::Small as u32, Relaxed);
        for which in 0..BITMAPS {
            for w in 0..SMALL_BITMAP_WORDS {
                self.bitmap(which, w).store(0, Relaxed);
            }
        }
        crate::gc::stats::note_class_page(class, true);
        // Every slot is free (`poison`'s rule).
        // SAFETY: `first + count * slot_size <= PAGE_SIZE`: inside the page.
        let slots = unsafe { self.0.add(first) };
        super::poison::poison(slots.as_ptr(), count * slot_size);
    }

    /// Initialises a fresh large allocation of `first_slot + object_size`
    /// bytes whose object starts at `first_slot`.
    pub(crate) fn init_large(self, first_slot: usize, object_size: usize, owner: usize) {
        let h = self.header();
        h.kind.store(PageKind::Large as u32, Relaxed);
        h.flags.store(0, Relaxed);
        h.slot_size.store(object_size, Relaxed);
        h.slot_count.store(1, Relaxed);
        h.div_magic.store(0, Relaxed);
        h.first_slot.store(first_slot as u32, Relaxed);
        h.owner.store(owner, Relaxed);
        h.epoch.store(0, Relaxed);
        h.scratch_base.store(0, Relaxed);
        h.chunk.store(core::ptr::null_mut(), Relaxed);
        for which in 0..BITMAPS {
            self.bitmap(which, 0).store(0, Relaxed);
        }
    }

    /// Initialises a page freshly cut from `chunk` as free.
    pub(crate) fn init_free(self, chunk: *mut u8) {
        let h = self.header();
        h.kind.store(PageKind::Free as u32, Relaxed);
        h.flags.store(0, Relaxed);
        h.slot_size.store(0, Relaxed);
        h.slot_count.store(0, Relaxed);
        h.div_magic.store(0, Relaxed);
        h.first_slot.store(SMALL_FIRST_SLOT as u32, Relaxed);
        h.owner.store(0, Relaxed);
        h.epoch.store(0, Relaxed);
        h.scratch_base.store(0, Relaxed);
        h.chunk.store(chunk, Relaxed);
    }

    /// Marks a small page free again (it goes back to the pool).
    pub(crate) fn mark_free(self) {
        let h = self.header();
        h.owner.store(0, Relaxed);
        h.slot_count.store(0, Relaxed);
        h.flags.store(0, Relaxed);
        h.kind.store(PageKind::Free as u32, Relaxed);
    }

    /// Whether `flag` is set.
    #[inline(always)]
    pub(crate) fn has_flag(self, flag: PageFlag) -> bool {
        self.header().flags.load(Relaxed) & flag as u32 != 0
    }

    /// Sets or clears `flag` (owner thread only).
    #[inline]
    pub(crate) fn set_flag(self, flag: PageFlag, on: bool) {
        let flags = &self.header().flags;
        let v = flags.load(Relaxed);
        flags.store(
            if on {
                v | flag as u32
            } else {
                v & !(flag as u32)
            },
            Relaxed,
        );
    }

    /// The page's kind.
    #[inline(always)]
    pub(crate) fn kind(self) -> PageKind {
        match self.header().kind.load(Relaxed) {
            1 => PageKind::Small,
            2 => PageKind::Large,
            _ => PageKind::Free,
        }
    }

    /// Bytes per slot.
    #[inline(always)]
    pub(crate) fn slot_size(self) -> usize {
        self.header().slot_size.load(Relaxed)
    }

    /// Slots in the page.
    #[inline(always)]
    pub(crate) fn slot_count(self) -> usize {
        self.header().slot_count.load(Relaxed) as usize
    }

    /// Offset of slot 0.
    #[inline(always)]
    pub(crate) fn first_slot(self) -> usize {
        self.header().first_slot.load(Relaxed) as usize
    }

    /// Size class (small pages).
    pub(crate) fn class(self) -> usize {
        super::size_class::class_for_runtime(self.slot_size()).expect("small page has a class")
    }

    /// Owning heap id; 0 when free or orphaned.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn owner(self) -> usize {
        self.header().owner.load(Relaxed)
    }

    /// The chunk a small page belongs to.
    pub(crate) fn chunk(self) -> *mut u8 {
        self.header().chunk.load(Relaxed)
    }

    /// Size of a large page's allocation.
    pub(crate) fn alloc_size(self) -> usize {
        self.first_slot() + self.slot_size()
    }

    /// The collection epoch this page last took part in.
    #[inline(always)]
    pub(crate) fn epoch(self) -> u64 {
        self.header().epoch.load(Relaxed)
    }

    /// Enrols the page in collection `epoch` with its scratch counters at
    /// `scratch_base`.
    pub(crate) fn enrol(self, epoch: u64, scratch_base: usize) {
        let h = self.header();
        h.scratch_base.store(scratch_base, Relaxed);
        h.epoch.store(epoch, Relaxed);
    }

    /// Index of this page's slot 0 in the collector's scratch array.
    #[inline(always)]
    pub(crate) fn scratch_base(self) -> usize {
        self.header().scratch_base.load(Relaxed)
    }

    /// Address of slot `index`.
    #[inline(always)]
    pub(crate) fn slot(self, index: usize) -> NonNull<u8> {
        debug_assert!(index < self.slot_count());
        let offset = self.first_slot() + index * self.slot_size();
        // SAFETY: `index < slot_count`, so the slot lies inside the page (or
        // the large allocation), whose provenance `self` carries.
        unsafe { self.0.add(offset) }
    }

    /// Index of the slot that contains the in-page byte offset `offset`
    /// (which must be at least `first_slot`).
    ///
    /// Division by multiplication: with `offset < 2^16` and `slot_size < 2^16`,
    /// `(offset * (floor(2^32 / d) + 1)) >> 32 == offset / d` exactly. Large
    /// pages have magic 0 and a single slot 0.
    #[inline(always)]
    pub(crate) fn slot_index_of_offset(self, offset: usize) -> usize {
        let rel = offset - self.first_slot();
        let magic = self.header().div_magic.load(Relaxed) as u64;
        ((rel as u64 * magic) >> 32) as usize
    }

    /// Index of the slot whose start is `object` (an object header address).
    #[inline(always)]
    pub(crate) fn slot_index(self, object: NonNull<u8>) -> usize {
        let offset = object.as_ptr() as usize - self.0.as_ptr() as usize;
        self.slot_index_of_offset(offset)
    }

    /// Sets the mark bit of slot `index`; returns whether it was already set.
    ///
    /// Only the collector writes mark bits, one collector at a time, so a
    /// load-or-store is enough.
    #[inline(always)]
    pub(crate) fn test_and_mark(self, index: usize) -> bool {
        let word = self.mark_word(index / 64);
        let bit = 1 << (index % 64);
        let old = word.load(Relaxed);
        if old & bit != 0 {
            return true;
        }
        word.store(old | bit, Relaxed);
        false
    }

    /// Resets the mark bits for a collection: objects that are not part of
    /// it start marked. Those are pending objects (dead already) and, for a
    /// minor collection, old objects. Returns whether any old object was
    /// (always `false` for a major collection): whether the page must be
    /// enrolled `MIXED`.
    pub(crate) fn reset_marks(self, minor: bool) -> bool {
        let mut any_old = 0;
        for w in 0..self.bitmap_words() {
            let mut start = self.pending_word(w).load(Relaxed);
            if minor {
                let old = self.old_word(w).load(Relaxed);
                any_old |= old;
                start |= old;
            }
            self.mark_word(w).store(start, Relaxed);
        }
        any_old != 0
    }

    /// Whether slot `index` holds an old object.
    #[inline(always)]
    pub(crate) fn is_old(self, index: usize) -> bool {
        self.old_word(index / 64).load(Relaxed) & (1 << (index % 64)) != 0
    }

    /// Whether the object in slot `index` is in the collected set S of the
    /// collection `epoch` (an even number): the page is enrolled in it, as
    /// `epoch` (every object of the page is in S) or `epoch | MIXED` (a
    /// minor collection's page that holds old objects, which are not). Only
    /// mixed pages read the old bitmap, one more cache line per edge.
    #[inline(always)]
    pub(crate) fn in_collection(self, index: usize, epoch: u64) -> bool {
        debug_assert_eq!(epoch & MIXED, 0, "collection epochs are even");
        let e = self.epoch();
        e == epoch || (e == epoch | MIXED && !self.is_old(index))
    }

    /// Whether an object of the page survived one minor collection and is
    /// not old yet.
    pub(crate) fn has_survivors(self) -> bool {
        (0..self.bitmap_words()).any(|w| self.survived_word(w).load(Relaxed) != 0)
    }

    /// Number of allocated slots.
    pub(crate) fn allocated_count(self) -> usize {
        (0..self.bitmap_words())
            .map(|w| self.alloc_word(w).load(Relaxed).count_ones() as usize)
            .sum()
    }
}

/// Offset of slot 0 in a small page of `slot_size`-byte slots: past the
/// bitmaps, aligned to the class's [`slot_align`](super::size_class::slot_align)
/// (rule 4), so that every slot of the page is aligned to it.
pub(crate) const fn small_first_slot(slot_size: usize) -> usize {
    SMALL_FIRST_SLOT.next_multiple_of(super::size_class::slot_align(slot_size))
}

/// `floor(2^32 / d) + 1`, see [`PagePtr::slot_index_of_offset`].
const fn div_magic(d: usize) -> u32 {
    ((1u64 << 32) / d as u64 + 1) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_division_is_exact_for_every_class_and_offset() {
        for &d in crate::heap::size_class::CLASS_SIZES.iter() {
            let magic = div_magic(d) as u64;
            // Every offset natively; under Miri (slow) the offsets around
            // every slot boundary.
            let offsets: Vec<usize> = if cfg!(miri) {
                (0..PAGE_SIZE)
                    .step_by(d)
                    .flat_map(|b| [b.saturating_sub(1), b, b + 1])
                    .collect()
            } else {
                (0..PAGE_SIZE).collect()
            };
            for offset in offsets {
                assert_eq!(
                    ((offset as u64 * magic) >> 32) as usize,
                    offset / d,
                    "d={d}"
                );
            }
        }
    }

    #[test]
    fn every_class_fits_at_least_six_slots() {
        for &d in crate::heap::size_class::CLASS_SIZES.iter() {
            assert!((PAGE_SIZE - small_first_slot(d)) / d >= 6, "class {d}");
        }
    }

    #[test]
    fn no_class_loses_a_slot_to_slot_alignment() {
        for &d in crate::heap::size_class::CLASS_SIZES.iter() {
            let first = small_first_slot(d);
            assert_eq!(first % crate::heap::size_class::slot_align(d), 0);
            assert_eq!(
                (PAGE_SIZE - first) / d,
                (PAGE_SIZE - SMALL_FIRST_SLOT) / d,
                "class {d}"
            );
        }
    }
}
