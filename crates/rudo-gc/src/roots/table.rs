//! `RootTable<V>`: values kept alive by tickets, in sharded slot pools.
//!
//! Layout: 16 shards (`roots::shard`), each a lock around a vector of slots
//! with an intrusive free list, padded to its own cache lines. A thread pins
//! into its *home shard* (assigned round-robin on its first pin), so threads
//! pinning at once take different locks; unpinning goes to the ticket's
//! shard. A slot is `Option<V>` plus two `u32`s (generation, free-list link):
//! 8 bytes beyond the value for a `Gc` (whose `Option` is free).
//!
//! Rules:
//!
//! 1. A slot's generation changes on every unpin (and `unpin_all`), so a
//!    ticket issued before is stale from then on; a slot whose generation
//!    would pass `MAX_GENERATION` is retired (never put on the free list).
//!    (`roots::shard` has the protocol, and `loom` models of it.)
//! 2. The table id and the generations new slots start at come from
//!    [`IdPool`]: a dropped table's id is reused only with generations above
//!    every generation the dropped table's slots reached (rule 1 makes that
//!    the largest generation any of its tickets carries), so no ticket of a
//!    dropped table names a value of its successor.
//! 3. No user code runs under a shard lock except the closure of
//!    [`RootTable::with`], and using the same table from inside it panics
//!    (it would deadlock). Values leave the table (`unpin`, `replace`,
//!    `unpin_all`) before they are dropped.
//! 4. The table does not register anything with the collector: the values
//!    it holds live on the Rust heap, so the reference counts of the `Gc`s
//!    inside them are counts from outside the GC heap, which every
//!    collection treats as roots.

use core::cell::Cell;
use core::fmt;
use core::marker::PhantomData;

use parking_lot::Mutex;

use super::registry::Shards;
use super::shard::Shard;
use super::ticket::{MAX_GENERATION, MAX_TABLE_ID, RootTicket, SHARD_SLOTS, SHARDS, StaleTicket};
use crate::sync::raw::{AtomicUsize, Ordering::Relaxed};
use crate::trace::Trace;

/// Values kept alive by 8-byte tickets ([`RootTicket`]) rather than by a
/// `Gc` the holder keeps: for embedders that must name a GC value from
/// somewhere a `Gc` cannot live (a C struct, a `u64` in a message, an index
/// in an interpreter's handle table).
///
/// Everything the table holds is a root of every collection, on every
/// thread: the values sit on the Rust heap, so the `Gc`s inside them count
/// as held from outside the GC heap (nothing is registered with the
/// collector). Unpinning hands the value back; once it is dropped, what it
/// alone kept alive is garbage.
///
/// Pinning and unpinning from many threads at once do not contend on one
/// lock: the table has 16 shards, and each thread pins into its own.
///
/// # Examples
///
/// ```
/// use rudo_gc::roots::RootTable;
/// use rudo_gc::{Gc, collect};
///
/// let table = RootTable::new();
/// let ticket = table.pin(Gc::new(String::from("kept by its ticket")));
/// let bits: u64 = ticket.to_bits(); // e.g. stored in a C struct
///
/// collect(); // no `Gc` is held anywhere else; the table keeps it alive
/// let ticket = rudo_gc::roots::RootTicket::from_bits(bits);
/// assert_eq!(table.with(ticket, |s| s.len()), Ok(18));
///
/// let value = table.unpin(ticket).unwrap();
/// assert!(table.get(ticket).is_none(), "the ticket is stale now");
/// drop(value); // the next collection frees it
/// ```
pub struct RootTable<V> {
    id: u32,
    /// Generation fresh slots start at (rule 2).
    base: u32,
    shards: Shards<V>,
    /// `Sync` only when `V: Sync` too: `with` lends `&V` to any thread.
    _values: PhantomData<V>,
}

/// Table ids and the generations their slots start at (rule 2).
struct IdPool {
    next: u32,
    /// Ids of dropped tables, each with the generation its next table's
    /// slots start at.
    free: Vec<(u32, u32)>,
}

static IDS: Mutex<IdPool> = Mutex::new(IdPool {
    next: 1,
    free: Vec::new(),
});

/// Round-robin source of home shards.
static NEXT_HOME: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's home shard (`usize::MAX` until its first pin).
    static HOME: Cell<usize> = const { Cell::new(usize::MAX) };
    /// The table whose `with` closure this thread is running (0: none).
    static IN_WITH: Cell<u32> = const { Cell::new(0) };
}

/// The `is_dirty` stamp of a change made now: one more than the number of
/// collections started.
fn stamp() -> u64 {
    crate::gc::collector::started() + 1
}

fn home_shard() -> usize {
    HOME.with(|home| {
        let mut shard = home.get();
        if shard == usize::MAX {
            shard = NEXT_HOME.fetch_add(1, Relaxed) % SHARDS;
            home.set(shard);
        }
        shard
    })
}

impl<V: Trace> RootTable<V> {
    /// An empty table.
    ///
    /// # Panics
    ///
    /// Panics if 65,535 tables are alive at once (tickets have 16 bits for
    /// the table): share a table, or drop the ones no longer used.
    pub fn new() -> RootTable<V> {
        let (id, base) = {
            let mut ids = IDS.lock();
            match ids.free.pop() {
                Some(reused) => reused,
                None => {
                    let id = ids.next;
                    assert!(
                        id <= MAX_TABLE_ID,
                        "rudo-gc: more than {MAX_TABLE_ID} RootTables exist at once (a ticket has \
                         16 bits for its table); share one table, or drop tables no longer used"
                    );
                    ids.next += 1;
                    (id, 1)
                }
            }
        };
        let table = RootTable {
            id,
            base,
            shards: Shards::new((0..SHARDS).map(|_| Shard::new()).collect()),
            _values: PhantomData,
        };
        super::registry::register(id, &table.shards);
        table
    }
}

impl<V: Trace> Default for RootTable<V> {
    fn default() -> Self {
        RootTable::new()
    }
}

impl<V> RootTable<V> {
    /// Rule 3: the table is off limits inside its own `with`.
    #[inline]
    #[track_caller]
    fn check_reentry(&self) {
        if IN_WITH.with(Cell::get) == self.id {
            reentry_panic();
        }
    }

    /// Pins `value`: the table keeps it (and so everything it references)
    /// alive until [`unpin`](RootTable::unpin) or
    /// [`unpin_all`](RootTable::unpin_all) returns or drops it.
    ///
    /// # Panics
    ///
    /// Panics if the table already holds 16,777,216 values (tickets have 24
    /// bits for the slot), or when called from inside this table's
    /// [`with`](RootTable::with).
    #[track_caller]
    pub fn pin(&self, value: V) -> RootTicket {
        self.check_reentry();
        let home = home_shard();
        let stamp = stamp();
        let mut value = value;
        for k in 0..SHARDS {
            let shard_index = (home + k) % SHARDS;
            match self.shards[shard_index].pin(value, self.base, stamp) {
                Ok((slot, generation)) => {
                    return RootTicket::new(self.id, shard_index, slot, generation);
                }
                Err(back) => value = back, // this shard is full
            }
        }
        panic!(
            "rudo-gc: a RootTable holds at most {} values (a ticket has 24 bits for its slot); \
             unpin values no longer needed",
            SHARDS * SHARD_SLOTS
        );
    }

    /// The shard of a ticket of this table.
    fn shard(&self, ticket: RootTicket) -> Result<&Shard<V>, StaleTicket> {
        if ticket.table() == self.id {
            Ok(&self.shards[ticket.shard()])
        } else {
            Err(StaleTicket(ticket))
        }
    }

    /// A clone of the value `ticket` names, or `None` if it is stale.
    ///
    /// # Panics
    ///
    /// Panics when called from inside this table's [`with`](RootTable::with).
    #[track_caller]
    pub fn get(&self, ticket: RootTicket) -> Option<V>
    where
        V: Clone,
    {
        self.check_reentry();
        self.shard(ticket)
            .ok()?
            .with_live(ticket.slot(), ticket.generation(), |v| v.clone())
    }

    /// Runs `f` with the value `ticket` names.
    ///
    /// `f` runs under the lock of the value's shard, so it must not use this
    /// table (doing so panics, where it would otherwise deadlock); other
    /// tables and the rest of the heap are fine.
    ///
    /// # Errors
    ///
    /// [`StaleTicket`] if the ticket is stale; `f` is not called.
    ///
    /// # Panics
    ///
    /// Panics when called from inside this table's own `with`.
    #[track_caller]
    pub fn with<R>(&self, ticket: RootTicket, f: impl FnOnce(&V) -> R) -> Result<R, StaleTicket> {
        self.check_reentry();
        /// Restores the previous `IN_WITH` (also on unwind).
        struct Outside(u32);
        impl Drop for Outside {
            fn drop(&mut self) {
                IN_WITH.with(|w| w.set(self.0));
            }
        }
        self.shard(ticket)?
            .with_live(ticket.slot(), ticket.generation(), |v| {
                let _outside = Outside(IN_WITH.with(|w| w.replace(self.id)));
                f(v)
            })
            .ok_or(StaleTicket(ticket))
    }

    /// Replaces the value `ticket` names with `value` and returns the old
    /// one; the ticket stays valid (its generation does not change).
    ///
    /// # Errors
    ///
    /// [`StaleTicket`] if the ticket is stale; `value` is then dropped.
    ///
    /// # Panics
    ///
    /// Panics when called from inside this table's [`with`](RootTable::with).
    #[track_caller]
    pub fn replace(&self, ticket: RootTicket, value: V) -> Result<V, StaleTicket> {
        self.check_reentry();
        self.shard(ticket)?
            .replace(ticket.slot(), ticket.generation(), value, stamp())
            .map_err(|_| StaleTicket(ticket))
    }

    /// Unpins the value `ticket` names and returns it. The ticket, and every
    /// copy of it, is stale from now on, even after the slot is reused.
    ///
    /// # Errors
    ///
    /// [`StaleTicket`] if the ticket is stale (unpinned already, of another
    /// table, or not a ticket).
    ///
    /// # Panics
    ///
    /// Panics when called from inside this table's [`with`](RootTable::with).
    #[track_caller]
    pub fn unpin(&self, ticket: RootTicket) -> Result<V, StaleTicket> {
        self.check_reentry();
        self.shard(ticket)?
            .unpin(ticket.slot(), ticket.generation(), stamp())
            .ok_or(StaleTicket(ticket))
    }

    /// Unpins and drops every value. Every ticket issued so far is stale
    /// afterwards. The values are dropped after the table's locks are
    /// released, so their destructors may use the table.
    ///
    /// # Panics
    ///
    /// Panics when called from inside this table's [`with`](RootTable::with).
    #[track_caller]
    pub fn unpin_all(&self) {
        self.check_reentry();
        let mut unpinned = Vec::new();
        let stamp = stamp();
        for shard in self.shards.iter() {
            shard.drain(&mut unpinned, stamp);
        }
        drop(unpinned);
    }

    /// The number of values pinned (a snapshot, when other threads pin and
    /// unpin meanwhile).
    pub fn len(&self) -> usize {
        self.shards.iter().map(Shard::len).sum()
    }

    /// Whether no value is pinned.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a value was pinned, replaced or unpinned since the most
    /// recent collection started (a collection that was skipped because
    /// nothing in the heap changed does not count). A change racing with the
    /// start of a collection may be counted on either side of it.
    ///
    /// Nothing here makes a collection run: pinning and unpinning move
    /// values in and out without changing a reference count, so they leave
    /// nothing new to collect; dropping an unpinned value does.
    pub fn is_dirty(&self) -> bool {
        let started = crate::gc::collector::started();
        self.shards.iter().any(|shard| shard.changed() > started)
    }
}

impl<V> Drop for RootTable<V> {
    fn drop(&mut self) {
        // Before anything goes (`roots::registry` rule 1).
        super::registry::unregister(self.id);
        // Rule 2: the id's next table starts above every generation used.
        let highest = self
            .shards
            .iter()
            .filter_map(Shard::highest_generation)
            .max()
            .unwrap_or(self.base);
        // Reusing an id whose generations are half spent would leave its
        // next table little room; retire it instead.
        if highest < MAX_GENERATION / 2 {
            IDS.lock().free.push((self.id, highest + 1));
        }
    }
}

impl<V> fmt::Debug for RootTable<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RootTable")
            .field("id", &self.id)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

#[cold]
#[track_caller]
fn reentry_panic() -> ! {
    panic!(
        "rudo-gc: a RootTable was used from inside its own `with` closure, which runs under the \
         table's lock; clone the value out with `get`, or finish `with` first"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Gc;

    #[test]
    fn a_dropped_tables_tickets_never_name_its_successors_values() {
        let old = RootTable::new();
        let t1 = old.pin(Gc::new(1_u32));
        old.unpin(t1).unwrap();
        let t2 = old.pin(Gc::new(2_u32)); // the same slot, a newer generation
        let id = old.id;
        drop(old);
        // The next table may inherit the id; never with those generations.
        let new = RootTable::new();
        let t3 = new.pin(Gc::new(3_u32));
        if new.id == id {
            assert!(t3.generation() > t2.generation());
        }
        for stale in [t1, t2] {
            assert!(new.get(stale).is_none(), "{stale:?}");
            assert!(new.unpin(stale).is_err());
        }
        assert_eq!(*new.get(t3).unwrap(), 3);
    }
}
