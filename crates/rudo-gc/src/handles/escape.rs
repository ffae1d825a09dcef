//! `EscapeableHandleScope`: a scope that can hand one handle to its parent.

use core::cell::Cell;
use core::marker::PhantomData;
use core::ptr::NonNull;

use super::handle::Handle;
use super::local_handles::HandleSlot;
use super::scope::HandleScope;
use crate::ptr::Gc;

/// A [`HandleScope`] that can let exactly one handle escape into its parent.
///
/// Creating it reserves one slot in the parent scope; [`escape`](Self::escape)
/// stores the handle's object there and returns a handle that lives as long
/// as the parent. Like V8's `EscapableHandleScope`.
///
/// # Examples
///
/// ```
/// use rudo_gc::Gc;
/// use rudo_gc::handles::{EscapeableHandleScope, Handle, HandleScope};
/// use rudo_gc::heap::current_thread_control_block;
///
/// fn make<'p>(parent: &'p HandleScope<'_>) -> Handle<'p, String> {
///     let scope = EscapeableHandleScope::new(parent);
///     let temp = scope.handle(&Gc::new(1)); // released with `scope`
///     let result = scope.handle(&Gc::new(format!("made from {}", *temp)));
///     scope.escape(result)
/// }
///
/// let tcb = current_thread_control_block().unwrap();
/// let outer = HandleScope::new(&tcb);
/// let made = make(&outer);
/// rudo_gc::collect();
/// assert_eq!(*made, "made from 1");
/// ```
pub struct EscapeableHandleScope<'parent, 'tcb> {
    inner: HandleScope<'tcb>,
    escape_slot: NonNull<HandleSlot>,
    escaped: Cell<bool>,
    _parent: PhantomData<&'parent HandleScope<'tcb>>,
}

impl<'parent, 'tcb> EscapeableHandleScope<'parent, 'tcb> {
    /// Reserves the escape slot in `parent` and opens the scope.
    ///
    /// # Panics
    ///
    /// Panics if `parent` is not the thread's innermost open scope.
    #[track_caller]
    pub fn new(parent: &'parent HandleScope<'tcb>) -> Self {
        assert!(
            parent.is_innermost(),
            "rudo-gc: EscapeableHandleScope::new needs the innermost open scope as its parent"
        );
        let tcb = parent.thread_control_block();
        let escape_slot = tcb.with_handles(|h| h.push(None));
        EscapeableHandleScope {
            inner: HandleScope::new(tcb),
            escape_slot,
            escaped: Cell::new(false),
            _parent: PhantomData,
        }
    }

    /// Roots `gc`'s object in this scope; see [`HandleScope::handle`].
    #[track_caller]
    pub fn handle<T: ?Sized + 'static>(&self, gc: &Gc<T>) -> Handle<'_, T> {
        self.inner.handle(gc)
    }

    /// Moves `handle`'s object into the slot reserved in the parent and
    /// returns a handle valid as long as the parent scope.
    ///
    /// # Panics
    ///
    /// Panics if called a second time: the parent reserved one slot only.
    #[track_caller]
    pub fn escape<T: ?Sized + 'static>(&self, handle: Handle<'_, T>) -> Handle<'parent, T> {
        assert!(
            !self.escaped.replace(true),
            "rudo-gc: EscapeableHandleScope::escape called twice; a scope can escape one handle \
             (put several values in one GC object to return them together)"
        );
        let object = handle.box_ptr();
        // SAFETY: the reserved slot lies in the parent's region of this
        // thread's blocks, which stay allocated while the parent is open; the
        // slot is written only here, on the owner thread (scopes are `!Send`).
        unsafe { self.escape_slot.write(Some(object.cast())) };
        // SAFETY: the slot roots the object until the parent scope closes, and
        // `'parent` cannot outlive the parent.
        unsafe { Handle::new(object) }
    }
}

impl core::fmt::Debug for EscapeableHandleScope<'_, '_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EscapeableHandleScope")
            .field("escaped", &self.escaped.get())
            .finish()
    }
}
