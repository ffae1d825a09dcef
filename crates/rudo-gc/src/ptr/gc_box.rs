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

#[cfg(test)]
mod tests {
    use super::*;

    /// `Gc<[T]>` and `Gc<str>` panic ("does not fit in the address space")
    /// when this is `None`. A real `Vec` or `str` is never that long (it is
    /// at most `isize::MAX` bytes and the box adds a header and a trailer
    /// that would not fit after it), so the check guards the arithmetic and
    /// is tested here.
    #[test]
    fn a_slice_layout_that_overflows_is_none() {
        assert!(GcBox::<[u64]>::layout_with_trailer(usize::MAX / 4).is_none());
        assert!(GcBox::<[u8]>::layout_with_trailer(isize::MAX as usize).is_none());
        assert!(GcBox::<[u8]>::layout_with_trailer(usize::MAX).is_none());
        let small = GcBox::<[u64]>::layout_with_trailer(3).expect("fits");
        assert!(small.size() >= GcBox::<[u64]>::value_offset() + 3 * 8 + 8);
        // Zero-sized elements never overflow: only the header and trailer.
        assert!(GcBox::<[()]>::layout_with_trailer(usize::MAX).is_some());
    }
}
