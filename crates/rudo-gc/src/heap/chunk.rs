//! Chunks and the global page pool.
//!
//! Memory comes from the system allocator in `CHUNK_SIZE` chunks, aligned to
//! `PAGE_SIZE` (plain `std::alloc`, so Miri can run the heap), and is cut into
//! pages. Free pages sit in one global pool; thread heaps take pages from it
//! when they run out and give empty pages back after a collection. A chunk
//! whose pages are all free is returned to the system once more than
//! `reserve_chunks()` such chunks are pooled.
//!
//! Large objects are single page-aligned allocations of their own, registered
//! in the page map granule by granule.
//!
//! Rules:
//!
//! 1. Every page of a live chunk is registered in the page map; registration
//!    is removed before the chunk is deallocated.
//! 2. Memory is only deallocated under `RELEASE_LOCK` held for writing;
//!    interior-pointer lookups hold it for reading, so a page they found stays
//!    allocated while they inspect it.
//! 3. Only pages of kind `Free` are in the pool, and a page is in the pool at
//!    most once.

use core::alloc::Layout;
use core::ptr::NonNull;
use std::collections::BTreeMap;

use parking_lot::{Mutex, RwLock, RwLockReadGuard};

use super::page::{PAGE_SIZE, PageKind, PagePtr};
use super::page_map;

/// Pages per chunk (small under Miri, which is slow with big allocations):
/// 2 MiB, the size of an x86-64 or AArch64 huge page, so that a chunk
/// aligned to its size can be one (`advise_huge_pages`).
pub(crate) const CHUNK_PAGES: usize = if cfg!(miri) { 2 } else { 64 };
/// Bytes per chunk.
pub(crate) const CHUNK_SIZE: usize = CHUNK_PAGES * PAGE_SIZE;
/// Completely free chunks kept for reuse instead of being returned: about one
/// allocation budget's worth, so that a steady allocate-collect cycle does not
/// return memory to the system only to fault it back in.
fn reserve_chunks() -> usize {
    (crate::gc::config::young_budget() / CHUNK_SIZE).clamp(2, 64)
}

/// Chunks allocated once the heap holds this much are backed by transparent
/// huge pages where the system offers them (`advise_huge_pages`): a fault
/// per 2 MiB instead of per 4 KiB, and fewer TLB misses when a collection
/// walks the heap. Below it, pages are faulted in as they are used, so a
/// small heap's resident set stays what it uses.
const HUGE_PAGES_FROM: usize = 16 << 20;

/// Asks the kernel to back the chunk at `base` with transparent huge pages
/// (Linux, `MADV_HUGEPAGE`; honoured when
/// `/sys/kernel/mm/transparent_hugepage/enabled` is `madvise` or `always`).
/// Advice only: where it is refused, nothing changes.
fn advise_huge_pages(base: NonNull<u8>) {
    #[cfg(all(target_os = "linux", not(miri)))]
    // SAFETY: `madvise` with `MADV_HUGEPAGE` changes no memory contents and
    // no mapping's validity; the range is the chunk just allocated, which
    // this process owns, and chunks are `CHUNK_SIZE`-aligned, so the start is
    // page-aligned as `madvise` requires. The result is ignored: on failure
    // the chunk simply keeps small pages.
    unsafe {
        libc::madvise(base.as_ptr().cast(), CHUNK_SIZE, libc::MADV_HUGEPAGE);
    }
    #[cfg(not(all(target_os = "linux", not(miri))))]
    let _ = base;
}

struct Pool {
    /// Free pages, most recently freed last.
    free: Vec<PagePtr>,
    /// Per chunk, keyed by base address: its first page (which carries the
    /// chunk's provenance, for deallocation) and its free-page count.
    chunks: BTreeMap<usize, (PagePtr, usize)>,
    /// Bytes held in chunks.
    chunk_bytes: usize,
    /// Bytes held in large allocations.
    large_bytes: usize,
}

static POOL: Mutex<Pool> = Mutex::new(Pool {
    free: Vec::new(),
    chunks: BTreeMap::new(),
    chunk_bytes: 0,
    large_bytes: 0,
});
static RELEASE_LOCK: RwLock<()> = RwLock::new(());

fn chunk_layout() -> Layout {
    // `CHUNK_SIZE` is a non-zero multiple of the power-of-two `PAGE_SIZE`.
    Layout::from_size_align(CHUNK_SIZE, CHUNK_SIZE).expect("chunk layout is valid")
}

/// Takes a free page from the pool, allocating a new chunk if needed.
///
/// The page is `Free`; the caller initialises it for its size class.
pub(crate) fn acquire_page() -> PagePtr {
    let mut pool = POOL.lock();
    if let Some(page) = pool.free.pop() {
        pool.chunks
            .get_mut(&(page.chunk() as usize))
            .expect("page's chunk is registered")
            .1 -= 1;
        return page;
    }
    let layout = chunk_layout();
    // SAFETY: the layout has a non-zero size.
    let base = unsafe { std::alloc::alloc(layout) };
    let Some(base) = NonNull::new(base) else {
        std::alloc::handle_alloc_error(layout);
    };
    if pool.chunk_bytes >= HUGE_PAGES_FROM {
        advise_huge_pages(base);
    }
    pool.chunk_bytes += CHUNK_SIZE;
    let mut first = None;
    for i in 0..CHUNK_PAGES {
        // SAFETY: `i * PAGE_SIZE < CHUNK_SIZE`, so the page lies in the chunk,
        // is PAGE_SIZE-aligned (the chunk is) and carries the chunk's
        // provenance; the chunk stays allocated while any page is registered
        // (rule 1).
        let page = unsafe { PagePtr::from_base(base.add(i * PAGE_SIZE)) };
        page.init_free(base.as_ptr());
        page_map::set(page.base().as_ptr() as usize, PAGE_SIZE, Some(page));
        if i == 0 {
            pool.chunks
                .insert(base.as_ptr() as usize, (page, CHUNK_PAGES - 1));
            first = Some(page);
        } else {
            pool.free.push(page);
        }
    }
    first.expect("a chunk has at least one page")
}

/// Returns emptied small pages to the pool; releases chunks above the reserve.
///
/// Every page must be owned by the caller, contain no allocated slot, and not
/// be referenced by the caller afterwards.
pub(crate) fn release_pages(pages: &[PagePtr]) {
    if pages.is_empty() {
        return;
    }
    let mut pool = POOL.lock();
    for &page in pages {
        debug_assert_eq!(page.kind(), PageKind::Small);
        debug_assert_eq!(page.allocated_count(), 0);
        crate::gc::stats::note_class_page(page.class(), false);
        page.mark_free();
        pool.free.push(page);
        pool.chunks
            .get_mut(&(page.chunk() as usize))
            .expect("page's chunk is registered")
            .1 += 1;
    }
    let empty: Vec<usize> = pool
        .chunks
        .iter()
        .filter(|&(_, &(_, free))| free == CHUNK_PAGES)
        .map(|(&c, _)| c)
        .collect();
    let reserve = reserve_chunks();
    if empty.len() <= reserve {
        return;
    }
    let doomed: Vec<usize> = empty[reserve..].to_vec();
    pool.free
        .retain(|p| !doomed.contains(&(p.chunk() as usize)));
    let _release = RELEASE_LOCK.write();
    for chunk in doomed {
        let (first_page, _) = pool.chunks.remove(&chunk).expect("listed above");
        pool.chunk_bytes -= CHUNK_SIZE;
        page_map::set(chunk, CHUNK_SIZE, None);
        // Free slots are poisoned; the system allocator gets the chunk clean.
        super::poison::unpoison(first_page.base().as_ptr(), CHUNK_SIZE);
        // SAFETY: the chunk was allocated in `acquire_page` with this layout
        // and starts at its first page; all its pages are free (no object
        // lives there), none is in the free list any more, and its page-map
        // entries are cleared under the write lock, so no lookup can reach it
        // (rules 1 and 2).
        unsafe { std::alloc::dealloc(first_page.base().as_ptr(), chunk_layout()) };
    }
}

/// Allocates a `PAGE_SIZE`-aligned large page of `alloc_size` bytes. The
/// caller initialises the header and then calls [`register_large`].
pub(crate) fn alloc_large(alloc_size: usize) -> PagePtr {
    let layout = Layout::from_size_align(alloc_size, PAGE_SIZE).unwrap_or_else(|_| {
        panic!("rudo-gc: cannot allocate a {alloc_size}-byte object: the size overflows a Layout")
    });
    // SAFETY: `alloc_size` is non-zero (it includes the page header).
    let base = unsafe { std::alloc::alloc(layout) };
    let Some(base) = NonNull::new(base) else {
        std::alloc::handle_alloc_error(layout);
    };
    POOL.lock().large_bytes += alloc_size;
    // SAFETY: the allocation is PAGE_SIZE-aligned, at least a header long,
    // and stays allocated until `free_large`.
    unsafe { PagePtr::from_base(base) }
}

/// Makes an initialised large page visible to interior-pointer lookups.
pub(crate) fn register_large(page: PagePtr) {
    page_map::set(page.base().as_ptr() as usize, page.alloc_size(), Some(page));
}

/// Returns a large page's memory to the system.
///
/// # Safety
///
/// `page` must come from [`alloc_large`], hold no live or zombie object, and
/// not be used by the caller afterwards.
pub(crate) unsafe fn free_large(page: PagePtr) {
    let size = page.alloc_size();
    let _release = RELEASE_LOCK.write();
    page_map::set(page.base().as_ptr() as usize, size, None);
    POOL.lock().large_bytes -= size;
    let layout = Layout::from_size_align(size, PAGE_SIZE).expect("layout was valid at allocation");
    // SAFETY: allocated in `alloc_large` with this layout (caller contract);
    // unregistered above under the write lock (rule 2).
    unsafe { std::alloc::dealloc(page.base().as_ptr(), layout) };
}

/// Holds off memory release while an interior-pointer lookup inspects a page.
pub(crate) fn lookup_guard() -> RwLockReadGuard<'static, ()> {
    RELEASE_LOCK.read()
}

/// Bytes the heap holds from the system: chunks plus large allocations.
pub(crate) fn footprint() -> usize {
    let pool = POOL.lock();
    pool.chunk_bytes + pool.large_bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_aligned_to_their_size_so_each_can_be_a_huge_page() {
        // More than a chunk's worth of 512-byte boxes: several pages, and at
        // least two chunks.
        let count = CHUNK_SIZE / 512 + 8;
        let values: Vec<crate::Gc<[u64; 60]>> =
            (0..count as u64).map(|i| crate::Gc::new([i; 60])).collect();
        let mut chunks = Vec::new();
        for value in &values {
            // SAFETY: the header of a live object of this heap.
            let page = unsafe { PagePtr::of_object(value.header_ptr().cast()) };
            let chunk = page.chunk() as usize;
            assert_eq!(chunk % CHUNK_SIZE, 0, "a chunk starts on its size");
            assert!(page.base().as_ptr() as usize - chunk < CHUNK_SIZE);
            if !chunks.contains(&chunk) {
                chunks.push(chunk);
            }
        }
        assert!(
            chunks.len() >= 2,
            "the boxes span {} chunk(s)",
            chunks.len()
        );
    }
}
