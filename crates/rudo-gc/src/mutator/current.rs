//! The calling thread's mutator record and the heap-operation entry points.
//!
//! Lifecycle of a thread:
//!
//! 1. *Unregistered* until its first heap operation, which creates the
//!    `RECORD` thread-local (registering its destructor) and adds the record
//!    to the registry the collector scans.
//! 2. *Registered*: operations take the fast path through `CURRENT`, a
//!    constant-initialised thread-local without destructor (always
//!    accessible, one load).
//! 3. *Exited*, once `RECORD`'s destructor ran: it collected, dropped the
//!    thread's dead values, turned its remaining pages into orphans and left
//!    the registry. Thread-locals destroyed after it (those first used
//!    before the thread's first heap operation) may still use the heap; such
//!    operations hold the collection lock instead of the handshake (no
//!    collection can be running meanwhile). Allocating panics.
//!
//! **An exited thread's releases leak.** What survived the exit collection
//! is referenced from other threads (so `Send + Sync`, since a `Gc<T>`
//! crosses threads only then), leaked, or held by the thread's own leftovers:
//! late thread-locals, and handle slots of its control block (which outlives
//! the thread when leaked or held by such a thread-local). Only the last
//! kind may be `!Send`, and its values must never die, because their home
//! thread can no longer drop them and no other thread may. So after the
//! exit, a `Gc` drop ([`release`]) keeps its count, and a handle scope that
//! closes turns its slots into counts (`handles::local_handles` rule 5):
//! exactly what those releases would have freed leaks, and nothing else.
//! The exited thread also runs no destructors (it sweeps nothing), so every
//! release it makes is one of its leftovers'.
//!
//! `RECORD` is created by the thread's first heap operation, so thread-locals
//! that first store a `Gc` after that are destroyed before it (destructors
//! run in reverse order of registration on every supported platform; tested
//! in `tests/thread_exit.rs`).

use core::cell::Cell;
use std::sync::Arc;

use super::WORLD;
use super::record::Mutator;
use crate::sync::raw::{AtomicUsize, Ordering::Relaxed};

/// Registered records, scanned by collectors.
static REGISTRY: parking_lot::Mutex<Vec<Arc<Mutator>>> = parking_lot::Mutex::new(Vec::new());
/// Heap ids (0 is "no owner": free and orphaned pages).
static NEXT_ID: AtomicUsize = AtomicUsize::new(1);
/// A thread without a record released a count.
static TEARDOWN_DIRTY: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

thread_local! {
    /// The registered record (null before registration and after exit).
    static CURRENT: Cell<*const Mutator> = const { Cell::new(core::ptr::null()) };
    /// The record's destructor has run.
    static EXITED: Cell<bool> = const { Cell::new(false) };
    /// What the thread is doing for the collector (`Role` bits).
    static ROLES: Cell<u8> = const { Cell::new(0) };
    /// Owns the record; its destructor is the thread-exit path.
    static RECORD: Record = Record::register();
}

struct Record(Arc<Mutator>);

impl Record {
    fn register() -> Record {
        let id = NEXT_ID.fetch_add(1, Relaxed);
        let record = Arc::new(Mutator::new(id, light_fence_available()));
        REGISTRY.lock().push(Arc::clone(&record));
        CURRENT.with(|c| c.set(Arc::as_ptr(&record)));
        Record(record)
    }
}

impl Drop for Record {
    fn drop(&mut self) {
        let record = &self.0;
        let collected = crate::gc::thread_exit(record);
        op(false, || {
            // SAFETY: inside an operation on the owner thread (access rule 1
            // of `record`), and no other reference to the heap is alive.
            let (heap, pending) = unsafe { (record.heap(), record.pending()) };
            let pending = core::mem::take(pending);
            if collected {
                crate::heap::orphan_heap(heap, pending);
            } else {
                crate::heap::orphans::abandon_heap(heap, pending);
            }
            // Releases since the exit collection (a `Gc` dropped by the
            // sweep, or by a destructor it ran) must not be forgotten with
            // the record, or the next collection would be skipped. A
            // collector sees either the record (and its flag) or, through
            // the registry lock taken below, this store.
            // (Teardown releases count as evidence of acyclic garbage too.)
            if record.take_dirty() != (false, false) {
                TEARDOWN_DIRTY.store(true, Relaxed);
            }
        });
        // A section still held (in a late thread-local, or leaked) ends
        // here (`section` rule 3): no collector may wait for this thread
        // any more, and its regions are no longer roots.
        if WORLD.in_section(&record.flag) {
            WORLD.exit_section(&record.flag);
        }
        record.regions.lock().clear();
        // Only now, outside the operation: a collector stopping the world
        // must either see the operation's flag (the record is still
        // registered) or the orphaned pages (the `loom` model
        // `thread_exit_during_a_collection`).
        REGISTRY.lock().retain(|m| !Arc::ptr_eq(m, record));
        CURRENT.with(|c| c.set(core::ptr::null()));
        EXITED.with(|e| e.set(true));
    }
}

/// Whether the light mutator fence is available (`sync::barrier`).
pub(crate) fn light_fence_available() -> bool {
    crate::sync::barrier::light_available()
}

/// A snapshot of the registered records.
pub(crate) fn registered() -> Vec<Arc<Mutator>> {
    REGISTRY.lock().clone()
}

/// Runs `f` with the calling thread's record, registering it if needed;
/// `None` once the thread is exiting.
pub(crate) fn current<R>(f: impl FnOnce(&Mutator) -> R) -> Option<R> {
    let m = CURRENT.with(Cell::get);
    if m.is_null() {
        if EXITED.with(Cell::get) {
            return None;
        }
        return RECORD.try_with(|r| f(&r.0)).ok();
    }
    // SAFETY: a non-null `CURRENT` points to this thread's record, which
    // `RECORD` keeps alive until it resets `CURRENT`.
    Some(f(unsafe { &*m }))
}

/// Whether the calling thread has requested work of any kind (`safepoint`'s
/// fast path): one thread-local load and one load of its record, without
/// registering a thread that has none (it has no work either).
#[inline(always)]
pub(crate) fn has_attention() -> bool {
    let m = CURRENT.with(Cell::get);
    // SAFETY: as in `current`.
    !m.is_null() && unsafe { &*m }.any_attention()
}

/// Whether the calling thread's record is gone (lifecycle state 3).
pub(crate) fn exited() -> bool {
    EXITED.with(Cell::get)
}

/// Runs `f`, which releases one strong count (`Gc::drop`) and returns
/// whether it was the last, as a heap operation that marks the heap dirty
/// (and, if it was the last, records the evidence of acyclic garbage); on
/// an exited thread it does not run `f` at all: the count leaks (module
/// docs).
#[inline(always)]
pub(crate) fn release(f: impl FnOnce() -> bool) {
    let m = CURRENT.with(Cell::get);
    if !m.is_null() {
        // SAFETY: as in `current`.
        let m = unsafe { &*m };
        if WORLD.try_enter(&m.flag, m.light_fence()) {
            let _guard = OpGuard(m);
            let zeroed = f();
            m.mark_released(zeroed);
            return;
        }
    }
    release_slow(f);
}

#[cold]
#[inline(never)]
fn release_slow(f: impl FnOnce() -> bool) {
    if exited() {
        return;
    }
    op_slow(true, false, |m| {
        let zeroed = f();
        match m {
            Some(m) => m.mark_released(zeroed),
            None => TEARDOWN_DIRTY.store(true, Relaxed),
        }
    });
}

/// Records the release of an uncounted root (a handle scope closing)
/// outside [`op`]'s own flag.
pub(crate) fn mark_root_released() {
    if current(Mutator::mark_root_released).is_none() {
        TEARDOWN_DIRTY.store(true, Relaxed);
    }
}

/// Returns and clears the flag set by operations of exited threads.
pub(crate) fn take_teardown_dirty() -> bool {
    TEARDOWN_DIRTY.swap(false, Relaxed)
}

/// Leaves the operation when dropped, also on unwind.
struct OpGuard<'a>(&'a Mutator);

impl Drop for OpGuard<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        WORLD.exit(&self.0.flag);
    }
}

/// Runs `f` as a heap operation (architecture, section 4). `dirty`: the
/// operation releases a count or a root, so the next collection must run.
///
/// `f` must be a few instructions that never run user code, never block and
/// never start another operation.
#[inline(always)]
pub(crate) fn op<R>(dirty: bool, f: impl FnOnce() -> R) -> R {
    let m = CURRENT.with(Cell::get);
    if !m.is_null() {
        // SAFETY: as in `current`.
        let m = unsafe { &*m };
        if WORLD.try_enter(&m.flag, m.light_fence()) {
            let _guard = OpGuard(m);
            if dirty {
                m.mark_dirty();
            }
            return f();
        }
    }
    op_slow(dirty, false, |_| f())
}

/// Runs `f` as a heap operation that needs the thread heap (allocation).
///
/// # Panics
///
/// Panics if the thread's heap is already destroyed (thread-local
/// destructors running after it).
#[inline(always)]
pub(crate) fn heap_op<R>(f: impl FnOnce(&Mutator) -> R) -> R {
    let m = CURRENT.with(Cell::get);
    if !m.is_null() {
        // SAFETY: as in `current`.
        let m = unsafe { &*m };
        if WORLD.try_enter(&m.flag, m.light_fence()) {
            let _guard = OpGuard(m);
            return f(m);
        }
    }
    op_slow(false, true, |m| {
        f(m.expect("op_slow hands heap operations a record"))
    })
}

#[cold]
#[inline(never)]
fn op_slow<R>(dirty: bool, needs_heap: bool, f: impl FnOnce(Option<&Mutator>) -> R) -> R {
    // First: a thread holding the world stopped would wait for itself (or,
    // without a record, for the collection lock it holds).
    if Role::Tracing.is_set() {
        trace_misuse_panic();
    }
    loop {
        let m = CURRENT.with(Cell::get);
        if m.is_null() {
            if !EXITED.with(Cell::get) && RECORD.try_with(|_| ()).is_ok() {
                continue; // registered just now
            }
            if needs_heap {
                teardown_panic();
            }
            // No record any more: exclude collections with their lock.
            // (Strong releases never get here: `release` leaks them.)
            let _lock = crate::gc::collection_lock();
            if dirty {
                TEARDOWN_DIRTY.store(true, Relaxed);
            }
            return f(None);
        }
        // SAFETY: as in `current`.
        let m = unsafe { &*m };
        if WORLD.in_section(&m.flag) {
            // A collector is stopping the world and waits for this thread's
            // section: enter without waiting for it (`handshake`, "Mutator
            // sections").
            WORLD.enter_in_section(&m.flag);
            let _guard = OpGuard(m);
            if dirty {
                m.mark_dirty();
            }
            return f(Some(m));
        }
        super::wait_for_world();
        if WORLD.try_enter(&m.flag, m.light_fence()) {
            let _guard = OpGuard(m);
            if dirty {
                m.mark_dirty();
            }
            return f(Some(m));
        }
    }
}

#[cold]
fn teardown_panic() -> ! {
    panic!(
        "rudo-gc: cannot allocate a Gc on this thread because its heap has already been \
         destroyed (thread-local destructors are running); allocate before thread exit"
    )
}

#[cold]
fn trace_misuse_panic() -> ! {
    panic!(
        "rudo-gc: the heap was used while the collector was tracing it; `Trace::trace` must \
         not allocate, drop or upgrade GC pointers, borrow cells mutably or create handles"
    )
}

/// What a thread is doing for the collector.
#[derive(Clone, Copy)]
#[repr(u8)]
pub(crate) enum Role {
    /// Holding the collection lock to run a collection (not during its
    /// sweep): a collection requested meanwhile (from `Trace::trace`) is
    /// skipped.
    Collecting = 1,
    /// Holding the world stopped: heap operations would wait for ourselves,
    /// so they panic instead.
    Tracing = 2,
}

impl Role {
    /// Whether the calling thread has this role.
    pub(crate) fn is_set(self) -> bool {
        ROLES.with(|r| r.get() & self as u8 != 0)
    }

    /// Takes the role for the guard's lifetime; `None` if already held.
    pub(crate) fn take(self) -> Option<RoleGuard> {
        ROLES.with(|r| {
            let v = r.get();
            (v & self as u8 == 0).then(|| {
                r.set(v | self as u8);
                RoleGuard(self)
            })
        })
    }
}

/// Holds a [`Role`]; gives it up when dropped (also on unwind).
pub(crate) struct RoleGuard(Role);

impl Drop for RoleGuard {
    fn drop(&mut self) {
        ROLES.with(|r| r.set(r.get() & !(self.0 as u8)));
    }
}
