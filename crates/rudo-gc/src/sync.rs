//! The one place the core takes its synchronisation primitives from.
//!
//! Two families:
//!
//! - [`raw`]: atomics that live *inside heap memory* (page headers, object
//!   headers, bitmaps) or in `static` tables. They are cast from raw bytes, so
//!   they must be the plain `core` atomics even under `loom`.
//! - The protocol primitives re-exported at this module's top level: the
//!   mutator/collector handshake state. Under `cfg(loom)` they come from
//!   `loom`, so the thread protocol can be model-checked. Model: tokio's
//!   `tokio/src/loom/mod.rs`.

/// Atomics embedded in heap memory or statics; never switched to `loom`.
pub(crate) mod raw {
    pub(crate) use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
}

#[cfg(not(loom))]
#[allow(unused_imports)]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

#[cfg(loom)]
#[allow(unused_imports)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
