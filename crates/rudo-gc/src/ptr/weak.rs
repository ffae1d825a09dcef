//! `Weak<T>`: a pointer that does not keep its object alive.

use core::fmt;
use core::marker::PhantomData;
use core::ptr::NonNull;

use super::gc::Gc;
use super::gc_box::GcBox;
use super::header::GcHeader;
use crate::mutator;

/// A weak reference to a GC object: it does not keep the object alive, and
/// [`upgrade`](Weak::upgrade) returns `None` once a collection has found the
/// object unreachable.
///
/// Unlike `std::rc::Weak`, an object whose last `Gc` was dropped can still be
/// upgraded until the next collection runs: objects die at collections, not
/// when a count reaches zero.
///
/// # Examples
///
/// ```
/// use rudo_gc::Gc;
///
/// let strong = Gc::new(5);
/// let weak = Gc::downgrade(&strong);
/// assert_eq!(*weak.upgrade().unwrap(), 5);
/// drop(strong);
/// rudo_gc::collect();
/// assert!(weak.upgrade().is_none());
/// ```
pub struct Weak<T: ?Sized + 'static> {
    ptr: Option<NonNull<GcBox<T>>>,
    _marker: PhantomData<GcBox<T>>,
}

// SAFETY: as for `Gc<T>`: upgrading gives a `Gc<T>` on the holding thread.
unsafe impl<T: ?Sized + Send + Sync + 'static> Send for Weak<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync + 'static> Sync for Weak<T> {}

impl<T> Weak<T> {
    /// A `Weak` that points to nothing; `upgrade` always returns `None`.
    pub const fn new() -> Weak<T> {
        Weak {
            ptr: None,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized + 'static> Weak<T> {
    /// Wraps a pointer whose weak count the caller already incremented.
    pub(crate) fn from_box(ptr: NonNull<GcBox<T>>) -> Weak<T> {
        Weak {
            ptr: Some(ptr),
            _marker: PhantomData,
        }
    }

    fn header(&self) -> Option<&GcHeader> {
        // SAFETY: a `Weak` keeps its target's slot (at least the header)
        // allocated: slots are only freed when the weak count is zero.
        self.ptr.map(|p| unsafe { GcHeader::from_ptr(p.cast()) })
    }

    pub(crate) fn header_ptr(&self) -> Option<NonNull<GcHeader>> {
        self.ptr.map(NonNull::cast)
    }

    /// A new `Gc` to the object, or `None` if a collection found it
    /// unreachable (or it is still being built by [`Gc::new_cyclic`]).
    pub fn upgrade(&self) -> Option<Gc<T>> {
        let header = self.header()?;
        let ptr = self.ptr?;
        // A heap operation: a collection that found the object dead flags it
        // `DEAD` before it releases the world, so the test and the increment
        // cannot straddle a collection.
        let alive = mutator::op(false, || {
            if header.is_dead() {
                return false;
            }
            header.inc_strong();
            true
        });
        if !alive {
            return None;
        }
        // Build the `Gc` through `downgrade`'s inverse: a clone of a counted
        // pointer. The strong count was incremented above.
        Some(Gc::from_counted(ptr))
    }

    /// Number of `Gc`s to the object (0 once it is dead).
    pub fn strong_count(&self) -> usize {
        match self.header() {
            Some(h) if !h.is_dead() => h.strong() as usize,
            _ => 0,
        }
    }

    /// Number of `Weak`s to the object (0 for [`Weak::new`]).
    pub fn weak_count(&self) -> usize {
        self.header().map_or(0, |h| h.weak() as usize)
    }

    /// Whether two `Weak`s point to the same object (two `Weak::new()` are equal).
    pub fn ptr_eq(this: &Weak<T>, other: &Weak<T>) -> bool {
        this.ptr.map(NonNull::cast::<u8>) == other.ptr.map(NonNull::cast::<u8>)
    }
}

impl<T: ?Sized + 'static> Clone for Weak<T> {
    fn clone(&self) -> Weak<T> {
        if let Some(h) = self.header() {
            h.inc_weak();
        }
        Weak {
            ptr: self.ptr,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized + 'static> Drop for Weak<T> {
    fn drop(&mut self) {
        if let Some(h) = self.header() {
            mutator::op(true, || h.dec_weak());
        }
    }
}

impl<T> Default for Weak<T> {
    fn default() -> Self {
        Weak::new()
    }
}

impl<T: ?Sized + 'static> fmt::Debug for Weak<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(Weak)")
    }
}
