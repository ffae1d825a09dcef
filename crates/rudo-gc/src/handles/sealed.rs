//! `SealedHandleScope`: forbids handle creation (debug builds).

use core::marker::PhantomData;

use crate::heap::ThreadControlBlock;

/// While alive, creating a handle in the current scope panics (in debug
/// builds), naming where the seal was created. Opening a new
/// [`HandleScope`](super::HandleScope) inside it is allowed: its handles are
/// released with it.
///
/// Use it around code that runs in a long-lived scope and must not grow it
/// (an event loop, say). In release builds it is a zero-sized no-op.
///
/// # Examples
///
/// ```
/// use rudo_gc::handles::{HandleScope, SealedHandleScope};
/// use rudo_gc::heap::current_thread_control_block;
///
/// let tcb = current_thread_control_block().unwrap();
/// let _outer = HandleScope::new(&tcb);
/// let _sealed = SealedHandleScope::new(&tcb);
/// // `_outer.handle(..)` would panic here in a debug build.
/// let inner = HandleScope::new(&tcb);
/// let _h = inner.handle(&rudo_gc::Gc::new(1)); // fine: a new scope
/// ```
pub struct SealedHandleScope<'tcb> {
    #[cfg(debug_assertions)]
    tcb: &'tcb ThreadControlBlock,
    #[cfg(debug_assertions)]
    previous: Option<(usize, &'static core::panic::Location<'static>)>,
    _tcb: PhantomData<&'tcb ThreadControlBlock>,
    _not_send: PhantomData<*const ()>,
}

impl<'tcb> SealedHandleScope<'tcb> {
    /// Seals handle creation in the current scope of `tcb`'s thread.
    ///
    /// # Panics
    ///
    /// In debug builds, panics if `tcb` belongs to another thread.
    #[track_caller]
    pub fn new(tcb: &'tcb ThreadControlBlock) -> Self {
        #[cfg(debug_assertions)]
        {
            tcb.assert_owner("SealedHandleScope::new");
            let location = core::panic::Location::caller();
            let previous = tcb.with_handles(|h| h.sealed.replace((h.data.level, location)));
            SealedHandleScope {
                tcb,
                previous,
                _tcb: PhantomData,
                _not_send: PhantomData,
            }
        }
        #[cfg(not(debug_assertions))]
        {
            let _ = tcb;
            SealedHandleScope {
                _tcb: PhantomData,
                _not_send: PhantomData,
            }
        }
    }
}

impl Drop for SealedHandleScope<'_> {
    fn drop(&mut self) {
        #[cfg(debug_assertions)]
        {
            let previous = self.previous;
            self.tcb.with_handles(|h| h.sealed = previous);
        }
    }
}

impl core::fmt::Debug for SealedHandleScope<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SealedHandleScope")
    }
}
