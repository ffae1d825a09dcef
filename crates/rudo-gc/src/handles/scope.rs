//! `HandleScope`: a region of handle slots, closed when the scope drops.

use core::marker::PhantomData;

use super::handle::Handle;
use super::local_handles::HandleScopeData;
use crate::heap::ThreadControlBlock;
use crate::ptr::Gc;

/// A scope for [`Handle`]s: every handle created in it keeps its object alive
/// until the scope is dropped.
///
/// Scopes nest and must be dropped in reverse order of creation (which normal
/// lexical scoping guarantees; an explicit `drop` of an outer scope while an
/// inner one is open panics).
///
/// # Examples
///
/// ```
/// use rudo_gc::Gc;
/// use rudo_gc::handles::HandleScope;
/// use rudo_gc::heap::current_thread_control_block;
///
/// let tcb = current_thread_control_block().unwrap();
/// let outer = HandleScope::new(&tcb);
/// let kept = outer.handle(&Gc::new(String::from("outer")));
/// {
///     let inner = HandleScope::new(&tcb);
///     let temp = inner.handle(&Gc::new(1));
///     assert_eq!(*temp, 1);
/// } // `temp`'s slot is released here
/// assert_eq!(kept.len(), 5);
/// ```
pub struct HandleScope<'tcb> {
    // First, so that "cannot be sent between threads" errors name this marker
    // rather than an internal field.
    _not_send: PhantomData<*const ()>,
    tcb: &'tcb ThreadControlBlock,
    saved: HandleScopeData,
}

impl<'tcb> HandleScope<'tcb> {
    /// Opens a scope on `tcb`, which must be the calling thread's control
    /// block.
    ///
    /// # Panics
    ///
    /// Panics if `tcb` belongs to another thread.
    #[track_caller]
    pub fn new(tcb: &'tcb ThreadControlBlock) -> Self {
        tcb.assert_owner("HandleScope::new");
        let saved = tcb.with_handles(|h| h.open());
        HandleScope {
            tcb,
            saved,
            _not_send: PhantomData,
        }
    }

    /// Roots `gc`'s object in this scope and returns a handle to it. O(1): a
    /// pointer bump, no reference-count change.
    ///
    /// # Panics
    ///
    /// Panics if this scope is not the innermost open scope of the thread
    /// (handles of an outer scope are created through it while an inner one
    /// is open: use the inner scope), if a [`SealedHandleScope`](super::SealedHandleScope)
    /// forbids handles here (debug builds), if the thread holds more than
    /// four million handles, or if `gc`'s object is dead (a destructor of a
    /// `#[gc(unsafe_drop)]` type rooting a `Gc` field, see [`Gc`]'s `Deref`).
    #[inline]
    #[track_caller]
    pub fn handle<T: ?Sized + 'static>(&self, gc: &Gc<T>) -> Handle<'_, T> {
        // A live object cannot die while `gc` holds it, so checking outside
        // the operation is enough.
        gc.header().assert_alive();
        self.tcb.with_handles(|h| {
            assert!(
                h.data.level == self.saved.level + 1,
                "rudo-gc: HandleScope::handle called on an outer scope while an inner scope is \
                 open; create the handle in the innermost scope (or escape it with an \
                 EscapeableHandleScope)"
            );
            if cfg!(debug_assertions)
                && let Some((level, location)) = h.sealed
                && level == h.data.level
            {
                panic!(
                    "rudo-gc: cannot create a handle here: handle creation is sealed by the \
                     SealedHandleScope created at {location}; open a HandleScope inside it for \
                     temporary handles"
                );
            }
            h.push(Some(gc.header_ptr()));
        });
        // SAFETY: the object is rooted by the slot just written until this
        // scope closes, which the handle's borrow of `self` outlives.
        unsafe { Handle::new(Gc::box_ptr(gc)) }
    }

    /// The thread control block the scope is open on.
    pub fn thread_control_block(&self) -> &'tcb ThreadControlBlock {
        self.tcb
    }

    /// Whether this is the innermost open scope of its thread.
    pub(crate) fn is_innermost(&self) -> bool {
        self.tcb
            .with_handles(|h| h.data.level == self.saved.level + 1)
    }
}

impl Drop for HandleScope<'_> {
    fn drop(&mut self) {
        let saved = self.saved;
        self.tcb.with_handles(|h| h.close(saved));
    }
}

impl core::fmt::Debug for HandleScope<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HandleScope")
            .field("level", &(self.saved.level + 1))
            .finish()
    }
}

/// Runs `f` in a fresh [`HandleScope`] on the calling thread; the scope (and
/// every handle created in it) is closed when `f` returns.
///
/// # Panics
///
/// Panics if called during thread teardown, when the thread's control block
/// is gone.
///
/// # Examples
///
/// ```
/// use rudo_gc::{Gc, handles};
///
/// let len = handles::scope(|s| s.handle(&Gc::new(vec![1, 2, 3])).len());
/// assert_eq!(len, 3);
/// ```
pub fn scope<R>(f: impl FnOnce(&HandleScope<'_>) -> R) -> R {
    let tcb = crate::heap::current_thread_control_block().unwrap_or_else(|| {
        panic!("rudo-gc: handles::scope called during thread teardown; open scopes before the thread exits")
    });
    let scope = HandleScope::new(&tcb);
    f(&scope)
}
