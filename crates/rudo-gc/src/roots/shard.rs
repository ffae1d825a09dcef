//! One shard of a root table: slots with generations and an intrusive free
//! list, under one lock. The protocol the `loom` models check
//! (`roots::loom_models`):
//!
//! 1. A slot is live while it holds a value. A ticket `(slot, generation)`
//!    names the value only while the slot is live *and* still has the
//!    ticket's generation; every operation checks both under the lock.
//! 2. Unpinning takes the value out and bumps the generation in the same
//!    critical section, so no ticket issued before can name what the slot
//!    holds next, and a value is handed back at most once.
//! 3. A slot whose generation is `MAX_GENERATION` is retired when unpinned:
//!    it goes on no free list, so its generations never repeat.
//!
//! `len` and `changed` are written only under the lock (a load and a store
//! lose nothing) and read without it.

use super::ticket::{MAX_GENERATION, SHARD_SLOTS};
use crate::sync::{AtomicU64, AtomicUsize, Mutex, Ordering::Relaxed};

/// No free slot (end of a free list).
const NONE: u32 = u32::MAX;

/// One shard, on cache lines of its own.
#[repr(align(128))]
pub(crate) struct Shard<V> {
    slots: Mutex<Slots<V>>,
    /// Values pinned in this shard.
    len: AtomicUsize,
    /// The stamp of the last change (`RootTable::is_dirty`); 0: never.
    changed: AtomicU64,
}

struct Slots<V> {
    slots: Vec<Slot<V>>,
    /// Head of the free list.
    free: u32,
}

/// One slot: 8 bytes beyond the value when `Option<V>` is free (a `Gc`).
pub(crate) struct Slot<V> {
    /// `None` when free or retired.
    value: Option<V>,
    generation: u32,
    /// The next free slot, while this one is free.
    next_free: u32,
}

impl<V> Slots<V> {
    /// The slot a ticket names, if it is live with that generation (rule 1).
    fn live(&mut self, slot: usize, generation: u32) -> Option<&mut Slot<V>> {
        self.slots
            .get_mut(slot)
            .filter(|s| s.generation == generation && s.value.is_some())
    }

    /// Takes a live slot's value and frees or retires it (rules 2, 3).
    fn release(&mut self, slot: usize) -> Option<V> {
        let s = &mut self.slots[slot];
        let value = s.value.take();
        if s.generation < MAX_GENERATION {
            s.generation += 1;
            s.next_free = self.free;
            self.free = slot as u32;
        } else {
            s.next_free = NONE; // retired
        }
        value
    }
}

impl<V> Shard<V> {
    /// Calls `f` with every value pinned here, under the lock; does nothing
    /// if the lock is held (for `heap::write_snapshot`, which must not wait
    /// with the world stopped).
    pub(crate) fn try_for_each(&self, mut f: impl FnMut(&V)) {
        if let Some(slots) = self.slots.try_lock() {
            for value in slots.slots.iter().filter_map(|s| s.value.as_ref()) {
                f(value);
            }
        }
    }

    pub(crate) fn new() -> Shard<V> {
        Shard {
            slots: Mutex::new(Slots {
                slots: Vec::new(),
                free: NONE,
            }),
            len: AtomicUsize::new(0),
            changed: AtomicU64::new(0),
        }
    }

    /// Pins `value`; returns its slot and generation, or the value back if
    /// the shard is full. Fresh slots start at generation `base`.
    pub(crate) fn pin(&self, value: V, base: u32, stamp: u64) -> Result<(usize, u32), V> {
        let mut slots = self.slots.lock();
        let slot = if slots.free != NONE {
            let slot = slots.free as usize;
            slots.free = slots.slots[slot].next_free;
            slots.slots[slot].value = Some(value);
            slot
        } else if slots.slots.len() < SHARD_SLOTS {
            slots.slots.push(Slot {
                value: Some(value),
                generation: base,
                next_free: NONE,
            });
            slots.slots.len() - 1
        } else {
            return Err(value);
        };
        self.len.store(self.len.load(Relaxed) + 1, Relaxed);
        self.changed.store(stamp, Relaxed);
        Ok((slot, slots.slots[slot].generation))
    }

    /// Runs `f` on the value a ticket names, under the lock, if it is live.
    pub(crate) fn with_live<R>(
        &self,
        slot: usize,
        generation: u32,
        f: impl FnOnce(&mut V) -> R,
    ) -> Option<R> {
        let mut slots = self.slots.lock();
        let live = slots.live(slot, generation)?;
        Some(f(live.value.as_mut().expect("live slots hold a value")))
    }

    /// Replaces the value a ticket names (the generation stays); the new
    /// value back if the ticket is stale.
    pub(crate) fn replace(
        &self,
        slot: usize,
        generation: u32,
        value: V,
        stamp: u64,
    ) -> Result<V, V> {
        let mut slots = self.slots.lock();
        let Some(live) = slots.live(slot, generation) else {
            return Err(value);
        };
        let old = live.value.replace(value).expect("live slots hold a value");
        self.changed.store(stamp, Relaxed);
        Ok(old)
    }

    /// Unpins the value a ticket names, if it is live (rule 2).
    pub(crate) fn unpin(&self, slot: usize, generation: u32, stamp: u64) -> Option<V> {
        let mut slots = self.slots.lock();
        slots.live(slot, generation)?;
        let value = slots.release(slot);
        self.len.store(self.len.load(Relaxed) - 1, Relaxed);
        self.changed.store(stamp, Relaxed);
        value
    }

    /// Unpins every value into `out`.
    pub(crate) fn drain(&self, out: &mut Vec<V>, stamp: u64) {
        let mut slots = self.slots.lock();
        let before = out.len();
        for slot in 0..slots.slots.len() {
            if slots.slots[slot].value.is_some() {
                out.extend(slots.release(slot));
            }
        }
        self.len.store(0, Relaxed);
        if out.len() > before {
            self.changed.store(stamp, Relaxed);
        }
    }

    /// The highest generation any slot reached (rule 2 of the table: the id's
    /// next table starts above it).
    pub(crate) fn highest_generation(&self) -> Option<u32> {
        self.slots.lock().slots.iter().map(|s| s.generation).max()
    }

    /// Values pinned.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Relaxed)
    }

    /// The stamp of the last change.
    pub(crate) fn changed(&self) -> u64 {
        self.changed.load(Relaxed)
    }

    /// Test hook: sets a slot's generation.
    #[cfg(test)]
    pub(crate) fn set_generation(&self, slot: usize, generation: u32) {
        self.slots.lock().slots[slot].generation = generation;
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::Gc;

    #[test]
    fn a_gc_root_costs_eight_bytes_beyond_its_value() {
        assert_eq!(
            core::mem::size_of::<Slot<Gc<u64>>>() - core::mem::size_of::<Gc<u64>>(),
            8
        );
        assert_eq!(core::mem::size_of::<Slot<crate::ErasedGc>>(), 16);
    }

    #[test]
    fn a_slot_at_the_last_generation_is_retired() {
        let shard = Shard::new();
        let (slot, _) = shard.pin(1_u8, 1, 0).unwrap();
        shard.set_generation(slot, MAX_GENERATION);
        assert_eq!(shard.unpin(slot, MAX_GENERATION, 0), Some(1));
        let (next, _) = shard.pin(2, 1, 0).unwrap();
        assert_ne!(next, slot, "the retired slot is not reused");
        assert!(shard.with_live(slot, MAX_GENERATION, |_| ()).is_none());
    }

    #[test]
    #[cfg_attr(miri, ignore = "a million slots are too slow under Miri")]
    fn a_full_shard_hands_the_value_back() {
        let shard = Shard::new();
        for i in 0..SHARD_SLOTS {
            shard.pin(i, 1, 0).unwrap();
        }
        assert_eq!(shard.pin(7, 1, 0), Err(7));
        assert_eq!(shard.len(), SHARD_SLOTS);
    }
}
