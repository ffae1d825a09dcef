//! `RootTicket` and `StaleTicket`: an 8-byte name for a pinned value.
//!
//! ```text
//!  63            48 47                              24 23                 0
//!  +---------------+----------------------------------+-------------------+
//!  | table id (16) | slot index (24): shard 4 | 20    | generation (24)   |
//!  +---------------+----------------------------------+-------------------+
//! ```
//!
//! - The table id is never 0, so `from_bits(0)` is stale for every table.
//!   Ids of dropped tables are reused only with generations above every one
//!   the dropped table issued (`table::IdPool`), so a ticket of a dropped
//!   table never names a value of the table that inherited its id.
//! - The generation of a slot changes on every unpin; a slot whose
//!   generation would pass [`MAX_GENERATION`] is retired, never reused.

use core::fmt;

/// Bits of the generation.
pub(crate) const GENERATION_BITS: u32 = 24;
/// Bits of the slot index (shard and slot within it).
pub(crate) const INDEX_BITS: u32 = 24;
/// Bits of the slot index that select the shard.
pub(crate) const SHARD_BITS: u32 = 4;
/// Shards per table.
pub(crate) const SHARDS: usize = 1 << SHARD_BITS;
/// Slots per shard.
pub(crate) const SHARD_SLOTS: usize = 1 << (INDEX_BITS - SHARD_BITS);
/// The largest generation a slot may carry.
pub(crate) const MAX_GENERATION: u32 = (1 << GENERATION_BITS) - 1;
/// The largest table id.
pub(crate) const MAX_TABLE_ID: u32 = (1 << (64 - INDEX_BITS - GENERATION_BITS)) - 1;

/// The name of a value pinned in a [`RootTable`](super::RootTable): 8 bytes,
/// `Copy`, storable anywhere (a C struct, a message, an index of a
/// JavaScript-style object table).
///
/// A ticket stays valid until its value is unpinned; after that it is
/// *stale*, and every use reports [`StaleTicket`], even once the slot holds
/// another value. It never names a value of another table. Cross an FFI
/// boundary with [`to_bits`](RootTicket::to_bits) and
/// [`from_bits`](RootTicket::from_bits): any `u64` given back, garbage
/// included, is either a live ticket of the table or stale.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RootTicket(u64);

const _: () = assert!(core::mem::size_of::<RootTicket>() == 8);

impl RootTicket {
    pub(crate) fn new(table: u32, shard: usize, slot: usize, generation: u32) -> RootTicket {
        debug_assert!(table != 0 && table <= MAX_TABLE_ID);
        debug_assert!(shard < SHARDS && slot < SHARD_SLOTS && generation <= MAX_GENERATION);
        let index = ((shard << (INDEX_BITS - SHARD_BITS)) | slot) as u64;
        RootTicket(
            (u64::from(table) << (INDEX_BITS + GENERATION_BITS))
                | (index << GENERATION_BITS)
                | u64::from(generation),
        )
    }

    /// The id of the table that issued it (or that it claims).
    pub(crate) fn table(self) -> u32 {
        (self.0 >> (INDEX_BITS + GENERATION_BITS)) as u32
    }

    /// The shard of its slot.
    pub(crate) fn shard(self) -> usize {
        (self.0 >> (GENERATION_BITS + INDEX_BITS - SHARD_BITS)) as usize & (SHARDS - 1)
    }

    /// Its slot within the shard.
    pub(crate) fn slot(self) -> usize {
        (self.0 >> GENERATION_BITS) as usize & (SHARD_SLOTS - 1)
    }

    /// The generation its slot had when it was issued.
    pub(crate) fn generation(self) -> u32 {
        self.0 as u32 & MAX_GENERATION
    }

    /// The ticket as an integer, for storage outside Rust.
    pub const fn to_bits(self) -> u64 {
        self.0
    }

    /// A ticket from an integer that [`to_bits`](RootTicket::to_bits)
    /// returned. Any integer is accepted: one that is not a live ticket of
    /// the table it is used with is reported as [`StaleTicket`].
    pub const fn from_bits(bits: u64) -> RootTicket {
        RootTicket(bits)
    }
}

impl fmt::Debug for RootTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RootTicket")
            .field("table", &self.table())
            .field(
                "index",
                &((self.shard() << (INDEX_BITS - SHARD_BITS)) | self.slot()),
            )
            .field("generation", &self.generation())
            .finish()
    }
}

/// The error of an operation given a ticket whose value is no longer pinned:
/// it was unpinned (perhaps with the slot reused since), the ticket belongs
/// to another table, or the integer it came from was never a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StaleTicket(pub(crate) RootTicket);

impl StaleTicket {
    /// The ticket that was stale.
    pub fn ticket(&self) -> RootTicket {
        self.0
    }
}

impl fmt::Display for StaleTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "stale root ticket {:#018x}: its value was unpinned, or it belongs to another \
             RootTable (or is not a ticket at all); pin the value again for a new ticket",
            self.0.0
        )
    }
}

impl std::error::Error for StaleTicket {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_through_the_bits() {
        for (table, shard, slot, generation) in [
            (1, 0, 0, 1),
            (MAX_TABLE_ID, SHARDS - 1, SHARD_SLOTS - 1, MAX_GENERATION),
            (77, 5, 12_345, 999),
        ] {
            let t = RootTicket::new(table, shard, slot, generation);
            let back = RootTicket::from_bits(t.to_bits());
            assert_eq!(back, t);
            assert_eq!(
                (back.table(), back.shard(), back.slot(), back.generation()),
                (table, shard, slot, generation)
            );
        }
        assert_eq!(RootTicket::from_bits(0).table(), 0, "no table has id 0");
    }
}
