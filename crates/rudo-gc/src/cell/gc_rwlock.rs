//! `GcRwLock<T>`: a reader-writer lock the collector can see into.

use core::cell::UnsafeCell;
use core::fmt;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};

use parking_lot::lock_api::RawRwLock as _;

use super::borrow_flag::BorrowFlag;
use crate::trace::{GcFree, Trace, Visitor};

/// A reader-writer lock for use inside GC objects shared between threads:
/// `Gc<GcRwLock<T>>` is `Send + Sync` when `T: Send + Sync`. The API follows
/// [`std::sync::RwLock`] without poisoning (built on `parking_lot`).
///
/// [`write`](GcRwLock::write) is a heap operation once the lock is taken, like
/// [`GcMutex::lock`](crate::GcMutex::lock): the collector skips the contents
/// while a writer holds it. [`read`](GcRwLock::read) is not a heap operation
/// at all: readers and the collector only read.
///
/// # Examples
///
/// ```
/// use rudo_gc::{Gc, GcRwLock};
///
/// let config = Gc::new(GcRwLock::new(vec![Gc::new(String::from("a"))]));
/// config.write().push(Gc::new(String::from("b")));
/// let reader = config.clone();
/// let n = std::thread::spawn(move || reader.read().len()).join().unwrap();
/// assert_eq!(n, 2);
/// ```
pub struct GcRwLock<T: ?Sized> {
    raw: parking_lot::RawRwLock,
    flag: BorrowFlag,
    value: UnsafeCell<T>,
}

// SAFETY: like `std::sync::RwLock`: readers on several threads share `&T`
// (`T: Sync`), a writer gets `&mut T` (`T: Send`). The collector reads only
// while no writer exists (flag clear, checked on every visit).
unsafe impl<T: ?Sized + Send + Sync> Sync for GcRwLock<T> {}
// SAFETY: owning the lock owns the value.
unsafe impl<T: ?Sized + Send> Send for GcRwLock<T> {}

impl<T> GcRwLock<T> {
    /// A new unlocked lock holding `value`.
    pub const fn new(value: T) -> GcRwLock<T> {
        GcRwLock {
            raw: parking_lot::RawRwLock::INIT,
            flag: BorrowFlag::new(),
            value: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock, returning the value.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> GcRwLock<T> {
    /// Takes a shared read lock, blocking while a writer holds the lock.
    pub fn read(&self) -> GcRwLockReadGuard<'_, T> {
        self.raw.lock_shared();
        GcRwLockReadGuard {
            lock: self,
            _not_send: PhantomData,
        }
    }

    /// Takes a read lock if no writer holds the lock, without blocking.
    pub fn try_read(&self) -> Option<GcRwLockReadGuard<'_, T>> {
        self.raw.try_lock_shared().then(|| GcRwLockReadGuard {
            lock: self,
            _not_send: PhantomData,
        })
    }

    /// Takes the exclusive write lock, blocking until it is available.
    pub fn write(&self) -> GcRwLockWriteGuard<'_, T> {
        self.raw.lock_exclusive();
        self.write_guard()
    }

    /// Takes the write lock if the lock is free, without blocking.
    pub fn try_write(&self) -> Option<GcRwLockWriteGuard<'_, T>> {
        self.raw.try_lock_exclusive().then(|| self.write_guard())
    }

    /// Mutable access through an exclusive reference: no locking needed.
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// Sets the collector's flag for the write lock the caller just took.
    fn write_guard(&self) -> GcRwLockWriteGuard<'_, T> {
        let flagged = crate::mutator::op(false, || self.flag.try_write());
        assert!(
            flagged,
            "rudo-gc: a GcRwLock's flag was set while it was not write-locked"
        );
        GcRwLockWriteGuard {
            lock: self,
            _not_send: PhantomData,
        }
    }
}

// SAFETY: as for `GcMutex`: nothing is visited while a writer exists.
unsafe impl<T: ?Sized + Trace> Trace for GcRwLock<T> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    const NEEDS_DROP: bool = T::NEEDS_DROP;

    #[inline]
    fn trace(&self, visitor: &mut Visitor) {
        if self.flag.is_writing() {
            return;
        }
        // SAFETY: no writer exists (checked above) and none can start while
        // the collector runs (taking the flag is a heap operation); readers
        // only share the value.
        unsafe { &*self.value.get() }.trace(visitor);
    }
}

// SAFETY: a lock of `GcFree` contents holds no `Gc`.
unsafe impl<T: ?Sized + GcFree> GcFree for GcRwLock<T> {}

impl<T: Default> Default for GcRwLock<T> {
    fn default() -> Self {
        GcRwLock::new(T::default())
    }
}

impl<T> From<T> for GcRwLock<T> {
    fn from(value: T) -> Self {
        GcRwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for GcRwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_read() {
            Some(v) => f.debug_struct("GcRwLock").field("value", &&*v).finish(),
            None => f
                .debug_struct("GcRwLock")
                .field("value", &format_args!("<locked>"))
                .finish(),
        }
    }
}

/// A shared read lock of a [`GcRwLock`].
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct GcRwLockReadGuard<'a, T: ?Sized> {
    lock: &'a GcRwLock<T>,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: `&GcRwLockReadGuard` only gives `&T`.
unsafe impl<T: ?Sized + Sync> Sync for GcRwLockReadGuard<'_, T> {}

impl<T: ?Sized> Deref for GcRwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds a read lock: no writer exists.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for GcRwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: this guard holds one shared lock, taken on this thread.
        unsafe { self.lock.raw.unlock_shared() };
    }
}

/// The exclusive write lock of a [`GcRwLock`].
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct GcRwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a GcRwLock<T>,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: `&GcRwLockWriteGuard` only gives `&T`.
unsafe impl<T: ?Sized + Sync> Sync for GcRwLockWriteGuard<'_, T> {}

impl<T: ?Sized> Deref for GcRwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds the write lock.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> DerefMut for GcRwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the write lock, exclusively.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for GcRwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        // Clear the flag first (Release), then unlock.
        self.lock.flag.end_write();
        // SAFETY: this guard holds the exclusive lock, taken on this thread.
        unsafe { self.lock.raw.unlock_exclusive() };
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for GcRwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for GcRwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for GcRwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for GcRwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}
