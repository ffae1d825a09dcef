//! Interior-pointer lookup: from any address to the object that contains it.
//!
//! What [`find_gc_box`] returns, for each kind of address (model: mmtk-core's
//! `find_object_from_internal_pointer`):
//!
//! | address                                                         | result |
//! |-----------------------------------------------------------------|--------|
//! | outside every chunk and large allocation                        | `None` |
//! | inside a small page's header or bitmaps                         | `None` |
//! | inside a free page                                              | `None` |
//! | inside a free slot                                              | `None` |
//! | inside a slot's slack past the object's last byte               | `None` |
//! | inside a dead object (found unreachable, its value dropped or waiting for its home thread; a zombie kept for `Weak`s; a value under construction by `new_cyclic`) | `None` |
//! | the header, the value, or any byte up to the object's last byte | `Some` |
//! | any byte of a large object, in any of the pages it spans        | `Some` |
//! | a large allocation's header, or its padding before the object   | `None` |
//!
//! Cost: three loads in the page map, one multiplication, one bitmap load.

use core::ptr::NonNull;

use super::chunk;
use super::page::{PAGE_MASK, PageKind, PagePtr};
use super::page_map;
use crate::ptr::header::GcHeader;
use crate::sync::raw::Ordering;

/// What [`find_gc_box`] knows about the object containing an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GcBoxInfo {
    /// Address of the object's header (its first byte).
    pub start: *const u8,
    /// Bytes of the object: header plus value.
    pub size: usize,
    /// `core::any::type_name` of the value's type.
    pub type_name: &'static str,
}

impl GcBoxInfo {
    /// Whether `addr` lies inside the object.
    pub fn contains(&self, addr: *const u8) -> bool {
        let a = addr as usize;
        let s = self.start as usize;
        a >= s && a < s + self.size
    }
}

/// Finds the live GC object that contains `addr`, in O(1).
///
/// `addr` may point at any byte of an object: its header, the first or last
/// byte of its value, any field. The table in this module's documentation
/// lists every case. The answer is a snapshot: if no `Gc` keeps the object
/// alive, a collection may free it right after this returns.
///
/// # Examples
///
/// ```
/// use rudo_gc::{Gc, heap::find_gc_box};
///
/// let pair = Gc::new((1_u64, 2_u64));
/// let second: *const u64 = &pair.1;
/// let info = find_gc_box(second.cast()).expect("inside a live object");
/// assert_eq!(info.start, Gc::as_ptr(&pair).cast::<u8>().wrapping_sub(16));
/// assert!(find_gc_box(&0_u8).is_none()); // a stack address
/// ```
pub fn find_gc_box(addr: *const u8) -> Option<GcBoxInfo> {
    let _guard = chunk::lookup_guard();
    let found = live_object(addr)?;
    Some(GcBoxInfo {
        start: found.object.as_ptr(),
        size: found.size,
        // SAFETY: `found.object` is a live object's header (the page is kept
        // by the guard).
        type_name: (unsafe { GcHeader::from_ptr(found.object) }
            .vtable()
            .type_name)(),
    })
}

/// A live object `live_object` found.
pub(crate) struct Found {
    /// Its page.
    pub(crate) page: PagePtr,
    /// Its header, with the page's provenance.
    pub(crate) object: NonNull<u8>,
    /// Bytes of the object, header included.
    pub(crate) size: usize,
}

/// The live object containing `addr` (the table of the module docs), or
/// `None`. The caller holds `chunk::lookup_guard()`; the answer stays true
/// only as long as no collection can run (inside a heap operation), or the
/// object is otherwise kept alive.
pub(crate) fn live_object(addr: *const u8) -> Option<Found> {
    let addr = addr as usize;
    let page = page_map::lookup(addr)?;
    let offset = addr - (page.base().as_ptr() as usize);
    let kind = page.kind();
    if kind == PageKind::Free || offset < page.first_slot() {
        return None;
    }
    let index = match kind {
        PageKind::Small => {
            debug_assert_eq!(addr & PAGE_MASK, page.base().as_ptr() as usize);
            page.slot_index_of_offset(offset)
        }
        _ => 0,
    };
    if index >= page.slot_count() {
        return None;
    }
    // Ordering: Acquire pairs with the Release in `Slot::publish`, so the
    // header written before the bit was set is visible.
    let bits = page.alloc_word(index / 64).load(Ordering::Acquire);
    // Pending: found dead by a collection, its value dropped or waiting to
    // be dropped on its home thread (or a zombie kept for `Weak`s).
    let pending = page.pending_word(index / 64).load(Ordering::Relaxed);
    if (bits & !pending) & (1 << (index % 64)) == 0 {
        return None;
    }
    let object: NonNull<u8> = page.slot(index);
    // SAFETY: the slot is allocated (bit checked after Acquire) and its page is
    // kept allocated by the lookup guard; the header consists of atomics.
    let header = unsafe { GcHeader::from_ptr(object) };
    if header.is_dead() {
        return None; // under construction by `Gc::new_cyclic`
    }
    let vtable = header.vtable();
    // SAFETY: the vtable belongs to this object; the slot size locates a
    // slice's length trailer.
    let size = unsafe { (vtable.object_size)(object.cast(), page.slot_size()) };
    let start = object.as_ptr() as usize;
    (addr >= start && addr < start + size).then_some(Found { page, object, size })
}
