//! The thread control block: the per-thread record handle scopes hang off,
//! and the registry through which collections see every block's slots.
//!
//! Rules:
//!
//! 1. A block's handle slots are roots of every collection **for as long as
//!    the block lives**, not as long as its thread: a handle borrows its
//!    scope, which borrows the block, so no handle can outlive the block, but
//!    a block (an `Arc`) can outlive its thread, leaked or held by a
//!    thread-local destroyed after the thread's record, and so can its
//!    handles. Each block's slots therefore sit in a [`SlotArea`] registered
//!    in [`AREAS`] from the block's creation to its drop.
//! 2. Slots still live when the block is dropped (a scope was forgotten with
//!    `mem::forget`) become permanent strong counts of their objects: they
//!    are leaked, like whatever `mem::forget` forgets, and never released.
//!    Releasing them could kill a `!Send` value of an exited thread, which
//!    no other thread may drop. The counts are taken *before* the area
//!    leaves the registry.
//! 3. A collector holds the registry lock from before it reads any strong
//!    count until it has scanned every area (`lock_areas`). So a collection
//!    sees each slot either as a root (the area is registered) or as the
//!    count rule 2 left (taken before the area left, under the lock), never
//!    neither.
//! 4. Only the owner thread writes an area's slots: inside heap operations
//!    (`with_handles`), or, once the thread's record is gone, under the
//!    collection lock (`mutator::op`); a collector reads them with the world
//!    stopped and the collection lock held. So the `UnsafeCell` needs no
//!    lock of its own. The area is a separate allocation from the block
//!    because dropping the block takes `&mut` of it while a collector may
//!    still be reading the slots.

use core::cell::UnsafeCell;
use std::sync::Arc;
use std::thread::ThreadId;

use parking_lot::{Mutex, MutexGuard};

use crate::handles::local_handles::LocalHandles;
use crate::ptr::header::GcHeader;

/// A thread's record in the GC: its handle slots. Get the calling thread's
/// with [`current_thread_control_block`] and open
/// [`HandleScope`](crate::handles::HandleScope)s on it.
///
/// The block may be shared (it is in an `Arc`), but only its own thread may
/// open scopes on it; doing so from another thread panics. Its handle slots
/// are roots for as long as the block lives, even after its thread exited.
pub struct ThreadControlBlock {
    thread: ThreadId,
    area: Arc<SlotArea>,
}

/// The handle slots of one block, shared with the registry (rule 1).
pub(crate) struct SlotArea {
    handles: UnsafeCell<LocalHandles>,
}

// SAFETY: `handles` is written only by the owner thread and read by a
// collector, made exclusive by the handshake or the collection lock (rule 4).
unsafe impl Send for SlotArea {}
// SAFETY: as above.
unsafe impl Sync for SlotArea {}

/// Every live block's slot area (rule 1).
static AREAS: Mutex<Vec<Arc<SlotArea>>> = Mutex::new(Vec::new());

/// The registry, locked for a collection (rule 3).
pub(crate) struct Areas(MutexGuard<'static, Vec<Arc<SlotArea>>>);

/// Locks the registry: no block leaves it until the guard is dropped. Call
/// as a collector, with the world stopped, before reading any strong count.
pub(crate) fn lock_areas() -> Areas {
    Areas(AREAS.lock())
}

impl Areas {
    /// Calls `f` with every live block's slots.
    ///
    /// # Safety
    ///
    /// The world must be stopped and the collection lock held (rule 4), for
    /// as long as `f` uses the reference.
    pub(crate) unsafe fn for_each(&self, mut f: impl FnMut(&LocalHandles)) {
        for area in self.0.iter() {
            // SAFETY: caller contract: no owner writes meanwhile.
            f(unsafe { &*area.handles.get() });
        }
    }
}

impl ThreadControlBlock {
    /// A block for the calling thread, registered (rule 1).
    pub(crate) fn new_registered() -> Arc<Self> {
        let area = Arc::new(SlotArea {
            handles: UnsafeCell::new(LocalHandles::new()),
        });
        AREAS.lock().push(Arc::clone(&area));
        Arc::new(ThreadControlBlock {
            thread: std::thread::current().id(),
            area,
        })
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
            // heap operation (or, after its exit, under the collection lock),
            // so no collector reads the slots meanwhile (rule 4); no caller
            // holds another reference across this call: `f` bodies are the
            // short, non-reentrant operations of `handles/`.
            f(unsafe { &mut *self.area.handles.get() })
        })
    }
}

impl Drop for ThreadControlBlock {
    fn drop(&mut self) {
        // SAFETY: no scope borrows the block any more (it is being dropped),
        // so the owner writes nothing; collectors only read (rule 4).
        let handles = unsafe { &*self.area.handles.get() };
        // Rule 2, before the area leaves the registry (rule 3).
        handles.for_each_root(|object| {
            // SAFETY: a live slot roots a live object of the heap.
            unsafe { GcHeader::from_ptr(object.cast()) }.inc_strong();
        });
        AREAS.lock().retain(|area| !Arc::ptr_eq(area, &self.area));
    }
}

impl core::fmt::Debug for ThreadControlBlock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let live =
            (std::thread::current().id() == self.thread).then(|| self.with_handles(|h| h.live()));
        f.debug_struct("ThreadControlBlock")
            .field("thread", &self.thread)
            .field("live_handles", &live)
            .finish()
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
