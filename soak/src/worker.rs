//! One soak worker: the operations a thread or a task runs on the shared
//! graph, each checking what it touches.

use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rudo_gc::roots::{RootTable, RootTicket};
use rudo_gc::{Gc, Weak, handles};

use crate::node::{MAX_EDGES, Node, outstanding};

/// What every worker shares.
pub(crate) struct Shared {
    /// The graph's entry points, never replaced: everything reachable from
    /// them is live, everything else garbage.
    pub(crate) anchors: Vec<Gc<Node>>,
    /// Tickets the workers pin nodes with.
    pub(crate) table: RootTable<Gc<Node>>,
    /// Set when the soak's time is up (or it failed). Relaxed: a request to
    /// stop soon; what the workers did is read after they are joined.
    pub(crate) stop: AtomicBool,
    /// Above this many outstanding nodes, growing replaces edges instead of
    /// adding them, which bounds the live graph.
    pub(crate) max_live: u64,
}

impl Shared {
    /// Anchors linked into a ring: the graph is cyclic from the start.
    pub(crate) fn new(anchors: usize, max_live: u64) -> Shared {
        let anchors: Vec<Gc<Node>> = (0..anchors.max(1)).map(|_| Node::new(Vec::new())).collect();
        for (i, anchor) in anchors.iter().enumerate() {
            anchor
                .edges
                .lock()
                .push(anchors[(i + 1) % anchors.len()].clone());
        }
        Shared {
            anchors,
            table: RootTable::new(),
            stop: AtomicBool::new(false),
            max_live,
        }
    }
}

/// Operations run and nodes checked by one worker.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Tally {
    pub(crate) ops: u64,
    pub(crate) checks: u64,
}

impl Tally {
    pub(crate) fn add(&mut self, other: Tally) {
        self.ops += other.ops;
        self.checks += other.checks;
    }
}

/// Tickets a worker holds at most.
const TICKETS: usize = 32;
/// `Weak`s a worker holds at most.
const WEAKS: usize = 16;
/// Nodes a worker holds directly at most.
const HELD: usize = 16;
/// A minor collection every this many operations, per worker.
const MINOR_EVERY: u64 = 4_096;
/// A full collection every this many operations, per worker.
const MAJOR_EVERY: u64 = 65_536;

/// One worker's state: its random source and what it holds.
pub(crate) struct Worker {
    rng: SmallRng,
    tickets: Vec<(RootTicket, u64)>,
    weaks: Vec<(Weak<Node>, u64)>,
    held: Vec<Gc<Node>>,
    pub(crate) tally: Tally,
}

impl Worker {
    pub(crate) fn new(seed: u64) -> Worker {
        Worker {
            rng: SmallRng::seed_from_u64(seed),
            tickets: Vec::new(),
            weaks: Vec::new(),
            held: Vec::new(),
            tally: Tally::default(),
        }
    }

    /// A random walk of up to `steps` edges from a random anchor, checking
    /// every node on the way; returns where it ended.
    pub(crate) fn walk(&mut self, shared: &Shared, steps: usize) -> Gc<Node> {
        let mut node = shared.anchors[self.rng.random_range(0..shared.anchors.len())].clone();
        for _ in 0..steps {
            node.check();
            self.tally.checks += 1;
            let next = {
                let edges = node.edges.lock();
                if edges.is_empty() {
                    break;
                }
                edges[self.rng.random_range(0..edges.len())].clone()
            };
            node = next;
        }
        node.check();
        self.tally.checks += 1;
        node
    }

    /// One random operation, and the periodic collections.
    pub(crate) fn step(&mut self, shared: &Shared) {
        self.tally.ops += 1;
        match self.rng.random_range(0..100) {
            0..30 => self.grow(shared),
            30..40 => self.cut(shared),
            40..58 => {
                let steps = self.rng.random_range(1..32);
                self.walk(shared, steps);
            }
            58..70 => self.garbage(shared),
            70..76 => self.handles(shared),
            76..84 => self.ticket(shared),
            84..92 => self.weak(shared),
            92..97 => self.hold(shared),
            _ => rudo_gc::safepoint(),
        }
        if self.tally.ops.is_multiple_of(MAJOR_EVERY) {
            rudo_gc::collect();
        } else if self.tally.ops.is_multiple_of(MINOR_EVERY) {
            rudo_gc::collect_minor();
        }
    }

    /// A new node with edges into the graph, linked from a walked node;
    /// over the live bound, or with the edges full, it replaces an edge,
    /// making garbage (often cyclic).
    fn grow(&mut self, shared: &Shared) {
        let edges: Vec<Gc<Node>> = (0..self.rng.random_range(0..=2))
            .map(|_| {
                let steps = self.rng.random_range(0..6);
                self.walk(shared, steps)
            })
            .collect();
        let node = Node::new(edges);
        let steps = self.rng.random_range(0..8);
        let target = self.walk(shared, steps);
        let replaced = {
            let mut edges = target.edges.lock();
            if edges.is_empty() || edges.len() < MAX_EDGES && outstanding() < shared.max_live {
                edges.push(node);
                None
            } else {
                let k = self.rng.random_range(0..edges.len());
                Some(core::mem::replace(&mut edges[k], node))
            }
        };
        drop(replaced);
    }

    /// Removes an edge of a walked node (anchors keep their ring edge).
    fn cut(&mut self, shared: &Shared) {
        let steps = self.rng.random_range(1..8);
        let target = self.walk(shared, steps);
        let removed = {
            let mut edges = target.edges.lock();
            if edges.is_empty() {
                None
            } else {
                let k = self.rng.random_range(0..edges.len());
                Some(edges.swap_remove(k))
            }
        };
        drop(removed);
        // A cut anchor ring would leave most of the graph to one anchor;
        // put the ring edge back if this was an anchor's only edge.
        for (i, anchor) in shared.anchors.iter().enumerate() {
            if Gc::ptr_eq(anchor, &target) {
                let mut edges = anchor.edges.lock();
                if edges.is_empty() {
                    edges.push(shared.anchors[(i + 1) % shared.anchors.len()].clone());
                }
            }
        }
    }

    /// A detached ring of fresh nodes, some pointing into the graph, dropped
    /// at once: cyclic garbage for the collector.
    fn garbage(&mut self, shared: &Shared) {
        let n = self.rng.random_range(1..48);
        let ring: Vec<Gc<Node>> = (0..n).map(|_| Node::new(Vec::new())).collect();
        for (i, node) in ring.iter().enumerate() {
            let mut edges = node.edges.lock();
            edges.push(ring[(i + 1) % n].clone());
            if self.rng.random_bool(0.1) {
                let steps = self.rng.random_range(0..4);
                edges.push(self.walk(shared, steps));
            }
        }
        for node in &ring {
            node.check();
        }
        self.tally.checks += n as u64;
    }

    /// Handles to walked nodes held across garbage and a minor collection.
    fn handles(&mut self, shared: &Shared) {
        handles::scope(|scope| {
            let held: Vec<(u64, handles::Handle<'_, Node>)> = (0..4)
                .map(|_| {
                    let node = self.walk(shared, 6);
                    (node.id(), scope.handle(&node))
                })
                .collect();
            self.garbage(shared);
            if self.rng.random_bool(0.05) {
                rudo_gc::collect_minor();
            }
            for (id, handle) in &held {
                assert_eq!(handle.get().id(), *id, "a handle leads to another node");
                handle.get().check();
            }
            self.tally.checks += held.len() as u64;
        });
    }

    /// Pins a walked node, or unpins one of this worker's tickets, checking
    /// that the ticket still leads to its node.
    fn ticket(&mut self, shared: &Shared) {
        if self.tickets.len() < TICKETS && self.rng.random_bool(0.6) {
            let steps = self.rng.random_range(0..10);
            let node = self.walk(shared, steps);
            let id = node.id();
            self.tickets.push((shared.table.pin(node), id));
            return;
        }
        if self.tickets.is_empty() {
            return;
        }
        let k = self.rng.random_range(0..self.tickets.len());
        let (ticket, id) = self.tickets[k];
        if self.rng.random_bool(0.5) {
            let seen = shared
                .table
                .with(ticket, |node| (node.id(), node.check()))
                .expect("a ticket its worker holds is live");
            assert_eq!(seen.0, id, "a ticket leads to another node");
        } else {
            self.tickets.swap_remove(k);
            let node = shared
                .table
                .unpin(ticket)
                .expect("a ticket its worker holds is live");
            assert_eq!(node.id(), id, "a ticket leads to another node");
            node.check();
            assert!(
                shared.table.unpin(ticket).is_err(),
                "an unpinned ticket must be stale"
            );
        }
        self.tally.checks += 1;
    }

    /// Takes a `Weak` of a walked node, or upgrades one: a success must be
    /// the same, intact node.
    fn weak(&mut self, shared: &Shared) {
        if self.weaks.len() < WEAKS && self.rng.random_bool(0.5) {
            let steps = self.rng.random_range(0..12);
            let node = self.walk(shared, steps);
            self.weaks.push((Gc::downgrade(&node), node.id()));
            return;
        }
        if self.weaks.is_empty() {
            return;
        }
        let k = self.rng.random_range(0..self.weaks.len());
        let (weak, id) = self.weaks.swap_remove(k);
        if let Some(node) = weak.upgrade() {
            assert_eq!(node.id(), id, "a Weak upgrades to another node");
            node.check();
            self.tally.checks += 1;
        }
    }

    /// Holds a walked node directly for a while (it may leave the graph
    /// meanwhile; the count keeps it alive).
    fn hold(&mut self, shared: &Shared) {
        if self.held.len() >= HELD {
            let k = self.rng.random_range(0..self.held.len());
            let node = self.held.swap_remove(k);
            node.check();
            self.tally.checks += 1;
            return;
        }
        let steps = self.rng.random_range(0..16);
        let node = self.walk(shared, steps);
        self.held.push(node);
    }

    /// Gives back the worker's tickets and drops what it holds.
    pub(crate) fn finish(mut self, shared: &Shared) -> Tally {
        for (ticket, id) in self.tickets.drain(..) {
            let node = shared
                .table
                .unpin(ticket)
                .expect("a ticket its worker holds is live");
            assert_eq!(node.id(), id, "a ticket leads to another node");
        }
        for node in self.held.drain(..) {
            node.check();
        }
        self.tally
    }
}

/// Whether the soak should stop after `rounds` steps (`None`: run until
/// `stop`).
pub(crate) fn done(shared: &Shared, done_rounds: u64, rounds: Option<u64>) -> bool {
    match rounds {
        Some(n) => done_rounds >= n || shared.stop.load(Relaxed),
        None => shared.stop.load(Relaxed),
    }
}
