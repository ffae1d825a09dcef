//! The two-thread program: operations split between two threads on one
//! shared graph, its executor and its model.
//!
//! A program is a list of steps, each an operation for the first or the
//! second thread. `Barrier` steps cut it into segments. Within a segment both threads
//! run their own operations at the same time, for real: either may collect
//! while the other allocates, links, drops or pins. Between segments both
//! threads stop, one collects, both drop the dead values waiting for them,
//! and the whole state is checked against the model; values a thread
//! shared are handed to the other thread there.
//!
//! What keeps the model exact while both threads run: a node's edges are
//! written only by the thread that created it (its *owner*), through a
//! `GcMutex`, so each thread models its own nodes. A thread may link its
//! nodes to any node it holds, including the other thread's.
//!
//! Checked:
//!
//! - during a segment, after a thread's own collection: every node reachable
//!   from its roots is intact and not dropped, and its own nodes' edges
//!   match its model (the other thread's edges may be changing; they are
//!   followed under their lock, which keeps what they lead to alive);
//! - at every barrier and at the end: everything reachable from both
//!   threads' roots (their `Gc`s, root-table tickets and values in transit)
//!   is intact with the model's edges; everything else was dropped exactly
//!   once, on the thread that allocated it; `upgrade` agrees with the model.

use std::collections::HashSet;
use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::thread::{self, ThreadId};

use arbitrary::Arbitrary;
use rudo_gc::roots::{RootTable, RootTicket};
use rudo_gc::{Gc, GcFree, GcMutex, Trace, Weak};

/// Children per node.
const ARITY: usize = 2;

/// One operation of one thread. Indices are taken modulo the length of
/// what they index (an empty list makes the operation a no-op), so every
/// input is a valid program.
#[derive(Arbitrary, Debug, Clone)]
pub enum Op {
    /// A new node owned by this thread (a new root).
    Alloc {
        /// Its payload.
        payload: u32,
        /// Whether its destructor allocates and drops a `Gc`.
        allocates_in_drop: bool,
    },
    /// `roots[from].children[slot] = Some(roots[to])`, if `roots[from]` is
    /// this thread's node (a no-op otherwise).
    Link {
        /// The root whose node gets the edge.
        from: u8,
        /// The root it points to.
        to: u8,
        /// Which child slot.
        slot: u8,
    },
    /// `roots[from].children[slot] = None`, if it is this thread's node.
    Unlink {
        /// The root whose node loses the edge.
        from: u8,
        /// Which child slot.
        slot: u8,
    },
    /// Pushes a root for a root's child, if it has one (any node's).
    Follow {
        /// The root.
        of: u8,
        /// Which child slot.
        slot: u8,
    },
    /// Pushes a clone of a root.
    Clone {
        /// The root.
        root: u8,
    },
    /// Drops a root.
    Drop {
        /// The root.
        root: u8,
    },
    /// Makes a `Weak` of a root.
    Downgrade {
        /// The root.
        root: u8,
    },
    /// Upgrades a `Weak`; a success is a new root.
    Upgrade {
        /// The weak reference.
        weak: u8,
    },
    /// Pins a root in the shared root table.
    Pin {
        /// The root.
        root: u8,
    },
    /// Unpins one of this thread's tickets.
    Unpin {
        /// The ticket.
        ticket: u8,
    },
    /// Sends a clone of a root to the other thread (it arrives at the next
    /// barrier).
    Share {
        /// The root.
        root: u8,
    },
    /// Takes a value the other thread sent (a new root).
    Take {
        /// Which one.
        index: u8,
    },
    /// `rudo_gc::collect()` while the other thread runs.
    Collect,
    /// `rudo_gc::collect_minor()` while the other thread runs.
    CollectMinor,
    /// `rudo_gc::safepoint()`.
    Safepoint,
    /// Ends the segment: both threads stop and the state is checked.
    Barrier,
}

/// One step of the program.
#[derive(Arbitrary, Debug, Clone)]
pub struct Step {
    /// Which thread runs it (`false`: thread 0).
    pub second_thread: bool,
    /// What it runs.
    pub op: Op,
}

/// A node's global id: its owner thread and its index among the owner's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, GcFree)]
struct Id {
    thread: usize,
    index: usize,
}

/// Destructor runs of every node of a run, and the threads they ran on.
#[derive(GcFree)]
struct Log {
    drops: [Box<[AtomicU32]>; 2],
    threads: [ThreadId; 2],
    wrong_thread: AtomicU32,
}

/// Records the destruction of the node it is part of.
#[derive(GcFree)]
struct Probe {
    id: Id,
    log: Arc<Log>,
    allocates_in_drop: bool,
}

impl Drop for Probe {
    fn drop(&mut self) {
        let Id { thread, index } = self.id;
        // Ordering (the log): SeqCst; read after barriers anyway.
        self.log.drops[thread][index].fetch_add(1, SeqCst);
        if thread::current().id() != self.log.threads[thread] {
            self.log.wrong_thread.fetch_add(1, SeqCst);
        }
        if self.allocates_in_drop {
            drop(Gc::new(index as u64));
        }
    }
}

/// A node of the shared graph.
#[derive(Trace)]
struct Node {
    #[gc(skip)]
    probe: Probe,
    #[gc(skip)]
    payload: u64,
    children: GcMutex<[Option<Gc<Node>>; ARITY]>,
}

impl Node {
    fn id(&self) -> Id {
        self.probe.id
    }
}

/// The model of one node: its payload and its edges.
#[derive(Clone, Debug)]
struct ModelNode {
    payload: u64,
    children: [Option<Id>; ARITY],
}

/// One thread's state: its model and what it holds.
#[derive(Default)]
struct Side {
    /// Its own nodes, by index.
    model: Vec<ModelNode>,
    roots: Vec<(Gc<Node>, Id)>,
    weaks: Vec<(Weak<Node>, Id)>,
    tickets: Vec<(RootTicket, Id)>,
    /// Sent, to be handed over at the next barrier.
    outbox: Vec<(Gc<Node>, Id)>,
    /// Received, to be taken.
    inbox: Vec<(Gc<Node>, Id)>,
}

/// What both threads share.
struct World {
    sides: [Mutex<Side>; 2],
    table: RootTable<Gc<Node>>,
    log: Arc<Log>,
    barrier: Rendezvous,
}

/// A two-thread barrier that a failing thread breaks, so that the other
/// one fails too instead of waiting forever (libFuzzer would report a
/// timeout, not the failure).
#[derive(Default)]
struct Rendezvous {
    state: Mutex<(u64, usize, bool)>,
    changed: Condvar,
}

impl Rendezvous {
    /// Waits for the other thread; panics if it failed.
    fn wait(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (generation, _, _) = *state;
        state.1 += 1;
        if state.1 == 2 {
            *state = (generation + 1, 0, state.2);
            self.changed.notify_all();
        } else {
            state = self
                .changed
                .wait_while(state, |s| s.0 == generation && !s.2)
                .unwrap_or_else(|e| e.into_inner());
        }
        assert!(!state.2, "the other thread failed");
    }

    /// Breaks the barrier for good.
    fn break_it(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).2 = true;
        self.changed.notify_all();
    }
}

/// Breaks the barrier if its thread unwinds.
struct BreakOnPanic<'a>(&'a Rendezvous);

impl Drop for BreakOnPanic<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.break_it();
        }
    }
}

/// A side's lock (a failed thread's poison is the barrier's business).
fn lock(side: &Mutex<Side>) -> std::sync::MutexGuard<'_, Side> {
    side.lock().unwrap_or_else(|e| e.into_inner())
}

fn pick<T>(items: &[T], i: u8) -> Option<usize> {
    (!items.is_empty()).then(|| i as usize % items.len())
}

/// Decodes a program from raw bytes: steps one after another until the
/// bytes run out (every input is a program).
pub fn decode(data: &[u8]) -> Vec<Step> {
    let mut u = arbitrary::Unstructured::new(data);
    let mut steps = Vec::new();
    while !u.is_empty() {
        match Step::arbitrary(&mut u) {
            Ok(step) => steps.push(step),
            Err(_) => break,
        }
    }
    steps
}

/// Runs `steps` on two threads against the model; panics on any
/// disagreement (a panic on the second thread is re-raised on the caller).
pub fn run(steps: &[Step]) {
    // Cut into segments: each thread's operations between two barriers.
    let mut segments: Vec<[Vec<Op>; 2]> = vec![Default::default()];
    for step in steps {
        if matches!(step.op, Op::Barrier) {
            segments.push(Default::default());
        } else {
            let segment = segments.last_mut().expect("at least one segment");
            segment[usize::from(step.second_thread)].push(step.op.clone());
        }
    }
    let allocs = |second: bool| {
        steps
            .iter()
            .filter(|s| s.second_thread == second && matches!(s.op, Op::Alloc { .. }))
            .count()
    };
    let counters = |n: usize| (0..n).map(|_| AtomicU32::new(0)).collect::<Box<[_]>>();
    let drops = [counters(allocs(false)), counters(allocs(true))];
    let segments = &segments;

    thread::scope(|scope| {
        let (send, receive) = mpsc::channel::<Arc<World>>();
        let second = scope.spawn(move || {
            let world = receive.recv().expect("the first thread sends the world");
            execute(&world, 1, segments);
        });
        let log = Arc::new(Log {
            drops,
            threads: [thread::current().id(), second.thread().id()],
            wrong_thread: AtomicU32::new(0),
        });
        let world = Arc::new(World {
            sides: Default::default(),
            table: RootTable::new(),
            log,
            barrier: Rendezvous::default(),
        });
        send.send(world.clone()).expect("the second thread waits");
        execute(&world, 0, segments);
        if let Err(panic) = second.join() {
            std::panic::resume_unwind(panic);
        }
    });
}

/// One thread's part: its operations of every segment, the checks at
/// every barrier, and the end (everything dropped exactly once).
fn execute(world: &World, me: usize, segments: &[[Vec<Op>; 2]]) {
    let _break = BreakOnPanic(&world.barrier);
    for segment in segments {
        {
            let mut side = lock(&world.sides[me]);
            for op in &segment[me] {
                step(world, me, &mut side, op);
            }
        }
        barrier(world, me);
    }
    // The end: everything goes.
    {
        let mut side = lock(&world.sides[me]);
        for (ticket, _) in side.tickets.drain(..) {
            world.table.unpin(ticket).expect("a pinned ticket unpins");
        }
        side.roots.clear();
        side.outbox.clear();
        side.inbox.clear();
    }
    barrier(world, me);
    if me == 0 {
        let all = |n: u32| {
            world
                .log
                .drops
                .iter()
                .all(|d| d.iter().all(|c| c.load(SeqCst) == n))
        };
        assert!(all(1), "every node dropped once at the end");
    }
}

/// Both threads stop; collections and sweeps until everything unreachable
/// must be gone; thread 0 checks both sides; the mail is handed over.
///
/// A value a collection found dead and left for its thread still holds its
/// `Gc`s until that thread drops it, so what only it refers to survives the
/// next collection (`collect`'s documentation; the fuzzer found this when
/// the model did not allow for it, `tests/regressions/threads-138d4dfe.bin`).
/// So both threads first drop what earlier collections left them. One more
/// collection and sweep after the first covers a collection that started
/// in between (thread 0's allocation budget can run out in a destructor
/// its sweep runs) and left values for thread 1 again.
fn barrier(world: &World, me: usize) {
    world.barrier.wait();
    rudo_gc::sweep_pending();
    for _ in 0..2 {
        world.barrier.wait();
        if me == 0 {
            rudo_gc::collect();
        }
        world.barrier.wait();
        rudo_gc::sweep_pending();
    }
    world.barrier.wait();
    if me == 0 {
        let mut a = lock(&world.sides[0]);
        let mut b = lock(&world.sides[1]);
        check_full(world, [&a, &b]);
        let to_b = std::mem::take(&mut a.outbox);
        let to_a = std::mem::take(&mut b.outbox);
        a.inbox.extend(to_a);
        b.inbox.extend(to_b);
    }
    world.barrier.wait();
}

/// Runs one operation of thread `me`.
fn step(world: &World, me: usize, side: &mut Side, op: &Op) {
    match *op {
        Op::Alloc {
            payload,
            allocates_in_drop,
        } => {
            let id = Id {
                thread: me,
                index: side.model.len(),
            };
            side.model.push(ModelNode {
                payload: payload.into(),
                children: [None; ARITY],
            });
            let node = Gc::new(Node {
                probe: Probe {
                    id,
                    log: world.log.clone(),
                    allocates_in_drop,
                },
                payload: payload.into(),
                children: GcMutex::new([None, None]),
            });
            side.roots.push((node, id));
        }
        Op::Link { from, to, slot } => {
            if let (Some(f), Some(t)) = (pick(&side.roots, from), pick(&side.roots, to)) {
                let (node, id) = side.roots[f].clone();
                if id.thread == me {
                    let slot = slot as usize % ARITY;
                    let (target, target_id) = side.roots[t].clone();
                    let old = node.children.lock()[slot].replace(target);
                    drop(old);
                    side.model[id.index].children[slot] = Some(target_id);
                }
            }
        }
        Op::Unlink { from, slot } => {
            if let Some(f) = pick(&side.roots, from) {
                let (node, id) = side.roots[f].clone();
                if id.thread == me {
                    let slot = slot as usize % ARITY;
                    let old = node.children.lock()[slot].take();
                    drop(old);
                    side.model[id.index].children[slot] = None;
                }
            }
        }
        Op::Follow { of, slot } => {
            if let Some(r) = pick(&side.roots, of) {
                let child = side.roots[r].0.children.lock()[slot as usize % ARITY].clone();
                if let Some(child) = child {
                    let id = child.id();
                    side.roots.push((child, id));
                }
            }
        }
        Op::Clone { root } => {
            if let Some(r) = pick(&side.roots, root) {
                let clone = side.roots[r].clone();
                side.roots.push(clone);
            }
        }
        Op::Drop { root } => {
            if let Some(r) = pick(&side.roots, root) {
                drop(side.roots.swap_remove(r));
            }
        }
        Op::Downgrade { root } => {
            if let Some(r) = pick(&side.roots, root) {
                let (gc, id) = &side.roots[r];
                side.weaks.push((Gc::downgrade(gc), *id));
            }
        }
        Op::Upgrade { weak } => {
            if let Some(w) = pick(&side.weaks, weak) {
                let id = side.weaks[w].1;
                if let Some(gc) = side.weaks[w].0.upgrade() {
                    assert_eq!(gc.id(), id, "a Weak upgrades to another node");
                    check_live(world, me, side, &gc);
                    side.roots.push((gc, id));
                }
            }
        }
        Op::Pin { root } => {
            if let Some(r) = pick(&side.roots, root) {
                let (gc, id) = side.roots[r].clone();
                side.tickets.push((world.table.pin(gc), id));
            }
        }
        Op::Unpin { ticket } => {
            if let Some(t) = pick(&side.tickets, ticket) {
                let (ticket, id) = side.tickets.swap_remove(t);
                let gc = world.table.unpin(ticket).expect("a pinned ticket unpins");
                assert_eq!(gc.id(), id, "a ticket leads to another node");
                assert!(
                    world.table.unpin(ticket).is_err(),
                    "a second unpin is stale"
                );
            }
        }
        Op::Share { root } => {
            if let Some(r) = pick(&side.roots, root) {
                let sent = side.roots[r].clone();
                side.outbox.push(sent);
            }
        }
        Op::Take { index } => {
            if let Some(i) = pick(&side.inbox, index) {
                let taken = side.inbox.swap_remove(i);
                side.roots.push(taken);
            }
        }
        Op::Collect | Op::CollectMinor | Op::Safepoint => {
            match op {
                Op::Collect => rudo_gc::collect(),
                Op::CollectMinor => rudo_gc::collect_minor(),
                _ => rudo_gc::safepoint(),
            }
            let roots: Vec<Gc<Node>> = side.roots.iter().map(|r| r.0.clone()).collect();
            for root in &roots {
                check_live(world, me, side, root);
            }
        }
        Op::Barrier => unreachable!("barriers cut segments"),
    }
}

/// While the other thread runs: `node` and everything reachable from it is
/// intact and not dropped, and this thread's nodes' edges match its model.
fn check_live(world: &World, me: usize, side: &Side, node: &Gc<Node>) {
    check_subgraph(world, node, |id| {
        (id.thread == me).then(|| &side.model[id.index])
    });
}

/// Walks the subgraph of `node`: every node is not dropped, and those
/// `model` knows (it may not know the other thread's while it runs) have
/// the model's payload and edges. Children are cloned under their lock:
/// what they lead to stays alive while it is checked, whatever their owner
/// does meanwhile.
fn check_subgraph<'a>(world: &World, node: &Gc<Node>, model: impl Fn(Id) -> Option<&'a ModelNode>) {
    let mut seen = HashSet::new();
    let mut work = vec![node.clone()];
    while let Some(n) = work.pop() {
        let id = n.id();
        if !seen.insert((id.thread, id.index)) {
            continue;
        }
        assert_eq!(
            world.log.drops[id.thread][id.index].load(SeqCst),
            0,
            "node {id:?} is reachable but was dropped"
        );
        let children = n.children.lock().clone();
        if let Some(model) = model(id) {
            assert_eq!(n.payload, model.payload, "node {id:?}: payload corrupted");
            for (slot, child) in children.iter().enumerate() {
                assert_eq!(
                    child.as_ref().map(|c| c.id()),
                    model.children[slot],
                    "node {id:?}: child {slot} differs from the model"
                );
            }
        }
        work.extend(children.into_iter().flatten());
    }
}

/// At a barrier, after a collection and both threads' sweeps: the
/// reachable part matches the model, the rest was dropped exactly once on
/// its own thread, and `upgrade` agrees.
fn check_full(world: &World, sides: [&Side; 2]) {
    let model = |id: Id| &sides[id.thread].model[id.index];
    let mut reachable = [
        vec![false; sides[0].model.len()],
        vec![false; sides[1].model.len()],
    ];
    let mut work: Vec<Id> = sides
        .iter()
        .flat_map(|s| {
            s.roots
                .iter()
                .chain(&s.outbox)
                .chain(&s.inbox)
                .map(|r| r.1)
                .chain(s.tickets.iter().map(|t| t.1))
        })
        .collect();
    while let Some(id) = work.pop() {
        if !std::mem::replace(&mut reachable[id.thread][id.index], true) {
            work.extend(model(id).children.iter().flatten());
        }
    }
    for (side, s) in sides.iter().enumerate() {
        for (gc, id) in s.roots.iter().chain(&s.outbox).chain(&s.inbox) {
            assert_eq!(gc.id(), *id, "side {side}: a root leads to another node");
            check_stable(world, sides, gc);
        }
        for &(ticket, id) in &s.tickets {
            let gc = world
                .table
                .get(ticket)
                .expect("a pinned ticket names its node");
            assert_eq!(gc.id(), id, "side {side}: a ticket leads to another node");
            check_stable(world, sides, &gc);
        }
    }
    for (thread, drops) in world.log.drops.iter().enumerate() {
        for (index, n) in drops.iter().enumerate().take(sides[thread].model.len()) {
            let n = n.load(SeqCst);
            assert_eq!(
                n,
                u32::from(!reachable[thread][index]),
                "node {:?}: reachable {}, dropped {n} times after a collection",
                Id { thread, index },
                reachable[thread][index]
            );
        }
    }
    assert_eq!(
        world.log.wrong_thread.load(SeqCst),
        0,
        "a node was dropped on a thread other than its own"
    );
    for s in sides {
        for (weak, id) in &s.weaks {
            assert_eq!(
                weak.upgrade().is_some(),
                reachable[id.thread][id.index],
                "upgrade of node {id:?}"
            );
        }
    }
}

/// With both threads stopped: `node` and its subgraph match the model.
fn check_stable(world: &World, sides: [&Side; 2], node: &Gc<Node>) {
    check_subgraph(world, node, |id| Some(&sides[id.thread].model[id.index]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_that_fails_breaks_the_barrier_for_the_other() {
        let barrier = Rendezvous::default();
        thread::scope(|scope| {
            let failing = scope.spawn(|| {
                let _break = BreakOnPanic(&barrier);
                barrier.wait();
                panic!("a check failed");
            });
            let waiting = scope.spawn(|| {
                barrier.wait();
                // The failing thread never arrives here.
                barrier.wait();
            });
            assert!(failing.join().is_err());
            let panic = waiting.join().expect_err("the waiting thread fails too");
            assert_eq!(
                panic.downcast_ref::<&str>(),
                Some(&"the other thread failed")
            );
        });
    }
}
