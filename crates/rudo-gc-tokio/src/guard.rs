//! `GcRootGuard` and the `GcTokioExt` extension of `Gc`.

use core::fmt;
use core::marker::PhantomData;

use rudo_gc::Gc;
use rudo_gc::roots::RootTicket;

use crate::root_set::GcRootSet;

/// Keeps an object registered in the [`GcRootSet`] for as long as the guard
/// lives: registered on creation, unregistered on drop (also when a panic
/// unwinds through it, and when its task is aborted).
///
/// The guard does not borrow the `Gc` it was made from, so it can be held
/// across `.await`s next to (or instead of) it. It is 8 bytes, and `Send` and
/// `Sync` like the `Gc` (its value is `Send + Sync`).
///
/// # Examples
///
/// ```
/// use rudo_gc::Gc;
/// use rudo_gc_tokio::{GcRootSet, GcTokioExt};
///
/// let config = Gc::new(String::from("shared config"));
/// let guard = config.root_guard();
/// drop(config); // no `Gc` left: the guard keeps the object alive
/// rudo_gc::collect();
/// assert_eq!(*guard.to_gc(), "shared config");
/// assert!(GcRootSet::global().contains(guard.ticket()));
/// ```
pub struct GcRootGuard<T: Send + Sync + 'static> {
    ticket: RootTicket,
    _value: PhantomData<Gc<T>>,
}

impl<T: Send + Sync + 'static> GcRootGuard<T> {
    /// Registers `gc`'s object in the global [`GcRootSet`].
    pub fn new(gc: &Gc<T>) -> GcRootGuard<T> {
        GcRootGuard {
            ticket: GcRootSet::global().register(gc),
            _value: PhantomData,
        }
    }

    /// The guard's ticket in the global root set.
    pub fn ticket(&self) -> RootTicket {
        self.ticket
    }

    /// A `Gc` to the guarded object.
    ///
    /// # Panics
    ///
    /// Panics if the ticket was unregistered behind the guard's back (with
    /// [`GcRootSet::unregister`]).
    #[track_caller]
    pub fn to_gc(&self) -> Gc<T> {
        GcRootSet::global().get(self.ticket).unwrap_or_else(|| {
            panic!(
                "rudo-gc-tokio: a GcRootGuard's ticket was unregistered by hand; let the guard \
                 unregister it when it drops"
            )
        })
    }
}

impl<T: Send + Sync + 'static> Drop for GcRootGuard<T> {
    fn drop(&mut self) {
        // Stale only if unregistered by hand already: nothing left to do.
        let _ = GcRootSet::global().unregister(self.ticket);
    }
}

impl<T: Send + Sync + 'static> fmt::Debug for GcRootGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GcRootGuard")
            .field("ticket", &self.ticket)
            .finish()
    }
}

/// Tokio-side methods of [`Gc`]: `use rudo_gc_tokio::GcTokioExt;`.
pub trait GcTokioExt<T: Send + Sync + 'static> {
    /// A guard that keeps the object registered in the [`GcRootSet`] until
    /// it is dropped (see [`GcRootGuard`]).
    fn root_guard(&self) -> GcRootGuard<T>;

    /// Yields to the tokio scheduler like [`crate::yield_now`], a point where
    /// the worker drops the dead values waiting for it. The `Gc` stays
    /// usable across it (it is a root by its count).
    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static;
}

impl<T: Send + Sync + 'static> GcTokioExt<T> for Gc<T> {
    fn root_guard(&self) -> GcRootGuard<T> {
        GcRootGuard::new(self)
    }

    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        crate::task::yield_now()
    }
}
