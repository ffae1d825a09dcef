//! Allocation glue between `Gc` constructors and the heap.

use core::alloc::Layout;
use core::marker::PhantomData;
use core::ptr::NonNull;

use super::gc_box::GcBox;
use crate::heap;
use crate::heap::local::Slot;
use crate::heap::size_class::{class_for_aligned, class_for_layout};

/// The size class of `GcBox<T>`, computed at compile time.
struct ClassOf<T>(PhantomData<T>);

impl<T> ClassOf<T> {
    const CLASS: Option<usize> = class_for_aligned(
        core::mem::size_of::<GcBox<T>>(),
        core::mem::align_of::<GcBox<T>>(),
    );
}

/// Reserves a slot for a `GcBox<T>` and runs `init` on it in the same heap
/// operation (see [`heap::allocate_small`]).
#[inline(always)]
pub(super) fn with_sized_slot<T, R>(init: impl FnOnce(Slot) -> R) -> R {
    match ClassOf::<T>::CLASS {
        Some(class) => heap::allocate_small(class, init),
        None => heap::allocate_large(
            core::mem::size_of::<GcBox<T>>(),
            core::mem::align_of::<GcBox<T>>(),
            init,
        ),
    }
}

/// Reserves a slot for an object of `layout` (unsized values), like
/// [`with_sized_slot`].
pub(super) fn with_layout_slot<R>(layout: Layout, init: impl FnOnce(Slot) -> R) -> R {
    match class_for_layout(layout.size(), layout.align()) {
        Some(class) => heap::allocate_small(class, init),
        None => heap::allocate_large(layout.size(), layout.align(), init),
    }
}

/// The slot's address as a pointer to `GcBox<T>`.
pub(super) fn box_ptr<T>(slot: &Slot) -> NonNull<GcBox<T>> {
    slot.ptr.cast()
}
