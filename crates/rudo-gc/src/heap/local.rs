//! The thread-local heap: allocation without atomics on the fast path.
//!
//! Each thread owns a [`LocalHeap`] (created on its first allocation). For
//! every size class it keeps a *cache*: the current page, one bitmap word of
//! that page and the word's free bits. Allocating is: take the lowest free bit,
//! compute the slot address, done. The allocated bit is published only after
//! the caller has written the object header ([`Slot::publish`]), so a lookup
//! never sees an allocated slot with an unwritten header.
//!
//! Rules:
//!
//! 1. Only the owner thread allocates from, sets or clears allocated bits of
//!    its pages (load + store, no read-modify-write needed).
//! 2. A cached free bit is a slot nobody else will hand out: the page is ours,
//!    and a sweep only frees slots that were allocated.
//! 3. After a sweep the caches are reset and the per-class lists of pages with
//!    free slots are rebuilt from the bitmaps.

use core::ptr::NonNull;

use super::chunk;
use super::page::{LARGE_FIRST_SLOT, PAGE_SIZE, PagePtr, SMALL_BITMAP_WORDS};
use super::size_class::{CLASS_SIZES, NUM_CLASSES};
use crate::sync::raw::{AtomicUsize, Ordering};

/// A reserved slot whose header the caller must write before [`publish`](Slot::publish).
pub(crate) struct Slot {
    pub(crate) ptr: NonNull<u8>,
    page: PagePtr,
    index: usize,
}

impl Slot {
    /// Bytes available in the slot.
    pub(crate) fn size(&self) -> usize {
        self.page.slot_size()
    }

    /// Marks the slot allocated, making it visible to lookups and collections.
    #[inline(always)]
    pub(crate) fn publish(self) {
        let word = self.page.alloc_word(self.index / 64);
        // Ordering: Release pairs with the Acquire load in `lookup::find_gc_box`:
        // a lookup that sees the bit sees the header written before it. Only
        // the owner writes this word (rule 1), so load + store loses nothing.
        word.store(word.load(Ordering::Relaxed) | 1 << (self.index % 64), Ordering::Release);
    }
}

#[derive(Clone, Copy)]
struct ClassCache {
    page: Option<PagePtr>,
    /// Bitmap word the free bits belong to.
    word: usize,
    /// Free slots of that word not yet handed out.
    free: u64,
    /// Address of slot `word * 64`.
    word_base: *mut u8,
}

impl ClassCache {
    const EMPTY: ClassCache =
        ClassCache { page: None, word: 0, free: 0, word_base: core::ptr::null_mut() };
}

static NEXT_HEAP_ID: AtomicUsize = AtomicUsize::new(1);

/// One thread's heap: its pages and allocation caches.
pub(crate) struct LocalHeap {
    id: usize,
    caches: [ClassCache; NUM_CLASSES],
    /// Pages of each class with free slots, other than the cached page.
    avail: [Vec<PagePtr>; NUM_CLASSES],
    /// Every small page this heap owns.
    pub(crate) small: Vec<PagePtr>,
    /// Every large page this heap owns.
    pub(crate) large: Vec<PagePtr>,
    /// Bytes handed to the caches or large allocations since the last collection.
    pub(crate) allocated_since_gc: usize,
    /// Objects handed out since the last collection (counted per refill).
    pub(crate) objects_since_gc: usize,
    /// `allocated_since_gc` at which the next collection is triggered.
    pub(crate) threshold: usize,
    /// A collection of this heap is running (re-entrant requests are skipped).
    pub(crate) collecting: bool,
    /// Scratch state reused across collections.
    pub(crate) scratch: crate::gc::collector::Scratch,
}

impl LocalHeap {
    /// An empty heap; its id is assigned on first use.
    pub(crate) const fn new() -> Self {
        LocalHeap {
            id: 0,
            caches: [ClassCache::EMPTY; NUM_CLASSES],
            avail: [const { Vec::new() }; NUM_CLASSES],
            small: Vec::new(),
            large: Vec::new(),
            allocated_since_gc: 0,
            objects_since_gc: 0,
            threshold: 0,
            collecting: false,
            scratch: crate::gc::collector::Scratch::new(),
        }
    }

    /// This heap's id (non-zero), assigned on first call.
    pub(crate) fn id(&mut self) -> usize {
        if self.id == 0 {
            self.id = NEXT_HEAP_ID.fetch_add(1, Ordering::Relaxed);
            self.threshold = crate::gc::config::min_budget();
        }
        self.id
    }

    /// Whether the next allocation should first run a collection.
    #[inline]
    pub(crate) fn wants_collection(&self) -> bool {
        self.allocated_since_gc >= self.threshold && !self.collecting
    }

    /// Takes a slot of size class `class` from the cache, if it has one.
    #[inline(always)]
    pub(crate) fn alloc_fast(&mut self, class: usize) -> Option<Slot> {
        let cache = &mut self.caches[class];
        if cache.free == 0 {
            return None;
        }
        let bit = cache.free.trailing_zeros() as usize;
        cache.free &= cache.free - 1;
        let page = cache.page?;
        // SAFETY: `word_base + bit * size` is slot `word * 64 + bit`, which the
        // refill checked to be below the page's slot count, so it lies inside
        // the page, whose provenance `word_base` carries.
        let ptr = unsafe { NonNull::new_unchecked(cache.word_base.add(bit * CLASS_SIZES[class])) };
        Some(Slot { ptr, page, index: cache.word * 64 + bit })
    }

    /// Refills the cache of `class` and takes a slot. Never fails (allocation
    /// failure of a new chunk aborts through `handle_alloc_error`).
    #[cold]
    pub(crate) fn alloc_slow(&mut self, class: usize) -> Slot {
        loop {
            if self.refill_from_current(class) || self.refill_from_avail(class) {
                if let Some(slot) = self.alloc_fast(class) {
                    return slot;
                }
                continue;
            }
            let id = self.id();
            let page = chunk::acquire_page();
            page.init_small(class, CLASS_SIZES[class], id);
            self.small.push(page);
            self.caches[class] = ClassCache { page: Some(page), ..ClassCache::EMPTY };
            self.caches[class].word = usize::MAX;
        }
    }

    /// Moves the cache of `class` to the next word of its page with free slots.
    fn refill_from_current(&mut self, class: usize) -> bool {
        let cache = self.caches[class];
        let Some(page) = cache.page else { return false };
        let count = page.slot_count();
        let start = cache.word.wrapping_add(1);
        for w in start..SMALL_BITMAP_WORDS.min(count.div_ceil(64)) {
            let valid = if (w + 1) * 64 <= count { u64::MAX } else { (1u64 << (count % 64)) - 1 };
            let free = !page.alloc_word(w).load(Ordering::Relaxed) & valid;
            if free != 0 {
                let taken = free.count_ones() as usize;
                self.allocated_since_gc += taken * CLASS_SIZES[class];
                self.objects_since_gc += taken;
                self.caches[class] =
                    ClassCache { page: Some(page), word: w, free, word_base: page.slot(w * 64).as_ptr() };
                return true;
            }
        }
        self.caches[class] = ClassCache::EMPTY;
        false
    }

    /// Makes the next page with free slots the current page of `class`.
    fn refill_from_avail(&mut self, class: usize) -> bool {
        while let Some(page) = self.avail[class].pop() {
            self.caches[class] = ClassCache { page: Some(page), word: usize::MAX, ..ClassCache::EMPTY };
            if self.refill_from_current(class) {
                return true;
            }
        }
        false
    }

    /// Allocates a large object of `size` bytes aligned to `align`.
    ///
    /// # Panics
    ///
    /// Panics if `align` exceeds half a page.
    pub(crate) fn alloc_large(&mut self, size: usize, align: usize) -> Slot {
        assert!(
            align <= PAGE_SIZE / 2,
            "rudo-gc: values aligned to more than {} bytes cannot be stored in a Gc",
            PAGE_SIZE / 2
        );
        let first = LARGE_FIRST_SLOT.next_multiple_of(align);
        let object = size.next_multiple_of(16);
        let id = self.id();
        let page = chunk::alloc_large(first + object);
        page.init_large(first, object, id);
        chunk::register_large(page);
        self.large.push(page);
        self.allocated_since_gc += first + object;
        self.objects_since_gc += 1;
        Slot { ptr: page.slot(0), page, index: 0 }
    }

    /// Empties the caches (the bits they hold stay free in the bitmaps) and
    /// rebuilds the per-class lists of pages with free slots (rule 3). Returns
    /// the pages that became empty, for the caller to release.
    pub(crate) fn rebuild_after_sweep(&mut self) -> Vec<PagePtr> {
        for (class, cache) in self.caches.iter_mut().enumerate() {
            // Slots cached but never handed out were counted as allocated.
            let unused = cache.free.count_ones() as usize;
            self.allocated_since_gc = self.allocated_since_gc.saturating_sub(unused * CLASS_SIZES[class]);
            self.objects_since_gc = self.objects_since_gc.saturating_sub(unused);
            *cache = ClassCache::EMPTY;
        }
        for list in &mut self.avail {
            list.clear();
        }
        let mut empty = Vec::new();
        self.small.retain(|&page| {
            let used = page.allocated_count();
            if used == 0 {
                empty.push(page);
                false
            } else {
                if used < page.slot_count() {
                    self.avail[page.class()].push(page);
                }
                true
            }
        });
        // Fill the fullest pages first (they are popped from the back).
        for list in &mut self.avail {
            list.sort_by_key(|p| p.allocated_count());
        }
        empty
    }
}
