//! `GcBox<T>`: an object header followed by the value.

use core::alloc::Layout;

use super::header::GcHeader;

/// One GC object. `repr(C)` fixes the header at offset 0, so a pointer to the
/// box is a pointer to its header, and the page can be found by masking.
#[repr(C)]
pub(crate) struct GcBox<T: ?Sized> {
    pub(crate) header: GcHeader,
    pub(crate) value: T,
}

impl<T> GcBox<[T]> {
    /// Offset of the first element.
    pub(crate) const fn value_offset() -> usize {
        let align = core::mem::align_of::<T>();
        let header = core::mem::size_of::<GcHeader>();
        header.div_ceil(align) * align
    }

    /// Layout of a box holding `len` elements plus the 8-byte length trailer
    /// (see `vtable`), or `None` if it overflows.
    pub(crate) fn layout_with_trailer(len: usize) -> Option<Layout> {
        let value = core::mem::size_of::<T>().checked_mul(len)?;
        let size = Self::value_offset().checked_add(value)?.checked_add(8)?;
        let align = core::mem::align_of::<T>().max(core::mem::align_of::<GcHeader>());
        Layout::from_size_align(size, align)
            .ok()
            .map(|l| l.pad_to_align())
    }
}
