//! Mutators: every thread that uses the heap has a registered record the
//! collector coordinates with (architecture, section 4).
//!
//! - [`handshake`]: the heap-operation protocol, a small state machine
//!   model-checked with `loom` (`cargo xtask loom`).
//! - `record`: the per-thread record (operation flag, thread heap, handle
//!   slots, pending destruction work).
//! - `current`: the calling thread's record (created on its first heap
//!   operation, removed by a thread-local destructor), and the entry points
//!   [`op`] and [`heap_op`] that bracket every heap operation.
//! - [`section`]: mutator sections (the thread's long operation for
//!   conservative regions).
//!
//! Under `cfg(loom)` only the handshake is built, with the models.

pub(crate) mod handshake;
#[cfg(all(test, loom))]
mod loom_models;

#[cfg(not(loom))]
mod current;
#[cfg(not(loom))]
mod record;
#[cfg(not(loom))]
pub(crate) mod section;

#[cfg(not(loom))]
pub(crate) use current::{
    Role, RoleGuard, current, exited, has_attention, heap_op, light_fence_available,
    mark_root_released, op, registered, release, take_teardown_dirty,
};
#[cfg(not(loom))]
pub(crate) use record::{
    BUDGET_SPENT, COLLECTION_DUE, Mutator, SECTION_YIELD, VALUES_DUE, VALUES_PENDING,
};

/// The process's one world: the flag a collector raises and mutators check.
#[cfg(not(loom))]
pub(crate) static WORLD: handshake::World = handshake::World::new();

/// Waits until no collection holds the world (`World::wait`), counting the
/// time in `GcStats::mutator_wait`. Every mutator wait goes through here.
#[cfg(not(loom))]
pub(crate) fn wait_for_world() {
    let waiting = std::time::Instant::now();
    WORLD.wait();
    crate::gc::stats::note_mutator_wait(waiting.elapsed());
}
