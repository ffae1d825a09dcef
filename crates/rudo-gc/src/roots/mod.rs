//! Explicit roots for embedders: values kept alive by an 8-byte ticket
//! instead of a `Gc` the holder keeps, and raw words scanned conservatively.
//!
//! - [`RootTable`] / [`RootTicket`]: counted roots behind generation-checked
//!   tickets (below).
//! - [`MutatorSection`] / [`ConservativeRegion`]: words (an interpreter's
//!   value stack of raw addresses, an FFI buffer) that keep alive whatever
//!   they point into, written with plain stores between safepoints.
//!
//! A [`RootTable`] pins values (a `Gc<T>`, an interpreter's `Value` enum,
//! anything [`Trace`](crate::Trace)) and hands back a [`RootTicket`]: `Copy`,
//! 8 bytes, convertible to a `u64` and back, so it can live in a C struct, a
//! message or an interpreter's object table. Every use of a ticket whose
//! value was unpinned (or of another table, or of garbage bits) reports
//! [`StaleTicket`]; it never reaches another value.
//!
//! # Examples
//!
//! An interpreter's host API keeps script values alive for native code:
//!
//! ```
//! use rudo_gc::roots::{RootTable, RootTicket};
//! use rudo_gc::{Gc, Trace};
//!
//! #[derive(Trace, Clone)]
//! enum Value {
//!     Int(i64),
//!     Str(Gc<str>),
//! }
//!
//! let host = RootTable::new();
//! let name = host.pin(Value::Str(Gc::from("greeting")));
//! let handle: u64 = name.to_bits(); // given to native code
//!
//! rudo_gc::collect();
//! let back = RootTicket::from_bits(handle);
//! assert!(matches!(host.get(back), Some(Value::Str(s)) if &*s == "greeting"));
//! host.replace(back, Value::Int(42)).unwrap(); // the same ticket, a new value
//! assert!(matches!(host.unpin(back), Ok(Value::Int(42))));
//! assert!(host.unpin(back).is_err(), "unpinned already: stale");
//! assert!(host.get(RootTicket::from_bits(0xdead_beef)).is_none());
//! ```

// Under `cfg(loom)` only the shard protocol and its models are built.
#[cfg(all(test, loom))]
mod loom_models;
#[cfg(not(loom))]
mod region;
#[cfg(not(loom))]
pub(crate) mod registry;
#[cfg(not(loom))]
mod section;
#[cfg_attr(loom, allow(dead_code))]
mod shard;
#[cfg(not(loom))]
mod table;
#[cfg_attr(loom, allow(dead_code, unreachable_pub))]
mod ticket;

#[cfg(not(loom))]
pub use region::ConservativeRegion;
#[cfg(not(loom))]
pub(crate) use region::RegionEntry;
#[cfg(not(loom))]
pub use section::MutatorSection;
#[cfg(not(loom))]
pub use table::RootTable;
#[cfg(not(loom))]
pub use ticket::{RootTicket, StaleTicket};
