//! Per-type vtables: how the collector traces, drops and sizes an object it
//! only knows by its header address.
//!
//! Sized values use one `VTable` constant per type. Slices and `str` cannot
//! find their length from a thin header pointer, so their slot carries the
//! element count in its last word (the *length trailer*):
//!
//! ```text
//!  slot of a Gc<[T]>:  | GcHeader | value: [T; len] | ...slack... | len: usize |
//!                      0          value_offset                 slot_size - 8
//! ```
//!
//! The collector passes every vtable function the slot size, which locates
//! the trailer.

use core::marker::PhantomData;
use core::ptr::NonNull;

use super::gc_box::GcBox;
use super::header::GcHeader;
use crate::sync::raw::{AtomicUsize, Ordering::Relaxed};
use crate::trace::{Trace, Visitor};

/// Traces the value of the object at the header pointer.
pub(crate) type TraceFn = unsafe fn(NonNull<GcHeader>, usize, &mut Visitor);
/// Drops the value of the object at the header pointer in place.
pub(crate) type DropFn = unsafe fn(NonNull<GcHeader>, usize);

/// How to handle objects of one type.
pub(crate) struct VTable {
    /// `None` when the type holds no GC pointers (`Trace::NEEDS_TRACE`).
    pub(crate) trace: Option<TraceFn>,
    /// `None` when dropping the value is a no-op.
    pub(crate) drop: Option<DropFn>,
    /// Bytes the object occupies, header included.
    pub(crate) object_size: unsafe fn(NonNull<GcHeader>, usize) -> usize,
    /// `core::any::type_name` of the value.
    pub(crate) type_name: fn() -> &'static str,
    /// `TypeId` of the value's type (`ErasedGc::downcast`).
    pub(crate) type_id: fn() -> core::any::TypeId,
}

/// Reads the length trailer of a slice object.
///
/// # Safety
///
/// `header` must be a slice or `str` object in a slot of `slot_size` bytes
/// whose trailer was written at allocation.
pub(crate) unsafe fn read_len(header: NonNull<GcHeader>, slot_size: usize) -> usize {
    // SAFETY: caller contract: the trailer is the slot's last word, written
    // when the object was allocated; slots are 8-aligned and 8-multiple
    // sized, so the word is aligned. It is accessed atomically only, because
    // an interior-pointer lookup on another thread may read it while the slot
    // is being reused.
    unsafe { AtomicUsize::from_ptr(trailer(header, slot_size)) }.load(Relaxed)
}

/// Writes the length trailer.
///
/// # Safety
///
/// As for [`read_len`], for a freshly allocated slot.
pub(crate) unsafe fn write_len(header: NonNull<GcHeader>, slot_size: usize, len: usize) {
    // SAFETY: see `read_len`.
    unsafe { AtomicUsize::from_ptr(trailer(header, slot_size)) }.store(len, Relaxed)
}

fn trailer(header: NonNull<GcHeader>, slot_size: usize) -> *mut usize {
    header
        .cast::<u8>()
        .as_ptr()
        .wrapping_add(slot_size - 8)
        .cast::<usize>()
}

/// Holder of the vtable constant of a sized type.
pub(crate) struct SizedVTable<T>(PhantomData<T>);

impl<T: Trace> SizedVTable<T> {
    pub(crate) const VTABLE: VTable = VTable {
        trace: if T::NEEDS_TRACE {
            Some(trace_sized::<T>)
        } else {
            None
        },
        drop: if T::NEEDS_DROP {
            Some(drop_sized::<T>)
        } else {
            None
        },
        object_size: size_sized::<T>,
        type_name: core::any::type_name::<T>,
        type_id: core::any::TypeId::of::<T>,
    };
}

unsafe fn trace_sized<T: Trace>(header: NonNull<GcHeader>, _slot: usize, visitor: &mut Visitor) {
    // SAFETY: the collector only traces objects whose vtable is this one, so
    // the header starts a `GcBox<T>` with an initialised, undropped value.
    let value = unsafe { &(*header.cast::<GcBox<T>>().as_ptr()).value };
    value.trace(visitor);
}

unsafe fn drop_sized<T: Trace>(header: NonNull<GcHeader>, _slot: usize) {
    // SAFETY: the sweeper drops each dead value exactly once, through the
    // vtable of its own type.
    unsafe { core::ptr::drop_in_place(&raw mut (*header.cast::<GcBox<T>>().as_ptr()).value) }
}

unsafe fn size_sized<T>(_header: NonNull<GcHeader>, _slot: usize) -> usize {
    core::mem::size_of::<GcBox<T>>()
}

/// Holder of the vtable constant of `[T]`.
pub(crate) struct SliceVTable<T>(PhantomData<T>);

impl<T: Trace> SliceVTable<T> {
    pub(crate) const VTABLE: VTable = VTable {
        trace: if T::NEEDS_TRACE {
            Some(trace_slice::<T>)
        } else {
            None
        },
        drop: if T::NEEDS_DROP {
            Some(drop_slice::<T>)
        } else {
            None
        },
        object_size: size_slice::<T>,
        type_name: core::any::type_name::<[T]>,
        type_id: core::any::TypeId::of::<[T]>,
    };
}

/// The fat pointer to a slice object.
///
/// # Safety
///
/// `header` must be a `[T]` object in a slot of `slot_size` bytes.
unsafe fn slice_box<T>(header: NonNull<GcHeader>, slot_size: usize) -> *mut GcBox<[T]> {
    // SAFETY: caller contract.
    let len = unsafe { read_len(header, slot_size) };
    let slice = core::ptr::slice_from_raw_parts_mut(header.as_ptr().cast::<T>(), len);
    slice as *mut GcBox<[T]>
}

unsafe fn trace_slice<T: Trace>(header: NonNull<GcHeader>, slot: usize, visitor: &mut Visitor) {
    // SAFETY: as `trace_sized`, with the length from the trailer.
    let value = unsafe { &(*slice_box::<T>(header, slot)).value };
    value.trace(visitor);
}

unsafe fn drop_slice<T: Trace>(header: NonNull<GcHeader>, slot: usize) {
    // SAFETY: as `drop_sized`.
    unsafe { core::ptr::drop_in_place(&raw mut (*slice_box::<T>(header, slot)).value) }
}

unsafe fn size_slice<T>(header: NonNull<GcHeader>, slot: usize) -> usize {
    // SAFETY: the collector and lookup only call this for `[T]` objects.
    let len = unsafe { read_len(header, slot) };
    GcBox::<[T]>::value_offset() + len * core::mem::size_of::<T>()
}

/// The vtable of `str` objects (UTF-8 bytes; nothing to trace or drop).
pub(crate) static STR_VTABLE: VTable = VTable {
    trace: None,
    drop: None,
    object_size: size_slice::<u8>,
    type_name: core::any::type_name::<str>,
    type_id: core::any::TypeId::of::<str>,
};
