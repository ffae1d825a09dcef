//! The page map: a three-level radix table from page number to page header.
//!
//! It answers "is this address inside the GC heap, and whose page is it?" in
//! three dependent loads, for any address, without locks. Every
//! `PAGE_SIZE` granule of every chunk and of every large allocation has an
//! entry; a large allocation's granules all point at its first page header.
//!
//! ```text
//!  address (48 bits used):  | root (11) | mid (11) | leaf (11) | in-page offset (15) |
//!  ROOT[root] -> Mid { [AtomicPtr<Leaf>; 2048] } -> Leaf { [AtomicPtr<u8>; 2048] } -> page header
//! ```
//!
//! Rules:
//!
//! 1. Interior nodes are created under `GROW_LOCK` and never freed, so a
//!    reader that loaded a node pointer can always dereference it.
//! 2. An entry is set (Release) after its page header is initialised, and
//!    cleared before the memory is returned to the system; the heap's
//!    `RELEASE_LOCK` (see `heap::chunk`) keeps lookups and releases apart.

use core::ptr::{self, NonNull};

use super::page::{PAGE_SHIFT, PagePtr};
use crate::sync::raw::{AtomicPtr, Ordering};

const LEVEL_BITS: usize = 11;
const FANOUT: usize = 1 << LEVEL_BITS;
/// Address bits covered by the map.
pub(crate) const ADDRESS_BITS: usize = PAGE_SHIFT + 3 * LEVEL_BITS;
const _: () = assert!(ADDRESS_BITS == 48);

struct Leaf([AtomicPtr<u8>; FANOUT]);
struct Mid([AtomicPtr<Leaf>; FANOUT]);

static ROOT: [AtomicPtr<Mid>; FANOUT] = [const { AtomicPtr::new(ptr::null_mut()) }; FANOUT];
static GROW_LOCK: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

fn split(addr: usize) -> Option<(usize, usize, usize)> {
    if addr >> ADDRESS_BITS != 0 {
        return None;
    }
    let page = addr >> PAGE_SHIFT;
    Some((
        page >> (2 * LEVEL_BITS),
        (page >> LEVEL_BITS) & (FANOUT - 1),
        page & (FANOUT - 1),
    ))
}

/// The page header registered for the granule containing `addr`, if any.
#[inline]
pub(crate) fn lookup(addr: usize) -> Option<PagePtr> {
    let (r, m, l) = split(addr)?;
    // Ordering: Acquire pairs with the Release stores in `set`, so the node and
    // the page header it leads to are seen initialised.
    let mid = ROOT[r].load(Ordering::Acquire);
    if mid.is_null() {
        return None;
    }
    // SAFETY: interior nodes are never freed (rule 1).
    // Ordering: Acquire pairs with the Release publication in `leaf_for`.
    let leaf = unsafe { &*mid }.0[m].load(Ordering::Acquire);
    if leaf.is_null() {
        return None;
    }
    // SAFETY: as above.
    // Ordering: Acquire pairs with the Release store in `set`: the page
    // header it points to is seen initialised.
    let page = unsafe { &*leaf }.0[l].load(Ordering::Acquire);
    // SAFETY: a non-null entry points at a registered page header whose memory
    // stays allocated while it is registered (rule 2).
    NonNull::new(page).map(|p| unsafe { PagePtr::from_base(p) })
}

/// Points every granule of `[start, start + len)` at `page` (or clears them
/// when `page` is `None`).
///
/// # Panics
///
/// Panics if the range lies above the 48-bit address space the map covers.
pub(crate) fn set(start: usize, len: usize, page: Option<PagePtr>) {
    let value = page.map_or(ptr::null_mut(), |p| p.base().as_ptr());
    let mut granule = start;
    while granule < start + len {
        let (r, m, l) = split(granule).unwrap_or_else(|| {
            panic!(
                "rudo-gc: the system allocator returned memory at {granule:#x}, above the \
                 {ADDRESS_BITS}-bit address space the page map supports"
            )
        });
        let leaf = leaf_for(r, m);
        // Ordering: Release publishes the initialised page header to `lookup`.
        leaf.0[l].store(value, Ordering::Release);
        granule += 1 << PAGE_SHIFT;
    }
}

fn leaf_for(r: usize, m: usize) -> &'static Leaf {
    // Ordering: Acquire pairs with the Release publication below.
    let mut mid = ROOT[r].load(Ordering::Acquire);
    if mid.is_null() {
        let _guard = GROW_LOCK.lock();
        mid = ROOT[r].load(Ordering::Acquire);
        if mid.is_null() {
            mid = Box::into_raw(Box::new(Mid(
                [const { AtomicPtr::new(ptr::null_mut()) }; FANOUT]
            )));
            // Ordering: Release publishes the zeroed node to readers.
            ROOT[r].store(mid, Ordering::Release);
        }
    }
    // SAFETY: interior nodes are never freed (rule 1).
    let mid = unsafe { &*mid };
    // Ordering: Acquire pairs with the Release publication below.
    let mut leaf = mid.0[m].load(Ordering::Acquire);
    if leaf.is_null() {
        let _guard = GROW_LOCK.lock();
        leaf = mid.0[m].load(Ordering::Acquire);
        if leaf.is_null() {
            leaf = Box::into_raw(Box::new(Leaf(
                [const { AtomicPtr::new(ptr::null_mut()) }; FANOUT],
            )));
            // Ordering: Release publishes the zeroed leaf to readers.
            mid.0[m].store(leaf, Ordering::Release);
        }
    }
    // SAFETY: as above.
    unsafe { &*leaf }
}
