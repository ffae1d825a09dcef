//! `GcMutex<T>`: a mutex the collector can see into, for objects shared
//! between threads.

use core::cell::UnsafeCell;
use core::fmt;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};

use parking_lot::lock_api::RawMutex as _;

use super::borrow_flag::BorrowFlag;
use crate::trace::{GcFree, Trace, Visitor};

/// A mutual-exclusion lock for use inside GC objects shared between threads:
/// `Gc<GcMutex<T>>` is `Send + Sync` when `T: Send`. The API follows
/// [`std::sync::Mutex`] without poisoning (like `parking_lot`, which it is
/// built on).
///
/// Taking the lock may block, outside any heap operation; then a short heap
/// operation sets a flag the collector reads, and only then is the guard
/// handed out. While the flag is set the collector skips the contents
/// (everything in them stays alive until a later collection), so the holder
/// may move `Gc`s in and out freely and the collector never reads a value
/// another thread is mutating.
///
/// # Examples
///
/// ```
/// use rudo_gc::{Gc, GcMutex};
///
/// let shared = Gc::new(GcMutex::new(Vec::<Gc<u32>>::new()));
/// let workers: Vec<_> = (0..4)
///     .map(|i| {
///         let shared = shared.clone();
///         std::thread::spawn(move || shared.lock().push(Gc::new(i)))
///     })
///     .collect();
/// for w in workers {
///     w.join().unwrap();
/// }
/// rudo_gc::collect();
/// assert_eq!(shared.lock().iter().map(|g| **g).sum::<u32>(), 6);
/// ```
pub struct GcMutex<T: ?Sized> {
    raw: parking_lot::RawMutex,
    flag: BorrowFlag,
    value: UnsafeCell<T>,
}

// SAFETY: like `std::sync::Mutex`: the lock gives one thread at a time
// `&mut T`, so sharing needs only `T: Send`. The collector reads the value
// only while no guard exists (flag clear, checked on every visit), and a
// guard cannot be created while it reads (setting the flag is a heap
// operation).
unsafe impl<T: ?Sized + Send> Sync for GcMutex<T> {}
// SAFETY: owning the mutex owns the value.
unsafe impl<T: ?Sized + Send> Send for GcMutex<T> {}

impl<T> GcMutex<T> {
    /// A new unlocked mutex holding `value`.
    pub const fn new(value: T) -> GcMutex<T> {
        GcMutex {
            raw: parking_lot::RawMutex::INIT,
            flag: BorrowFlag::new(),
            value: UnsafeCell::new(value),
        }
    }

    /// Consumes the mutex, returning the value.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> GcMutex<T> {
    /// Locks the mutex, blocking until it is available.
    ///
    /// Like `std`'s mutex, locking it again on the thread that holds it
    /// deadlocks.
    pub fn lock(&self) -> GcMutexGuard<'_, T> {
        self.raw.lock();
        self.guard()
    }

    /// Locks the mutex if it is free, without blocking.
    pub fn try_lock(&self) -> Option<GcMutexGuard<'_, T>> {
        self.raw.try_lock().then(|| self.guard())
    }

    /// Mutable access through an exclusive reference: no locking needed.
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// Whether some thread holds the lock.
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// Sets the collector's flag for the lock the caller just took.
    fn guard(&self) -> GcMutexGuard<'_, T> {
        let flagged = crate::mutator::op(false, || self.flag.try_write());
        assert!(
            flagged,
            "rudo-gc: a GcMutex's flag was set while it was unlocked"
        );
        GcMutexGuard {
            mutex: self,
            _not_send: PhantomData,
        }
    }
}

// SAFETY: visits the contents through `T::trace` unless a guard exists, in
// which case it visits nothing; that only makes the contents look externally
// referenced.
unsafe impl<T: ?Sized + Trace> Trace for GcMutex<T> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    const NEEDS_DROP: bool = T::NEEDS_DROP;

    #[inline]
    fn trace(&self, visitor: &mut Visitor) {
        if self.flag.is_writing() {
            return;
        }
        // SAFETY: no guard exists (checked above) and none can be created
        // while the collector runs (taking the flag is a heap operation, and
        // the world is stopped); readers of `T` only share it.
        unsafe { &*self.value.get() }.trace(visitor);
    }
}

// SAFETY: a mutex of `GcFree` contents holds no `Gc`.
unsafe impl<T: ?Sized + GcFree> GcFree for GcMutex<T> {}

impl<T: Default> Default for GcMutex<T> {
    fn default() -> Self {
        GcMutex::new(T::default())
    }
}

impl<T> From<T> for GcMutex<T> {
    fn from(value: T) -> Self {
        GcMutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for GcMutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_lock() {
            Some(v) => f.debug_struct("GcMutex").field("value", &&*v).finish(),
            None => f
                .debug_struct("GcMutex")
                .field("value", &format_args!("<locked>"))
                .finish(),
        }
    }
}

/// The lock of a [`GcMutex`], held until dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct GcMutexGuard<'a, T: ?Sized> {
    mutex: &'a GcMutex<T>,
    /// Unlocking must happen on the locking thread (`parking_lot`'s default).
    _not_send: PhantomData<*const ()>,
}

// SAFETY: `&GcMutexGuard` only gives `&T`.
unsafe impl<T: ?Sized + Sync> Sync for GcMutexGuard<'_, T> {}

impl<T: ?Sized> Deref for GcMutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T: ?Sized> DerefMut for GcMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock, exclusively.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T: ?Sized> Drop for GcMutexGuard<'_, T> {
    fn drop(&mut self) {
        // Clear the flag first (Release: the collector that sees it clear
        // sees every write made under the lock), then unlock.
        self.mutex.flag.end_write();
        // SAFETY: this guard locked the mutex, on this thread.
        unsafe { self.mutex.raw.unlock() };
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for GcMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for GcMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}
