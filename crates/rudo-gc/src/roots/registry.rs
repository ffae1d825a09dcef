//! The registry of live root tables, for `heap::write_snapshot`, which
//! labels the objects tables hold (a collection does not need it: a pinned
//! `Gc` is a count like any other).
//!
//! Rules:
//!
//! 1. A table is registered from `RootTable::new` until the start of its
//!    `Drop`, so its shards (a [`Shards`] allocation: it does not move with
//!    the table) are allocated while registered.
//! 2. The registry's lock is held while an entry's shards are read, and
//!    `Drop` takes it to unregister, so no table goes away meanwhile.

use core::marker::PhantomData;
use core::ops::Deref;
use core::ptr::NonNull;

use parking_lot::Mutex;

use super::shard::Shard;
use crate::trace::{Trace, Visitor};

/// A table's shards: one allocation, never moved and never borrowed
/// uniquely after creation, so that the registry's pointer to it stays
/// valid while the table itself moves. (A `Box` would not do: moving the
/// table retags the box as unique, which invalidates every other pointer to
/// its contents; Miri's Stacked Borrows caught exactly that.)
pub(crate) struct Shards<V> {
    ptr: NonNull<[Shard<V>]>,
    _owns: PhantomData<Box<[Shard<V>]>>,
}

// SAFETY: owns the shards like the `Box` it was made from.
unsafe impl<V> Send for Shards<V> where Box<[Shard<V>]>: Send {}
// SAFETY: as above; only shared references are handed out.
unsafe impl<V> Sync for Shards<V> where Box<[Shard<V>]>: Sync {}

impl<V> Shards<V> {
    pub(crate) fn new(shards: Box<[Shard<V>]>) -> Shards<V> {
        Shards {
            ptr: NonNull::from(Box::leak(shards)),
            _owns: PhantomData,
        }
    }
}

impl<V> Deref for Shards<V> {
    type Target = [Shard<V>];

    fn deref(&self) -> &[Shard<V>] {
        // SAFETY: allocated by `new` and freed only in `drop`.
        unsafe { self.ptr.as_ref() }
    }
}

impl<V> Drop for Shards<V> {
    fn drop(&mut self) {
        // SAFETY: from `Box::leak` in `new`; the table unregistered first
        // (rule 1), so no other pointer is used any more.
        drop(unsafe { Box::from_raw(self.ptr.as_ptr()) });
    }
}

/// Traces the values of a table's shards (`len` of them at `shards`),
/// skipping a shard whose lock is held.
type TraceShards = unsafe fn(NonNull<()>, usize, &mut Visitor);

struct Entry {
    shards: NonNull<()>,
    len: usize,
    trace: TraceShards,
}

// SAFETY: the pointer is only read under the registry lock while its table
// is alive (rules 1 and 2); the values it leads to are traced under their
// shard's lock, as the table's own threads access them.
unsafe impl Send for Entry {}

/// Indexed by table id (ids of live tables are distinct and below 2^16).
static TABLES: Mutex<Vec<Option<Entry>>> = Mutex::new(Vec::new());

/// # Safety
///
/// `shards` must point to `len` live `Shard<V>`s.
unsafe fn trace_shards<V: Trace>(shards: NonNull<()>, len: usize, v: &mut Visitor) {
    // SAFETY: caller contract.
    let shards = unsafe { core::slice::from_raw_parts(shards.cast::<Shard<V>>().as_ptr(), len) };
    for shard in shards {
        shard.try_for_each(|value| value.trace(v));
    }
}

/// Registers table `id` with its shards (rule 1).
pub(crate) fn register<V: Trace>(id: u32, shards: &Shards<V>) {
    let mut tables = TABLES.lock();
    let id = id as usize;
    if tables.len() <= id {
        tables.resize_with(id + 1, || None);
    }
    debug_assert!(tables[id].is_none(), "two live tables with one id");
    tables[id] = Some(Entry {
        shards: shards.ptr.cast(),
        len: shards.ptr.len(),
        trace: trace_shards::<V>,
    });
}

/// Unregisters table `id` (rule 1).
pub(crate) fn unregister(id: u32) {
    if let Some(entry) = TABLES.lock().get_mut(id as usize) {
        *entry = None;
    }
}

/// Traces every registered table's values with `visitor`, skipping the
/// shards whose lock is held.
///
/// # Safety
///
/// The world must be stopped (the values' `Trace` impls run as in a
/// collection).
pub(crate) unsafe fn trace_all(visitor: &mut Visitor) {
    for entry in TABLES.lock().iter().flatten() {
        // SAFETY: registered tables' shards are alive (rules 1 and 2).
        unsafe { (entry.trace)(entry.shards, entry.len, visitor) };
    }
}
