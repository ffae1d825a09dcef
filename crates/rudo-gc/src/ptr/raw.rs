//! `Gc::into_raw` / `Gc::from_raw`: a counted reference as a raw pointer, for
//! FFI and for [`coerce_gc!`](crate::coerce_gc); and the macro itself.
//!
//! Invariant: a pointer `into_raw` returned carries one strong count, so
//! while it exists the object is held from outside the heap: a collection
//! finds it a root (its count exceeds its references from the heap) and
//! keeps it and everything it reaches alive. `from_raw` takes that count
//! back into a `Gc`; a pointer never given back leaks its object, as
//! `mem::forget` of the `Gc` would.

use core::mem::{ManuallyDrop, align_of_val, size_of};
use core::ptr::NonNull;

use super::gc::Gc;
use super::gc_box::GcBox;
use super::header::GcHeader;

impl<T: ?Sized + 'static> Gc<T> {
    /// Consumes the `Gc` and returns a pointer to its value, with the
    /// reference count it held (as [`Arc::into_raw`](std::sync::Arc::into_raw)).
    ///
    /// While the pointer exists the object stays alive: a collection counts
    /// it as held from outside the heap. Give the count back with
    /// [`Gc::from_raw`]; a pointer never given back leaks the object (as
    /// [`mem::forget`](core::mem::forget) of the `Gc` would). Unlike
    /// [`Gc::as_ptr`], the pointer may be dereferenced for as long as the
    /// count it carries is not given back (it points to a live value the
    /// collector will not free), on any thread where `&T` may be used.
    ///
    /// # Examples
    ///
    /// A `Gc` through a C-style `void *` and back:
    ///
    /// ```
    /// use rudo_gc::Gc;
    ///
    /// let name = Gc::new(String::from("callback state"));
    /// let user_data = Gc::into_raw(name) as *const core::ffi::c_void;
    /// // ... handed to a C library, which hands it back to a callback ...
    /// // SAFETY: `user_data` came from `Gc::<String>::into_raw` and its
    /// // count is given back once.
    /// let name = unsafe { Gc::from_raw(user_data as *const String) };
    /// assert_eq!(*name, "callback state");
    /// ```
    pub fn into_raw(this: Gc<T>) -> *const T {
        let this = ManuallyDrop::new(this);
        Gc::as_ptr(&this)
    }

    /// Takes back the reference count a pointer from [`Gc::into_raw`]
    /// carries, as a `Gc` (as [`Arc::from_raw`](std::sync::Arc::from_raw)).
    ///
    /// # Safety
    ///
    /// - `ptr` was returned by `Gc::<U>::into_raw`, where `U` is `T`, or `U`
    ///   is a sized type whose pointer coerces to `*const T` by unsizing
    ///   (`*const Circle` to `*const dyn Shape`, `*const [u8; 4]` to
    ///   `*const [u8]`): that is what [`coerce_gc!`](crate::coerce_gc) does;
    /// - its count is taken back once: each `into_raw` is matched by at most
    ///   one `from_raw`;
    /// - the thread calling this may hold a `Gc<T>` (for a `T` that is not
    ///   `Send + Sync`, the thread `into_raw` was called on).
    ///
    /// # Examples
    ///
    /// ```
    /// use rudo_gc::Gc;
    ///
    /// let raw = Gc::into_raw(Gc::new([1_u32, 2, 3]));
    /// // SAFETY: from `Gc::<[u32; 3]>::into_raw`, given back once.
    /// let back: Gc<[u32; 3]> = unsafe { Gc::from_raw(raw) };
    /// assert_eq!(back[2], 3);
    /// ```
    pub unsafe fn from_raw(ptr: *const T) -> Gc<T> {
        // SAFETY: by the contract `ptr` points to the value of a live object
        // (the count it carries keeps it allocated and not dead), so a
        // shared reference to it is valid for this call; `align_of_val` only
        // reads its metadata (the vtable's alignment for `dyn Trait`, which
        // is the original type's).
        let align = align_of_val(unsafe { &*ptr });
        // `GcBox` is `repr(C)`: the value follows the 16-byte header at the
        // first offset aligned for it (`header` asserts the header's size,
        // and 16 is a multiple of the header's alignment).
        let offset = size_of::<GcHeader>().next_multiple_of(align);
        // SAFETY: the box starts `offset` bytes before its value, inside the
        // same allocation (the page), so the pointer keeps its provenance;
        // the cast keeps `ptr`'s metadata, which `GcBox<T>` shares with `T`
        // (its last field).
        let boxed = unsafe { ptr.byte_sub(offset) } as *mut GcBox<T>;
        // SAFETY: not null: it points into a page.
        let boxed = unsafe { NonNull::new_unchecked(boxed) };
        Gc::from_counted(boxed)
    }
}

/// Converts a `Gc<T>` into a `Gc<U>` where `T` unsizes to `U`, typically a
/// trait object: `Gc<dyn Trait>`, on stable Rust.
///
/// The target type comes from the context, as in an `as` coercion; the
/// object, its address and its count move along (no allocation, no count
/// traffic). A conversion that is not an unsizing does not compile. The
/// result traces, drops and formats like the original: the collector uses the
/// object's own vtable, not the trait object's, so the trait need not (and,
/// `Trace` not being dyn compatible, cannot) extend `Trace`. [`Gc::downgrade`] of the
/// result gives a `Weak<dyn Trait>`.
///
/// # Examples
///
/// ```
/// use rudo_gc::{Gc, Trace, coerce_gc};
///
/// trait Shape {
///     fn area(&self) -> f64;
/// }
///
/// #[derive(Trace)]
/// struct Square(f64);
/// impl Shape for Square {
///     fn area(&self) -> f64 {
///         self.0 * self.0
///     }
/// }
///
/// #[derive(Trace)]
/// struct Circle(f64);
/// impl Shape for Circle {
///     fn area(&self) -> f64 {
///         3.0 * self.0 * self.0
///     }
/// }
///
/// let shapes: Vec<Gc<dyn Shape>> = vec![
///     coerce_gc!(Gc::new(Square(2.0))),
///     coerce_gc!(Gc::new(Circle(1.0))),
/// ];
/// assert_eq!(shapes.iter().map(|s| s.area()).sum::<f64>(), 7.0);
///
/// let slice: Gc<[u8]> = coerce_gc!(Gc::new([1_u8, 2, 3]));
/// assert_eq!(slice.len(), 3);
/// ```
///
/// Not an unsizing, so not a coercion:
///
/// ```compile_fail
/// use rudo_gc::{Gc, coerce_gc};
///
/// let wide: Gc<u64> = coerce_gc!(Gc::new(1_u32));
/// ```
#[macro_export]
macro_rules! coerce_gc {
    ($gc:expr $(,)?) => {{
        let ptr = $crate::Gc::into_raw($gc);
        // SAFETY: `ptr` comes from `Gc::into_raw` just above and its count is
        // taken back once, here, on the same thread. The only conversion the
        // compiler accepts for the argument is a coercion of `*const T`; for
        // a `*const` from a `*const` that is an unsizing, which `from_raw`
        // allows.
        unsafe { $crate::Gc::from_raw(ptr) }
    }};
}
