//! The thread control block: the per-thread record handle scopes hang off.

use core::cell::UnsafeCell;
use std::sync::Arc;
use std::thread::ThreadId;

use crate::handles::local_handles::LocalHandles;

/// A thread's record in the GC: its handle slots. Get the calling thread's
/// with [`current_thread_control_block`] and open
/// [`HandleScope`](crate::handles::HandleScope)s on it.
///
/// The block may be shared (it is in an `Arc`), but only its own thread may
/// open scopes on it; doing so from another thread panics.
pub struct ThreadControlBlock {
    thread: ThreadId,
    handles: UnsafeCell<LocalHandles>,
}

// SAFETY: the only interior state, `handles`, is accessed by the thread
// `thread` inside heap operations (`with_handles`, whose callers are the
// `!Send` scope types created on that thread) and by a collector while the
// world is stopped (`handles_while_stopped`); the handshake makes those
// exclusive.
unsafe impl Send for ThreadControlBlock {}
// SAFETY: as above.
unsafe impl Sync for ThreadControlBlock {}

impl ThreadControlBlock {
    pub(crate) fn new() -> Self {
        ThreadControlBlock {
            thread: std::thread::current().id(),
            handles: UnsafeCell::new(LocalHandles::new()),
        }
    }

    /// The thread this block belongs to.
    pub fn thread_id(&self) -> ThreadId {
        self.thread
    }

    /// Panics unless called on the block's own thread.
    #[track_caller]
    pub(crate) fn assert_owner(&self, what: &str) {
        assert!(
            std::thread::current().id() == self.thread,
            "rudo-gc: {what} on a ThreadControlBlock of another thread ({:?}); handle scopes are \
             per thread: call current_thread_control_block() on the thread that uses the scope",
            self.thread
        );
    }

    /// Runs `f` with exclusive access to the handle slots, as a heap
    /// operation (creating a handle and opening or closing a scope change
    /// the roots a collection sees).
    ///
    /// Callers must be on the owner thread (scope types are `!Send` and check
    /// it when created) and `f` must not re-enter this function, so that the
    /// `&mut` is unique.
    #[inline]
    pub(crate) fn with_handles<R>(&self, f: impl FnOnce(&mut LocalHandles) -> R) -> R {
        debug_assert_eq!(std::thread::current().id(), self.thread);
        crate::mutator::op(false, || {
            // SAFETY: only the owner thread gets here (see above), inside a
            // heap operation, so no collector reads the slots meanwhile; no
            // caller holds another reference across this call: `f` bodies are
            // the short, non-reentrant operations of `handles/`.
            f(unsafe { &mut *self.handles.get() })
        })
    }

    /// The handle slots, for a collector.
    ///
    /// # Safety
    ///
    /// The world must be stopped (no heap operation running, so the owner is
    /// not inside `with_handles`) for as long as the reference is used.
    pub(crate) unsafe fn handles_while_stopped(&self) -> &LocalHandles {
        // SAFETY: caller contract; the owner writes only inside operations.
        unsafe { &*self.handles.get() }
    }
}

impl core::fmt::Debug for ThreadControlBlock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ThreadControlBlock")
            .field("thread", &self.thread)
            .field("live_handles", &self.with_handles_if_owner(|h| h.live()))
            .finish()
    }
}

impl ThreadControlBlock {
    fn with_handles_if_owner<R>(&self, f: impl FnOnce(&mut LocalHandles) -> R) -> Option<R> {
        (std::thread::current().id() == self.thread).then(|| self.with_handles(f))
    }
}

/// The calling thread's [`ThreadControlBlock`], created on first use.
///
/// Returns `None` only while the thread is being torn down (its thread-local
/// state already destroyed).
///
/// # Examples
///
/// ```
/// use rudo_gc::Gc;
/// use rudo_gc::handles::HandleScope;
/// use rudo_gc::heap::current_thread_control_block;
///
/// let tcb = current_thread_control_block().unwrap();
/// let scope = HandleScope::new(&tcb);
/// let h = scope.handle(&Gc::new(42));
/// rudo_gc::collect(); // the handle keeps the object alive; no Gc is left
/// assert_eq!(*h, 42);
/// ```
pub fn current_thread_control_block() -> Option<Arc<ThreadControlBlock>> {
    crate::mutator::current(|m| Arc::clone(m.tcb()))
}
