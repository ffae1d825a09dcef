//! The thread-local heap: allocation without atomics on the fast path.
//!
//! Each thread owns a [`LocalHeap`], kept in its mutator record and touched
//! only by the thread inside a heap operation or by a collector while the
//! world is stopped (`mutator::record`'s access rule). For
//! every size class it keeps a *cache*: the current page, one bitmap word of
//! that page and the word's free bits. Allocating is: take the lowest free bit,
//! compute the slot address, done. The allocated bit is published only after
//! the caller has written the object header ([`Slot::publish`]), so a lookup
//! never sees an allocated slot with an unwritten header.
//!
//! Rules:
//!
//! 1. Only the owner thread (inside a heap operation) and a collector (while
//!    the world is stopped) set or clear allocated bits of a page; the
//!    handshake makes them exclusive, so load + store loses nothing.
//! 2. A cached free bit is a slot nobody else will hand out: the page is ours,
//!    and a sweep only frees slots that were allocated.
//! 3. Every page the heap allocates into is in `young` (flag `Young`) until the
//!    next collection starts, and so is every page holding an object that
//!    survived one minor collection and is not old yet (`survived`), until
//!    the next collection, which promotes or frees it. So the young objects
//!    are exactly the non-old objects of the pages in `young`: a minor
//!    collection visits only those.
//! 4. A page is in its class's `avail` list (flag `Available`) at most once.
//!    Collections empty the caches ([`LocalHeap::reset_caches`]) and put pages
//!    that gained free slots back into `avail`.

use core::ptr::NonNull;

use super::chunk;
use super::page::{LARGE_FIRST_SLOT, PAGE_SIZE, PageFlag, PagePtr, SMALL_BITMAP_WORDS};
use super::size_class::{CLASS_SIZES, NUM_CLASSES};
use crate::sync::raw::Ordering;

/// How far past a slot being handed out the allocator prefetches
/// (`heap::prefetch` says why this distance).
const PREFETCH_AHEAD: usize = 256;

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

    /// Marks the slot allocated, making it visible to lookups and collections;
    /// `needs_drop` says whether its value has a destructor to run when it dies.
    #[inline(always)]
    pub(crate) fn publish(self, needs_drop: bool) {
        if needs_drop {
            let word = self.page.drop_word(self.index / 64);
            word.store(
                word.load(Ordering::Relaxed) | 1 << (self.index % 64),
                Ordering::Relaxed,
            );
        }
        let word = self.page.alloc_word(self.index / 64);
        // Ordering: Release pairs with the Acquire load in `lookup::find_gc_box`:
        // a lookup that sees the bit sees the header written before it. Only
        // the owner writes this word (rule 1), so load + store loses nothing.
        word.store(
            word.load(Ordering::Relaxed) | 1 << (self.index % 64),
            Ordering::Release,
        );
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
    const EMPTY: ClassCache = ClassCache {
        page: None,
        word: 0,
        free: 0,
        word_base: core::ptr::null_mut(),
    };
}

/// One thread's heap: its pages and allocation caches.
pub(crate) struct LocalHeap {
    id: usize,
    caches: [ClassCache; NUM_CLASSES],
    /// Pages of each class with free slots, other than the cached page (rule 4).
    avail: [Vec<PagePtr>; NUM_CLASSES],
    /// Every small page this heap owns.
    pub(crate) small: Vec<PagePtr>,
    /// Every large page this heap owns.
    pub(crate) large: Vec<PagePtr>,
    /// Pages allocated into since the last collection started (rule 3).
    pub(crate) young: Vec<PagePtr>,
    /// Bytes handed to the caches or large allocations since the last collection.
    pub(crate) allocated_since_gc: usize,
    /// Objects handed out since the last collection (counted per refill).
    pub(crate) objects_since_gc: usize,
    /// Bytes of slots allocated, as of the last collection plus what was
    /// handed out since.
    pub(crate) used_bytes: usize,
    /// Objects allocated, likewise.
    pub(crate) used_objects: usize,
}

impl LocalHeap {
    /// An empty heap whose pages will carry owner id `id` (non-zero).
    pub(crate) fn new(id: usize) -> Self {
        debug_assert_ne!(id, 0, "owner id 0 means no owner");
        LocalHeap {
            id,
            caches: [ClassCache::EMPTY; NUM_CLASSES],
            avail: [const { Vec::new() }; NUM_CLASSES],
            small: Vec::new(),
            large: Vec::new(),
            young: Vec::new(),
            allocated_since_gc: 0,
            objects_since_gc: 0,
            used_bytes: 0,
            used_objects: 0,
        }
    }

    /// This heap's owner id.
    pub(crate) fn id(&self) -> usize {
        self.id
    }

    /// Whether the next allocation should first run a collection.
    #[inline]
    pub(crate) fn wants_collection(&self) -> bool {
        self.allocated_since_gc >= crate::gc::config::young_budget()
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
        super::poison::unpoison(ptr.as_ptr(), CLASS_SIZES[class]);
        super::prefetch::for_write(ptr.as_ptr().wrapping_add(PREFETCH_AHEAD));
        Some(Slot {
            ptr,
            page,
            index: cache.word * 64 + bit,
        })
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
            self.caches[class] = ClassCache {
                page: Some(page),
                word: usize::MAX,
                ..ClassCache::EMPTY
            };
        }
    }

    /// Moves the cache of `class` to the next word of its page with free slots.
    fn refill_from_current(&mut self, class: usize) -> bool {
        let cache = self.caches[class];
        let Some(page) = cache.page else { return false };
        let count = page.slot_count();
        let start = cache.word.wrapping_add(1);
        for w in start..SMALL_BITMAP_WORDS.min(count.div_ceil(64)) {
            let valid = if (w + 1) * 64 <= count {
                u64::MAX
            } else {
                (1u64 << (count % 64)) - 1
            };
            let free = !page.alloc_word(w).load(Ordering::Relaxed) & valid;
            if free != 0 {
                let taken = free.count_ones() as usize;
                self.note_allocated(taken * CLASS_SIZES[class], taken);
                self.note_young(page);
                self.caches[class] = ClassCache {
                    page: Some(page),
                    word: w,
                    free,
                    word_base: page.slot(w * 64).as_ptr(),
                };
                return true;
            }
        }
        self.caches[class] = ClassCache::EMPTY;
        false
    }

    /// Makes the next page with free slots the current page of `class`.
    fn refill_from_avail(&mut self, class: usize) -> bool {
        while let Some(page) = self.avail[class].pop() {
            page.set_flag(PageFlag::Available, false);
            self.caches[class] = ClassCache {
                page: Some(page),
                word: usize::MAX,
                ..ClassCache::EMPTY
            };
            if self.refill_from_current(class) {
                return true;
            }
        }
        false
    }

    fn note_allocated(&mut self, bytes: usize, objects: usize) {
        self.allocated_since_gc += bytes;
        self.objects_since_gc += objects;
        self.used_bytes += bytes;
        self.used_objects += objects;
    }

    fn note_young(&mut self, page: PagePtr) {
        if !page.has_flag(PageFlag::Young) {
            page.set_flag(PageFlag::Young, true);
            self.young.push(page);
        }
    }

    /// Allocates a large object of `size` bytes aligned to `align` (at most
    /// half a page; the caller checked that and the size).
    pub(crate) fn alloc_large(&mut self, size: usize, align: usize) -> Slot {
        debug_assert!(align <= PAGE_SIZE / 2);
        let first = LARGE_FIRST_SLOT.next_multiple_of(align);
        let object = size.next_multiple_of(16);
        let id = self.id();
        let page = chunk::alloc_large(first + object);
        page.init_large(first, object, id);
        chunk::register_large(page);
        self.large.push(page);
        self.note_allocated(first + object, 1);
        self.note_young(page);
        Slot {
            ptr: page.slot(0),
            page,
            index: 0,
        }
    }

    /// Empties the caches at the start of a collection, so that everything
    /// allocated from now on lands in pages listed in `young` again (rule 3).
    /// The bits a cache held stay free in the bitmaps; cached pages that still
    /// have free slots go back to `avail`.
    pub(crate) fn reset_caches(&mut self) {
        for (class, &size) in CLASS_SIZES.iter().enumerate() {
            let cache = core::mem::replace(&mut self.caches[class], ClassCache::EMPTY);
            // Slots cached but never handed out were counted as allocated.
            let unused = cache.free.count_ones() as usize;
            self.allocated_since_gc = self.allocated_since_gc.saturating_sub(unused * size);
            self.objects_since_gc = self.objects_since_gc.saturating_sub(unused);
            self.used_bytes = self.used_bytes.saturating_sub(unused * size);
            self.used_objects = self.used_objects.saturating_sub(unused);
            if let Some(page) = cache.page {
                self.make_available(page);
            }
        }
    }

    /// Removes a large page whose object was freed from the page lists (the
    /// caller releases its memory).
    pub(crate) fn forget_large(&mut self, page: PagePtr) {
        self.large.retain(|&p| p != page);
        self.young.retain(|&p| p != page);
    }

    /// Accounts for slots freed outside a collection's bookkeeping.
    pub(crate) fn note_freed(&mut self, bytes: usize, objects: usize) {
        self.used_bytes = self.used_bytes.saturating_sub(bytes);
        self.used_objects = self.used_objects.saturating_sub(objects);
    }

    /// The per-class lists of pages with free slots.
    pub(crate) fn avail_lists(&mut self) -> impl Iterator<Item = &mut Vec<PagePtr>> {
        self.avail.iter_mut()
    }

    /// Takes the list of young pages, clearing their flags (rule 3).
    pub(crate) fn take_young(&mut self) -> Vec<PagePtr> {
        let young = core::mem::take(&mut self.young);
        for page in &young {
            page.set_flag(PageFlag::Young, false);
        }
        young
    }

    /// Puts a small page with free slots into its class's `avail` list.
    pub(crate) fn make_available(&mut self, page: PagePtr) {
        if page.kind() == super::page::PageKind::Small
            && !page.has_flag(PageFlag::Available)
            && page.allocated_count() < page.slot_count()
        {
            page.set_flag(PageFlag::Available, true);
            self.avail[page.class()].push(page);
        }
    }

    /// After a minor collection: the swept pages that gained free slots become
    /// available. Empty pages stay with the heap until the next major
    /// collection (finding them in the page list would cost a heap-sized scan).
    /// Pages holding objects that survived their first minor collection stay
    /// young for the next one (rule 3).
    pub(crate) fn after_minor(&mut self, swept: &[PagePtr]) {
        for &page in swept {
            self.make_available(page);
            if page.has_survivors() {
                self.note_young(page);
            }
        }
    }

    /// After a major collection: rebuilds every `avail` list from the bitmaps,
    /// fullest pages first, and returns the pages that became empty, for the
    /// caller to release.
    pub(crate) fn after_major(&mut self) -> Vec<PagePtr> {
        for list in &mut self.avail {
            for page in list.drain(..) {
                page.set_flag(PageFlag::Available, false);
            }
        }
        let mut empty = Vec::new();
        let mut partial: Vec<(usize, PagePtr)> = Vec::new();
        let (mut bytes, mut objects) = (0, 0);
        self.small.retain(|&page| {
            let used = page.allocated_count();
            if used == 0 {
                empty.push(page);
                return false;
            }
            objects += used;
            bytes += used * page.slot_size();
            if used < page.slot_count() {
                partial.push((used, page));
            }
            true
        });
        for page in &self.large {
            objects += page.allocated_count();
            bytes += page.alloc_size();
        }
        // Lists are popped from the back: fill the fullest pages first, so the
        // emptiest ones have the best chance to drain and be released.
        partial.sort_unstable_by_key(|&(used, _)| used);
        for (_, page) in partial {
            page.set_flag(PageFlag::Available, true);
            self.avail[page.class()].push(page);
        }
        // Empty pages may still be listed as young (allocated into during the
        // sweep and freed again); they are released, so unlist them.
        if !empty.is_empty() {
            let doomed: std::collections::HashSet<PagePtr> = empty.iter().copied().collect();
            self.young.retain(|p| !doomed.contains(p));
        }
        self.used_bytes = bytes;
        self.used_objects = objects;
        empty
    }
}
