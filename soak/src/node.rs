//! The soak's graph node and the process-wide counters its destructor keeps.
//!
//! A node carries a [`Probe`]: its id, a payload derived from the id, and a
//! state word. Every walk checks all three, so a node that was freed while
//! reachable, corrupted, or reached through a slot reused by another object
//! shows up as a failed check; the probe's destructor counts drops and
//! catches a second drop of the same node.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU32};

use rudo_gc::{Gc, GcFree, GcMutex, Trace};

/// Edges per node at most.
pub(crate) const MAX_EDGES: usize = 4;

/// A probe's state while its node is alive.
const ALIVE: u32 = 0xA11F_E5ED;
/// A probe's state once its destructor ran.
const DEAD: u32 = 0xDEAD_10CC;

/// Counters shared by every node of the process.
///
/// Ordering: Relaxed throughout. The totals are compared after every
/// thread has been joined, which orders them; a check of an id against
/// `created` sees the increment, which happened before the node was made
/// and handed over (through a lock, a channel or a collection).
pub(crate) struct Counters {
    /// Ids handed out (also: nodes created).
    pub(crate) created: AtomicU64,
    /// Nodes whose destructor ran.
    pub(crate) dropped: AtomicU64,
    /// Set when a destructor found its probe corrupted or already dead.
    pub(crate) corrupt: AtomicBool,
}

/// The one set of counters ([`crate::run`] runs one soak at a time).
pub(crate) static COUNTERS: Counters = Counters {
    created: AtomicU64::new(0),
    dropped: AtomicU64::new(0),
    corrupt: AtomicBool::new(false),
};

/// The payload the node with id `id` carries.
pub(crate) fn checksum(id: u64) -> u64 {
    id.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ 0x5EED
}

/// What a node knows about itself, checked on every visit. It holds no
/// `Gc`, so its destructor may do as it likes.
#[derive(GcFree)]
pub(crate) struct Probe {
    id: u64,
    payload: u64,
    state: AtomicU32,
}

impl Drop for Probe {
    fn drop(&mut self) {
        // Ordering: Relaxed (`Counters`; the state word is this node's own,
        // and a concurrent reader is the bug this catches).
        if self.state.swap(DEAD, Relaxed) != ALIVE || self.payload != checksum(self.id) {
            COUNTERS.corrupt.store(true, Relaxed);
        }
        COUNTERS.dropped.fetch_add(1, Relaxed);
    }
}

/// A node of the shared graph: a probe and up to [`MAX_EDGES`] edges.
#[derive(Trace)]
pub(crate) struct Node {
    #[gc(skip)]
    probe: Probe,
    pub(crate) edges: GcMutex<Vec<Gc<Node>>>,
}

impl Node {
    /// A new node with a fresh id and the given edges.
    pub(crate) fn new(edges: Vec<Gc<Node>>) -> Gc<Node> {
        debug_assert!(edges.len() <= MAX_EDGES);
        let id = COUNTERS.created.fetch_add(1, Relaxed);
        Gc::new(Node {
            probe: Probe {
                id,
                payload: checksum(id),
                state: AtomicU32::new(ALIVE),
            },
            edges: GcMutex::new(edges),
        })
    }

    /// The node's id.
    pub(crate) fn id(&self) -> u64 {
        self.probe.id
    }

    /// Panics unless the node is intact and not dropped: the soak's
    /// continuous checksum.
    pub(crate) fn check(&self) -> u64 {
        let state = self.probe.state.load(Relaxed);
        assert_eq!(
            state, ALIVE,
            "node {} is reachable but its state is {state:#x} (dropped or overwritten)",
            self.probe.id
        );
        assert_eq!(
            self.probe.payload,
            checksum(self.probe.id),
            "node {} is corrupted",
            self.probe.id
        );
        assert!(
            self.probe.id < COUNTERS.created.load(Relaxed),
            "node id {} was never handed out",
            self.probe.id
        );
        self.probe.payload
    }
}

/// Nodes created and not dropped yet.
pub(crate) fn outstanding() -> u64 {
    COUNTERS
        .created
        .load(Relaxed)
        .saturating_sub(COUNTERS.dropped.load(Relaxed))
}
