//! A gate threads wait at until a condition clears: a mutex and a condition
//! variable (`parking_lot`, or `loom`'s under `cfg(loom)`) behind the two
//! calls the handshake needs.

#[cfg(not(loom))]
use parking_lot::{Condvar, Mutex};

#[cfg(loom)]
use loom::sync::{Condvar, Mutex};

/// Waiters block in [`wait_while`](Gate::wait_while) until whoever changed
/// the condition calls [`open`](Gate::open).
///
/// No lost wake-up: a waiter tests the condition with the mutex held and
/// releases it atomically when it sleeps; `open` takes the mutex, so it runs
/// either before the test (which then sees the change) or after the waiter
/// sleeps (which it then wakes).
pub(crate) struct Gate {
    lock: Mutex<()>,
    opened: Condvar,
}

impl Gate {
    /// A gate (usable in a `static`).
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Gate {
        Gate {
            lock: Mutex::new(()),
            opened: Condvar::new(),
        }
    }

    /// A gate for a `loom` model.
    #[cfg(loom)]
    pub(crate) fn new() -> Gate {
        Gate {
            lock: Mutex::new(()),
            opened: Condvar::new(),
        }
    }

    /// Blocks while `closed()` returns true. The condition must be changed
    /// before [`open`](Gate::open) is called.
    pub(crate) fn wait_while(&self, mut closed: impl FnMut() -> bool) {
        #[cfg(not(loom))]
        {
            let mut guard = self.lock.lock();
            while closed() {
                self.opened.wait(&mut guard);
            }
        }
        #[cfg(loom)]
        {
            let mut guard = self.lock.lock().unwrap();
            while closed() {
                guard = self.opened.wait(guard).unwrap();
            }
        }
    }

    /// Wakes every waiter, to test its condition again.
    pub(crate) fn open(&self) {
        #[cfg(not(loom))]
        let _guard = self.lock.lock();
        #[cfg(loom)]
        let _guard = self.lock.lock().unwrap();
        self.opened.notify_all();
    }
}
