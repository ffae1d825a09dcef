//! `Handle<'scope, T>` and `MaybeHandle<'scope, T>`.

use core::fmt;
use core::marker::PhantomData;
use core::ops::Deref;
use core::ptr::NonNull;

use crate::ptr::Gc;
use crate::ptr::gc_box::GcBox;

/// A rooted reference to a GC object, valid while its scope is open.
///
/// `Copy`, dereferences to `&T`, and costs no reference-count traffic: the
/// scope's slot keeps the object alive. The `'scope` lifetime ties it to its
/// [`HandleScope`](super::HandleScope), so the compiler rejects every use after
/// the scope is gone. Neither `Send` nor `Sync`.
pub struct Handle<'scope, T: ?Sized + 'static> {
    // First, so that "cannot be sent between threads" errors name this marker
    // rather than an internal field.
    _not_send: PhantomData<*const ()>,
    ptr: NonNull<GcBox<T>>,
    _scope: PhantomData<&'scope T>,
}

impl<'scope, T: ?Sized + 'static> Handle<'scope, T> {
    /// Wraps a pointer to an object rooted for `'scope`.
    ///
    /// # Safety
    ///
    /// The object must stay rooted (by a handle slot) for all of `'scope`.
    pub(crate) unsafe fn new(ptr: NonNull<GcBox<T>>) -> Self {
        Handle {
            ptr,
            _scope: PhantomData,
            _not_send: PhantomData,
        }
    }

    /// The value, for as long as the scope is open.
    pub fn get(&self) -> &'scope T {
        // SAFETY: the object is rooted for `'scope` (constructor contract), so
        // it is neither freed nor dropped while the reference lives.
        unsafe { &(*self.ptr.as_ptr()).value }
    }

    /// A counted [`Gc`] to the same object, which may outlive the scope.
    pub fn to_gc(&self) -> Gc<T> {
        Gc::from_box(self.ptr)
    }

    /// Whether two handles refer to the same object.
    pub fn ptr_eq(this: &Handle<'_, T>, other: &Handle<'_, T>) -> bool {
        this.ptr.cast::<u8>() == other.ptr.cast::<u8>()
    }

    /// The object's box, for escaping it to another scope.
    pub(crate) fn box_ptr(&self) -> NonNull<GcBox<T>> {
        self.ptr
    }
}

impl<T: ?Sized + 'static> Clone for Handle<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized + 'static> Copy for Handle<'_, T> {}

impl<T: ?Sized + 'static> Deref for Handle<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.get()
    }
}

impl<T: ?Sized + fmt::Debug + 'static> fmt::Debug for Handle<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.get(), f)
    }
}

impl<T: ?Sized + fmt::Display + 'static> fmt::Display for Handle<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.get(), f)
    }
}

impl<T: ?Sized + PartialEq + 'static> PartialEq for Handle<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl<T: ?Sized + Eq + 'static> Eq for Handle<'_, T> {}

/// A [`Handle`] that may be empty, like V8's `MaybeLocal`: `Copy`, and
/// `Default` is empty.
pub struct MaybeHandle<'scope, T: ?Sized + 'static>(Option<Handle<'scope, T>>);

impl<'scope, T: ?Sized + 'static> MaybeHandle<'scope, T> {
    /// An empty `MaybeHandle`.
    pub const fn empty() -> Self {
        MaybeHandle(None)
    }

    /// Whether it holds no handle.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The handle, if any.
    pub fn to_handle(&self) -> Option<Handle<'scope, T>> {
        self.0
    }

    /// The handle.
    ///
    /// # Panics
    ///
    /// Panics if empty; use [`to_handle`](MaybeHandle::to_handle) to check.
    #[track_caller]
    pub fn unwrap(&self) -> Handle<'scope, T> {
        self.0.expect("MaybeHandle::unwrap on an empty MaybeHandle")
    }
}

impl<'scope, T: ?Sized + 'static> From<Handle<'scope, T>> for MaybeHandle<'scope, T> {
    fn from(handle: Handle<'scope, T>) -> Self {
        MaybeHandle(Some(handle))
    }
}

impl<'scope, T: ?Sized + 'static> From<Option<Handle<'scope, T>>> for MaybeHandle<'scope, T> {
    fn from(handle: Option<Handle<'scope, T>>) -> Self {
        MaybeHandle(handle)
    }
}

impl<T: ?Sized + 'static> Clone for MaybeHandle<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized + 'static> Copy for MaybeHandle<'_, T> {}

impl<T: ?Sized + 'static> Default for MaybeHandle<'_, T> {
    fn default() -> Self {
        MaybeHandle::empty()
    }
}

impl<T: ?Sized + fmt::Debug + 'static> fmt::Debug for MaybeHandle<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(h) => f.debug_tuple("MaybeHandle").field(h).finish(),
            None => f.write_str("MaybeHandle(<empty>)"),
        }
    }
}
