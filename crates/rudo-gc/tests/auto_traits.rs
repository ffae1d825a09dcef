//! Auto-trait facts of the public types. Negative facts (`Gc<Rc<_>>: !Send`,
//! `Gc<GcCell<_>>: !Send`, `Weak<Cell<_>>: !Send`,
//! `Gc<GcRwLock<Cell<_>>>: !Send`, `Handle: !Send`, `HandleScope: !Send`) are
//! compile-fail tests in `tests/ui/`.

use std::panic::{RefUnwindSafe, UnwindSafe};

use rudo_gc::handles::{
    EscapeableHandleScope, Handle, HandleScope, MaybeHandle, SealedHandleScope,
};
use rudo_gc::heap::{GcBoxInfo, ThreadControlBlock};
use rudo_gc::{
    BorrowError, BorrowMutError, Gc, GcCell, GcConfig, GcMutex, GcRwLock, GcStats, PhaseTimes, Weak,
};

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}
fn unwind_safe<T: UnwindSafe + RefUnwindSafe>() {}

#[test]
fn plain_data_types_are_send_and_sync() {
    send::<GcStats>();
    sync::<GcStats>();
    send::<PhaseTimes>();
    sync::<PhaseTimes>();
    send::<GcConfig>();
    sync::<GcConfig>();
    send::<BorrowError>();
    sync::<BorrowMutError>();
    unwind_safe::<GcStats>();
}

#[test]
fn gc_cell_is_send_like_ref_cell() {
    // Sync is ruled out as for RefCell (shared `&GcCell` would race on the flag).
    send::<GcCell<i32>>();
    send::<GcCell<String>>();
}

#[test]
fn the_thread_control_block_can_be_shared() {
    // Sharing is fine: opening a scope on another thread's block panics.
    send::<ThreadControlBlock>();
    sync::<ThreadControlBlock>();
    send::<std::sync::Arc<ThreadControlBlock>>();
}

#[test]
fn handles_and_gc_are_unpin() {
    unpin::<rudo_gc::Gc<i32>>();
    unpin::<Handle<'static, i32>>();
    unpin::<MaybeHandle<'static, i32>>();
    unpin::<HandleScope<'static>>();
    unpin::<EscapeableHandleScope<'static, 'static>>();
    unpin::<SealedHandleScope<'static>>();
}

#[test]
fn lookup_results_are_plain_values() {
    unpin::<GcBoxInfo>();
    // `GcBoxInfo` carries a raw address for identity only.
    fn copy<T: Copy>() {}
    copy::<GcBoxInfo>();
}

#[test]
fn gc_and_weak_are_send_and_sync_when_the_value_is() {
    send::<Gc<i32>>();
    sync::<Gc<i32>>();
    send::<Gc<String>>();
    sync::<Gc<[u64]>>();
    send::<Gc<str>>();
    send::<Weak<i32>>();
    sync::<Weak<String>>();
    // Thread-shared mutable state goes through the thread-safe cells.
    send::<Gc<GcMutex<Vec<Gc<i32>>>>>();
    sync::<Gc<GcMutex<Vec<Gc<i32>>>>>();
    send::<Gc<GcRwLock<Vec<Gc<i32>>>>>();
    sync::<Gc<GcRwLock<Vec<Gc<i32>>>>>();
    // `GcMutex` needs only `Send` contents to be shared, like `Mutex`.
    sync::<GcMutex<std::cell::Cell<i32>>>();
    send::<Gc<GcMutex<std::cell::Cell<i32>>>>();
}

#[test]
fn lock_guards_are_sync_like_std_guards() {
    sync::<rudo_gc::GcMutexGuard<'static, i32>>();
    sync::<rudo_gc::GcRwLockReadGuard<'static, i32>>();
    sync::<rudo_gc::GcRwLockWriteGuard<'static, i32>>();
}

#[test]
fn async_handles_erased_pointers_and_root_tables_are_thread_safe() {
    use rudo_gc::ErasedGc;
    use rudo_gc::handles::{AsyncHandle, AsyncHandleScope};
    use rudo_gc::roots::{RootTable, RootTicket, StaleTicket};
    send::<AsyncHandleScope>();
    sync::<AsyncHandleScope>();
    send::<AsyncHandle<String>>();
    sync::<AsyncHandle<String>>();
    unpin::<AsyncHandle<String>>();
    send::<ErasedGc>();
    sync::<ErasedGc>();
    send::<RootTable<Gc<String>>>();
    sync::<RootTable<Gc<String>>>();
    sync::<RootTable<ErasedGc>>();
    fn copy<T: Copy>() {}
    copy::<RootTicket>();
    send::<RootTicket>();
    sync::<StaleTicket>();
    fn error<T: std::error::Error + Send + Sync + 'static>() {}
    error::<StaleTicket>();
}
