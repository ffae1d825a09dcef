//! `GcCell<T>`: a `RefCell` the collector can see into.

use core::cell::UnsafeCell;
use core::fmt;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

use super::borrow_flag::BorrowFlag;
use crate::trace::{GcFree, Trace, Visitor};

/// A mutable memory location with dynamically checked borrows, for use inside
/// GC objects. The API follows [`RefCell`](std::cell::RefCell).
///
/// While a `GcCell` is mutably borrowed, a collection does not trace its
/// contents; everything it holds stays alive until a later collection. That is
/// what makes it safe to move `Gc`s in and out under [`borrow_mut`](GcCell::borrow_mut).
///
/// # Examples
///
/// ```
/// use rudo_gc::{Gc, GcCell};
///
/// let list = Gc::new(GcCell::new(Vec::<Gc<i32>>::new()));
/// list.borrow_mut().push(Gc::new(1));
/// list.borrow_mut().push(Gc::new(2));
/// assert_eq!(list.borrow().iter().map(|g| **g).sum::<i32>(), 3);
/// ```
pub struct GcCell<T: ?Sized> {
    flag: BorrowFlag,
    value: UnsafeCell<T>,
}

/// The error of [`GcCell::try_borrow`]: the cell is mutably borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BorrowError;

/// The error of [`GcCell::try_borrow_mut`]: the cell is already borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BorrowMutError;

impl fmt::Display for BorrowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GcCell is already mutably borrowed")
    }
}

impl fmt::Display for BorrowMutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GcCell is already borrowed")
    }
}

impl std::error::Error for BorrowError {}
impl std::error::Error for BorrowMutError {}

impl<T> GcCell<T> {
    /// A new cell holding `value`.
    pub const fn new(value: T) -> GcCell<T> {
        GcCell {
            flag: BorrowFlag::new(),
            value: UnsafeCell::new(value),
        }
    }

    /// Consumes the cell, returning the value.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }

    /// Replaces the value, returning the old one.
    ///
    /// # Panics
    ///
    /// Panics if the cell is borrowed.
    pub fn replace(&self, value: T) -> T {
        core::mem::replace(&mut *self.borrow_mut(), value)
    }

    /// Replaces the value with one computed from the old one, returning the
    /// old one.
    ///
    /// # Panics
    ///
    /// Panics if the cell is borrowed.
    pub fn replace_with<F: FnOnce(&mut T) -> T>(&self, f: F) -> T {
        let mut guard = self.borrow_mut();
        let new = f(&mut guard);
        core::mem::replace(&mut *guard, new)
    }

    /// Swaps the values of two cells.
    ///
    /// # Panics
    ///
    /// Panics if either cell is borrowed.
    pub fn swap(&self, other: &GcCell<T>) {
        core::mem::swap(&mut *self.borrow_mut(), &mut *other.borrow_mut());
    }

    /// Takes the value, leaving `Default::default()`.
    ///
    /// # Panics
    ///
    /// Panics if the cell is borrowed.
    pub fn take(&self) -> T
    where
        T: Default,
    {
        self.replace(T::default())
    }
}

impl<T: ?Sized> GcCell<T> {
    /// Borrows the value immutably.
    ///
    /// # Panics
    ///
    /// Panics if the cell is mutably borrowed; use [`try_borrow`](GcCell::try_borrow)
    /// to handle that case.
    #[track_caller]
    pub fn borrow(&self) -> GcRef<'_, T> {
        self.try_borrow().unwrap_or_else(|_| {
            panic!("GcCell already mutably borrowed: drop the GcRefMut before borrowing again")
        })
    }

    /// Borrows the value immutably, or fails if it is mutably borrowed.
    pub fn try_borrow(&self) -> Result<GcRef<'_, T>, BorrowError> {
        if self.flag.try_share() {
            // SAFETY: the shared borrow excludes mutable ones until released.
            let value = unsafe { NonNull::new_unchecked(self.value.get()) };
            Ok(GcRef {
                value,
                flag: &self.flag,
                _marker: PhantomData,
            })
        } else {
            Err(BorrowError)
        }
    }

    /// Borrows the value mutably.
    ///
    /// # Panics
    ///
    /// Panics if the cell is borrowed; use [`try_borrow_mut`](GcCell::try_borrow_mut)
    /// to handle that case.
    #[track_caller]
    pub fn borrow_mut(&self) -> GcRefMut<'_, T> {
        self.try_borrow_mut().unwrap_or_else(|_| {
            panic!("GcCell already borrowed: drop every GcRef/GcRefMut before borrowing mutably")
        })
    }

    /// Borrows the value mutably, or fails if it is borrowed.
    pub fn try_borrow_mut(&self) -> Result<GcRefMut<'_, T>, BorrowMutError> {
        // A heap operation: a collection that reads the contents never sees
        // the flag change under it (architecture, section 4).
        if crate::mutator::op(false, || self.flag.try_write()) {
            // SAFETY: the mutable borrow is exclusive until released.
            let value = unsafe { NonNull::new_unchecked(self.value.get()) };
            Ok(GcRefMut {
                value,
                flag: &self.flag,
                _marker: PhantomData,
            })
        } else {
            Err(BorrowMutError)
        }
    }

    /// Mutable access through an exclusive reference: no borrow check needed.
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}

// SAFETY: visits the contents through `T::trace` (which upholds the contract)
// unless the cell is mutably borrowed, in which case it visits nothing; that
// only makes the contents look externally referenced.
unsafe impl<T: ?Sized + Trace> Trace for GcCell<T> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    const NEEDS_DROP: bool = T::NEEDS_DROP;

    #[inline]
    fn trace(&self, visitor: &mut Visitor) {
        if self.flag.is_writing() {
            return;
        }
        // SAFETY: no mutable borrow exists (checked above), and none can start
        // while the collector runs (the owner is inside `collect` or, with
        // threads, waits at a heap operation).
        unsafe { &*self.value.get() }.trace(visitor);
    }
}

// SAFETY: a cell of `GcFree` contents holds no `Gc`.
unsafe impl<T: ?Sized + GcFree> GcFree for GcCell<T> {}

impl<T: Clone> Clone for GcCell<T> {
    /// # Panics
    ///
    /// Panics if the cell is mutably borrowed.
    fn clone(&self) -> GcCell<T> {
        GcCell::new(self.borrow().clone())
    }
}

impl<T: Default> Default for GcCell<T> {
    fn default() -> Self {
        GcCell::new(T::default())
    }
}

impl<T> From<T> for GcCell<T> {
    fn from(value: T) -> Self {
        GcCell::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for GcCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_borrow() {
            Ok(v) => f.debug_struct("GcCell").field("value", &&*v).finish(),
            Err(_) => f
                .debug_struct("GcCell")
                .field("value", &format_args!("<borrowed>"))
                .finish(),
        }
    }
}

impl<T: ?Sized + PartialEq> PartialEq for GcCell<T> {
    /// # Panics
    ///
    /// Panics if either cell is mutably borrowed.
    fn eq(&self, other: &GcCell<T>) -> bool {
        *self.borrow() == *other.borrow()
    }
}

/// A shared borrow of a [`GcCell`]'s value.
pub struct GcRef<'a, T: ?Sized> {
    value: NonNull<T>,
    flag: &'a BorrowFlag,
    _marker: PhantomData<&'a T>,
}

impl<'a, T: ?Sized> GcRef<'a, T> {
    /// A borrow of a part of the value (like [`Ref::map`](std::cell::Ref::map)).
    pub fn map<U: ?Sized, F: FnOnce(&T) -> &U>(orig: GcRef<'a, T>, f: F) -> GcRef<'a, U> {
        let value = NonNull::from(f(&*orig));
        let flag = orig.flag;
        core::mem::forget(orig);
        GcRef {
            value,
            flag,
            _marker: PhantomData,
        }
    }

    /// Another shared borrow of the same value (like [`Ref::clone`](std::cell::Ref::clone)).
    #[allow(clippy::should_implement_trait)]
    pub fn clone(orig: &GcRef<'a, T>) -> GcRef<'a, T> {
        assert!(orig.flag.try_share(), "GcCell shared-borrow count overflow");
        GcRef {
            value: orig.value,
            flag: orig.flag,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized> Deref for GcRef<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the shared borrow keeps the value alive and unmutated.
        unsafe { self.value.as_ref() }
    }
}

impl<T: ?Sized> Drop for GcRef<'_, T> {
    fn drop(&mut self) {
        self.flag.unshare();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for GcRef<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for GcRef<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// A mutable borrow of a [`GcCell`]'s value.
pub struct GcRefMut<'a, T: ?Sized> {
    value: NonNull<T>,
    flag: &'a BorrowFlag,
    _marker: PhantomData<&'a mut T>,
}

impl<'a, T: ?Sized> GcRefMut<'a, T> {
    /// A mutable borrow of a part of the value (like [`RefMut::map`](std::cell::RefMut::map)).
    pub fn map<U: ?Sized, F: FnOnce(&mut T) -> &mut U>(
        mut orig: GcRefMut<'a, T>,
        f: F,
    ) -> GcRefMut<'a, U> {
        let value = NonNull::from(f(&mut *orig));
        let flag = orig.flag;
        core::mem::forget(orig);
        GcRefMut {
            value,
            flag,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized> Deref for GcRefMut<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the mutable borrow is exclusive.
        unsafe { self.value.as_ref() }
    }
}

impl<T: ?Sized> DerefMut for GcRefMut<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the mutable borrow is exclusive.
        unsafe { self.value.as_mut() }
    }
}

impl<T: ?Sized> Drop for GcRefMut<'_, T> {
    fn drop(&mut self) {
        self.flag.end_write();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for GcRefMut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for GcRefMut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
