//! Several threads on one heap: a shared cyclic graph mutated while another
//! thread collects, threads that block or spin never delay a collection, `Gc`s
//! crossing threads through channels and scopes, values dropped on their home
//! thread, locked `GcMutex`/`GcRwLock` contents kept alive, and a panicking
//! `Trace` that leaves every thread able to carry on.
//!
//! Everything is coordinated with barriers and channels: no sleeps and no
//! timing assertions. Where a test lets threads race (the stress tests), the
//! assertions hold for every interleaving.

use std::collections::HashSet;
use std::marker::PhantomData;
use std::panic::catch_unwind;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier, Mutex, mpsc};
use std::thread::{self, ThreadId};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rudo_gc::{
    Gc, GcCell, GcConfig, GcFree, GcMutex, GcRwLock, Trace, Visitor, Weak, collect, sweep_pending,
};

mod common;
use common::{collect_now, panic_message};

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

/// The payload every value with id `id` must carry: `id * 2654435761 mod 2^32`.
fn checksum(id: usize) -> u32 {
    (id as u64).wrapping_mul(2_654_435_761) as u32
}

/// Records destructor runs: how often each id was dropped, on which thread,
/// and whether a dropped value had a corrupted payload.
#[derive(GcFree)]
struct Log {
    drops: Box<[AtomicU32]>,
    threads: Mutex<Vec<ThreadId>>,
    corrupt: AtomicBool,
}

impl Log {
    /// A log for ids `0..capacity`.
    fn new(capacity: usize) -> Arc<Log> {
        Arc::new(Log {
            drops: (0..capacity).map(|_| AtomicU32::new(0)).collect(),
            threads: Mutex::new(Vec::new()),
            corrupt: AtomicBool::new(false),
        })
    }

    /// Called by the destructor of the value `id` carrying `payload`.
    fn record(&self, id: usize, payload: u32) {
        if payload != checksum(id) {
            self.corrupt.store(true, SeqCst);
        }
        self.drops[id].fetch_add(1, SeqCst);
        self.threads.lock().unwrap().push(thread::current().id());
    }

    /// How often `id` was dropped.
    fn drops(&self, id: usize) -> u32 {
        self.drops[id].load(SeqCst)
    }

    /// The threads destructors ran on, one entry per drop.
    fn threads(&self) -> Vec<ThreadId> {
        self.threads.lock().unwrap().clone()
    }

    /// Asserts that each of `ids` was dropped exactly once, that nothing else
    /// was dropped, and that no dropped value was corrupted.
    fn assert_dropped_once(&self, ids: impl IntoIterator<Item = usize>) {
        let ids: HashSet<usize> = ids.into_iter().collect();
        for id in 0..self.drops.len() {
            let expected = u32::from(ids.contains(&id));
            assert_eq!(self.drops(id), expected, "drops of value {id}");
        }
        assert!(!self.corrupt.load(SeqCst), "a dropped value was corrupted");
    }
}

/// A leaf value shared between threads that logs its destruction.
#[derive(Trace)]
#[gc(unsafe_drop)]
struct Tracked {
    id: usize,
    payload: u32,
    log: Arc<Log>,
}

impl Tracked {
    fn new(id: usize, log: &Arc<Log>) -> Gc<Tracked> {
        Gc::new(Tracked {
            id,
            payload: checksum(id),
            log: log.clone(),
        })
    }

    /// Panics unless the value is intact and not dropped.
    fn check(&self) {
        assert_eq!(
            self.payload,
            checksum(self.id),
            "value {} corrupted",
            self.id
        );
        assert_eq!(
            self.log.drops(self.id),
            0,
            "value {} is alive but dropped",
            self.id
        );
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        // No `Gc` fields at all, as `unsafe_drop` requires.
        self.log.record(self.id, self.payload);
    }
}

/// A graph node shared between threads.
type NodeRef = Gc<GcMutex<Node>>;
/// A root or an edge: the target's id, to detect a slot reused by another
/// node, and the pointer.
type Link = (usize, NodeRef);

/// A node of a cyclic graph shared between threads.
#[derive(Trace)]
#[gc(unsafe_drop)]
struct Node {
    id: usize,
    payload: u32,
    edges: Vec<Link>,
    log: Arc<Log>,
}

impl Node {
    fn new(id: usize, log: &Arc<Log>, edges: Vec<Link>) -> Link {
        assert!(id < log.drops.len(), "the drop log is too small");
        let node = Node {
            id,
            payload: checksum(id),
            edges,
            log: log.clone(),
        };
        (id, Gc::new(GcMutex::new(node)))
    }

    /// Panics unless this is the intact, undropped node `id`.
    fn check(&self, id: usize) {
        assert_eq!(self.id, id, "a link to {id} leads to another node");
        assert_eq!(self.payload, checksum(id), "node {id} corrupted");
        assert_eq!(self.log.drops(id), 0, "node {id} is reachable but dropped");
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // Touches only non-`Gc` fields, as `unsafe_drop` requires.
        self.log.record(self.id, self.payload);
    }
}

/// Links `from -> to`, replacing a random edge when `from` has `max` already.
/// The replaced edge is dropped after the lock is released.
fn link(from: &NodeRef, to: Link, max: usize, rng: &mut SmallRng) {
    let replaced = {
        let mut node = from.lock();
        if node.edges.len() < max {
            node.edges.push(to);
            None
        } else {
            let k = rng.random_range(0..node.edges.len());
            Some(core::mem::replace(&mut node.edges[k], to))
        }
    };
    drop(replaced);
}

/// The ids of the nodes reachable from `roots`, checking each one.
fn reachable_ids(roots: impl IntoIterator<Item = Link>) -> HashSet<usize> {
    let mut seen = HashSet::new();
    let mut stack: Vec<Link> = roots.into_iter().collect();
    while let Some((id, node)) = stack.pop() {
        if seen.insert(id) {
            let node = node.lock();
            node.check(id);
            stack.extend(node.edges.iter().cloned());
        }
    }
    seen
}

/// The collector thread of the stress tests: collects in a loop, at least
/// once, until `stop` is set.
fn collect_until(stop: &AtomicBool) {
    loop {
        collect();
        if stop.load(SeqCst) {
            break;
        }
        thread::yield_now();
    }
}

/// Restores the collector configuration when dropped (also on panic).
struct RestoreConfig(GcConfig);

impl Drop for RestoreConfig {
    fn drop(&mut self) {
        rudo_gc::set_config(self.0);
    }
}

// ---------------------------------------------------------------------------
// 1. A shared cyclic graph under concurrent mutation and collection
// ---------------------------------------------------------------------------

/// Source of node ids for the stress test (indexes into its drop log).
static NEXT_NODE_ID: AtomicUsize = AtomicUsize::new(0);

/// Workers relink, clone, drop and allocate nodes of a shared cyclic graph of
/// `Gc<GcMutex<Node>>` while another thread collects in a loop and the small
/// young budget makes the workers collect too. Every node a worker reaches is
/// intact and undropped; at the end every node reachable from the roots is
/// intact, and once the roots are dropped every node ever allocated has been
/// dropped exactly once.
#[test]
fn shared_cyclic_graph_survives_concurrent_mutation_and_collection() {
    const WORKERS: usize = if cfg!(miri) { 2 } else { 4 };
    const ITERS: usize = if cfg!(miri) { 10 } else { 6_000 };
    const INITIAL: usize = if cfg!(miri) { 4 } else { 48 };
    const ROOTS: usize = if cfg!(miri) { 3 } else { 8 };
    const MAX_EDGES: usize = 4;
    const MAX_HELD: usize = 8;
    // Each worker iteration allocates at most one node.
    let log = Log::new(INITIAL + WORKERS * ITERS);
    let _restore = RestoreConfig(rudo_gc::config());
    rudo_gc::set_config(rudo_gc::config().young_budget_bytes(if cfg!(miri) {
        4 << 10
    } else {
        32 << 10
    }));

    // The initial graph, allocated by this thread: random edges, so cycles.
    let mut rng = SmallRng::seed_from_u64(0x5eed);
    let initial: Vec<Link> = (0..INITIAL)
        .map(|_| Node::new(NEXT_NODE_ID.fetch_add(1, SeqCst), &log, Vec::new()))
        .collect();
    for (_, node) in &initial {
        for _ in 0..2 {
            let target = initial[rng.random_range(0..INITIAL)].clone();
            link(node, target, MAX_EDGES, &mut rng);
        }
    }
    let roots: Arc<Vec<Mutex<Link>>> = Arc::new(
        (0..ROOTS)
            .map(|_| Mutex::new(initial[rng.random_range(0..INITIAL)].clone()))
            .collect(),
    );
    drop(initial);

    let stop = Arc::new(AtomicBool::new(false));
    let start = Arc::new(Barrier::new(WORKERS + 1));
    let collector = {
        let (stop, start) = (stop.clone(), start.clone());
        thread::spawn(move || {
            start.wait();
            collect_until(&stop);
        })
    };
    let workers: Vec<_> = (0..WORKERS)
        .map(|t| {
            let (roots, log, start) = (roots.clone(), log.clone(), start.clone());
            thread::spawn(move || {
                let mut rng = SmallRng::seed_from_u64(1_000 + t as u64);
                let mut held: Vec<Link> = Vec::new();
                let root = |j: usize| roots[j].lock().unwrap().clone();
                start.wait();
                for _ in 0..ITERS {
                    // Start at a root or a held node, then walk a few edges.
                    let (mut id, mut cur) = if !held.is_empty() && rng.random_bool(0.3) {
                        held[rng.random_range(0..held.len())].clone()
                    } else {
                        root(rng.random_range(0..ROOTS))
                    };
                    for _ in 0..rng.random_range(0..4) {
                        let next = {
                            let node = cur.lock();
                            node.check(id);
                            (!node.edges.is_empty())
                                .then(|| node.edges[rng.random_range(0..node.edges.len())].clone())
                        };
                        match next {
                            Some((next_id, next)) => (id, cur) = (next_id, next),
                            None => break,
                        }
                    }
                    cur.lock().check(id);
                    match rng.random_range(0..10) {
                        // Link to a root or a held node: cycles.
                        0 | 1 => {
                            let target = if !held.is_empty() && rng.random_bool(0.5) {
                                held[rng.random_range(0..held.len())].clone()
                            } else {
                                root(rng.random_range(0..ROOTS))
                            };
                            link(&cur, target, MAX_EDGES, &mut rng);
                        }
                        // Unlink (the edge is dropped outside the lock).
                        2 => {
                            let removed = {
                                let mut node = cur.lock();
                                let n = node.edges.len();
                                (n > 0).then(|| node.edges.swap_remove(rng.random_range(0..n)))
                            };
                            drop(removed);
                        }
                        // A new node linked both ways with `cur`; half the
                        // time allocated while holding `cur`'s lock.
                        3 | 4 => {
                            let new_id = NEXT_NODE_ID.fetch_add(1, SeqCst);
                            let back = vec![(id, cur.clone())];
                            let new = if rng.random_bool(0.5) {
                                let mut node = cur.lock();
                                let new = Node::new(new_id, &log, back);
                                if node.edges.len() < MAX_EDGES {
                                    node.edges.push(new.clone());
                                }
                                new
                            } else {
                                let new = Node::new(new_id, &log, back);
                                link(&cur, new.clone(), MAX_EDGES, &mut rng);
                                new
                            };
                            if rng.random_bool(0.5) {
                                held.push(new);
                            }
                        }
                        // Replace a root.
                        5 => {
                            let j = rng.random_range(0..ROOTS);
                            let old = core::mem::replace(
                                &mut *roots[j].lock().unwrap(),
                                (id, cur.clone()),
                            );
                            drop(old);
                        }
                        // Hold on to it.
                        6 | 7 => held.push((id, cur.clone())),
                        // Let go of something held.
                        8 => {
                            if !held.is_empty() {
                                held.swap_remove(rng.random_range(0..held.len()));
                            }
                        }
                        // Count traffic.
                        _ => drop((0..3).map(|_| cur.clone()).collect::<Vec<_>>()),
                    }
                    if held.len() > MAX_HELD {
                        held.swap_remove(rng.random_range(0..held.len()));
                    }
                    for (id, node) in &held {
                        assert_eq!(node.lock().id, *id);
                    }
                }
                // `held` is released here; the thread's exit collection drops
                // its own garbage, and what is still reachable is orphaned.
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    stop.store(true, SeqCst);
    collector.join().unwrap();

    collect();
    sweep_pending();
    let allocated = NEXT_NODE_ID.load(SeqCst);
    let roots = Arc::into_inner(roots).expect("every worker is gone");
    let roots: Vec<Link> = roots.into_iter().map(|r| r.into_inner().unwrap()).collect();
    let alive = reachable_ids(roots.iter().cloned());
    assert!(!alive.is_empty());
    for id in 0..allocated {
        assert!(
            log.drops(id) <= 1,
            "node {id} dropped {} times",
            log.drops(id)
        );
    }
    assert!(!log.corrupt.load(SeqCst), "a dropped node was corrupted");

    drop(roots);
    for _ in 0..2 {
        collect();
        sweep_pending();
    }
    log.assert_dropped_once(0..allocated);
}

// ---------------------------------------------------------------------------
// 2. Threads that block or compute never delay a collection
// ---------------------------------------------------------------------------

/// One thread waits on a `Barrier` and another on `mpsc::Receiver::recv`, each
/// holding a `Gc` it allocated; collections on this thread still complete,
/// free this thread's garbage and keep the blocked threads' objects alive.
#[test]
fn blocked_threads_do_not_delay_collections() {
    const ROUNDS: usize = if cfg!(miri) { 2 } else { 5 };
    let log = Log::new(2 + ROUNDS);
    let barrier = Arc::new(Barrier::new(2));
    let (ready_tx, ready_rx) = mpsc::channel::<Weak<Tracked>>();
    let (wake_tx, wake_rx) = mpsc::channel::<()>();
    let on_barrier = {
        let (log, barrier, ready_tx) = (log.clone(), barrier.clone(), ready_tx.clone());
        thread::spawn(move || {
            let mine = Tracked::new(0, &log);
            ready_tx.send(Gc::downgrade(&mine)).unwrap();
            barrier.wait();
            mine.check();
            thread::current().id()
        })
    };
    let on_channel = {
        let log = log.clone();
        thread::spawn(move || {
            let mine = Tracked::new(1, &log);
            ready_tx.send(Gc::downgrade(&mine)).unwrap();
            wake_rx.recv().unwrap();
            mine.check();
            thread::current().id()
        })
    };
    let blocked: Vec<Weak<Tracked>> = vec![ready_rx.recv().unwrap(), ready_rx.recv().unwrap()];
    for round in 0..ROUNDS {
        let garbage = Tracked::new(2 + round, &log);
        let weak = Gc::downgrade(&garbage);
        drop(garbage);
        collect(); // returns although two registered threads are blocked
        assert!(weak.upgrade().is_none(), "round {round}: garbage freed");
        assert_eq!(log.drops(2 + round), 1);
        for w in &blocked {
            w.upgrade()
                .expect("a blocked thread's object is alive")
                .check();
        }
    }
    barrier.wait();
    wake_tx.send(()).unwrap();
    let homes = [on_barrier.join().unwrap(), on_channel.join().unwrap()];
    // Each thread's object died at its exit, on that thread.
    log.assert_dropped_once(0..2 + ROUNDS);
    let threads = log.threads();
    assert!(homes.iter().all(|h| threads.contains(h)));
    assert!(blocked.iter().all(|w| w.upgrade().is_none()));
}

/// A thread spinning on an `AtomicBool` (reading its `Gc`, never touching the
/// heap otherwise) does not delay collections on another thread.
#[test]
fn spinning_thread_does_not_delay_collections() {
    const ROUNDS: usize = if cfg!(miri) { 2 } else { 5 };
    let log = Log::new(1 + ROUNDS);
    let stop = Arc::new(AtomicBool::new(false));
    let (ready_tx, ready_rx) = mpsc::channel::<Weak<Tracked>>();
    let spinner = {
        let (log, stop) = (log.clone(), stop.clone());
        thread::spawn(move || {
            let mine = Tracked::new(0, &log);
            ready_tx.send(Gc::downgrade(&mine)).unwrap();
            let mut spins: u64 = 0;
            let mut sum: u64 = 0;
            while !stop.load(SeqCst) {
                sum = sum.wrapping_add(u64::from(mine.payload));
                spins += 1;
                std::hint::spin_loop();
            }
            assert_eq!(sum, spins.wrapping_mul(u64::from(checksum(0))));
            mine.check();
        })
    };
    let spinning = ready_rx.recv().unwrap();
    for round in 0..ROUNDS {
        let garbage = Tracked::new(1 + round, &log);
        let weak = Gc::downgrade(&garbage);
        drop(garbage);
        collect(); // returns although a registered thread never stops spinning
        assert!(weak.upgrade().is_none(), "round {round}: garbage freed");
        assert_eq!(log.drops(1 + round), 1);
        spinning
            .upgrade()
            .expect("the spinner's object is alive")
            .check();
    }
    stop.store(true, SeqCst);
    spinner.join().unwrap();
    log.assert_dropped_once(0..1 + ROUNDS);
}

// ---------------------------------------------------------------------------
// 3. `Gc` across threads: channels and scopes
// ---------------------------------------------------------------------------

/// A producer allocates values and sends them through `mpsc`; a consumer reads
/// and drops them. A collection here finds them dead, and they are dropped on
/// the producer (their home) only when it sweeps.
#[test]
fn gc_sent_through_a_channel_is_read_and_freed() {
    const N: usize = if cfg!(miri) { 4 } else { 200 };
    let log = Log::new(N);
    let (tx, rx) = mpsc::channel::<Gc<Tracked>>();
    let (sweep_tx, sweep_rx) = mpsc::channel::<()>();
    let producer = {
        let log = log.clone();
        thread::spawn(move || {
            for i in 0..N {
                tx.send(Tracked::new(i, &log)).unwrap();
            }
            drop(tx);
            sweep_rx.recv().unwrap();
            sweep_pending();
            assert_eq!(log.threads(), vec![thread::current().id(); N]);
        })
    };
    let consumer = thread::spawn(move || {
        let mut sum = 0;
        for value in rx {
            value.check();
            sum += value.id;
        }
        sum
    });
    assert_eq!(consumer.join().unwrap(), N * (N - 1) / 2);
    collect();
    // Dead, but the producer has not swept: nothing was dropped elsewhere.
    assert!(log.threads().is_empty());
    sweep_tx.send(()).unwrap();
    producer.join().unwrap();
    log.assert_dropped_once(0..N);
}

/// Scoped threads borrow a `&Gc`, clone it, and add values they allocate;
/// after the scope the counts are back and everything is freed together.
#[test]
fn scoped_threads_borrow_and_clone_a_gc() {
    const THREADS: usize = if cfg!(miri) { 2 } else { 4 };
    const EACH: usize = if cfg!(miri) { 2 } else { 25 };
    let log = Log::new(THREADS * EACH);
    let shared: Gc<GcMutex<Vec<Gc<Tracked>>>> = Gc::new(GcMutex::new(Vec::new()));
    thread::scope(|s| {
        // Joined explicitly: the scope's implicit join returns once the
        // closures finished, possibly before the threads' exit paths (which
        // orphan their heaps) ran.
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (shared, log) = (&shared, &log);
                s.spawn(move || {
                    let mine = shared.clone();
                    assert!(Gc::ptr_eq(&mine, shared));
                    for i in 0..EACH {
                        mine.lock().push(Tracked::new(t * EACH + i, log));
                    }
                    collect();
                    for value in shared.lock().iter() {
                        value.check();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    });
    assert_eq!(Gc::ref_count(&shared), 1, "every clone was released");
    let mut ids: Vec<usize> = shared.lock().iter().map(|v| v.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..THREADS * EACH).collect::<Vec<_>>());
    collect();
    assert!(log.threads().is_empty(), "the values are alive");
    let weak = Gc::downgrade(&shared);
    drop(shared);
    // The values' home threads are gone: they die with the vector, here.
    collect();
    assert!(weak.upgrade().is_none());
    log.assert_dropped_once(0..THREADS * EACH);
}

// ---------------------------------------------------------------------------
// 4. Values are dropped on their home thread
// ---------------------------------------------------------------------------

/// A `!Send` value (through `PhantomData<*const ()>`; the `Arc<Log>` it holds
/// is `Send`), linked in rings.
struct Local {
    id: usize,
    next: GcCell<Option<Gc<Local>>>,
    log: Arc<Log>,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: visits its one `Gc`-owning field once; `log` holds no `Gc`.
unsafe impl Trace for Local {
    fn trace(&self, v: &mut Visitor) {
        self.next.trace(v);
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        self.log.record(self.id, checksum(self.id));
    }
}

/// Allocates rings of three `Local`s with ids `ids` (a multiple of three).
fn local_rings(ids: std::ops::Range<usize>, log: &Arc<Log>) -> Vec<Gc<Local>> {
    let nodes: Vec<Gc<Local>> = ids
        .map(|id| {
            Gc::new(Local {
                id,
                next: GcCell::new(None),
                log: log.clone(),
                _not_send: PhantomData,
            })
        })
        .collect();
    for ring in nodes.chunks(3) {
        for (i, node) in ring.iter().enumerate() {
            *node.next.borrow_mut() = Some(ring[(i + 1) % ring.len()].clone());
        }
    }
    nodes
}

/// Garbage of `!Send` values found dead by a collection on another thread is
/// not dropped there: it waits for its home thread's `sweep_pending()` (first
/// round) or next allocation (second round).
#[test]
fn non_send_values_are_dropped_only_on_their_home_thread() {
    const N: usize = if cfg!(miri) { 6 } else { 60 };
    let log = Log::new(2 * N);
    let home = thread::current().id();

    drop(local_rings(0..N, &log));
    thread::spawn(collect).join().unwrap();
    assert!(log.threads().is_empty(), "nothing dropped on the collector");
    sweep_pending();
    assert_eq!(log.threads(), vec![home; N]);

    drop(local_rings(N..2 * N, &log));
    thread::spawn(collect).join().unwrap();
    assert_eq!(log.threads().len(), N, "nothing dropped on the collector");
    drop(Gc::new(0_u64)); // the next allocation drops them
    assert_eq!(log.threads(), vec![home; 2 * N]);
    log.assert_dropped_once(0..2 * N);
}

/// A cyclic `Gc<GcMutex<Node>>` graph allocated by thread A becomes garbage;
/// a collection on this thread finds it dead, and A drops it at its
/// `sweep_pending()`.
#[test]
fn shared_garbage_found_by_another_thread_is_dropped_at_home() {
    const N: usize = if cfg!(miri) { 6 } else { 100 };
    let log = Log::new(N);
    let (garbage_tx, garbage_rx) = mpsc::channel::<Weak<GcMutex<Node>>>();
    let (sweep_tx, sweep_rx) = mpsc::channel::<()>();
    let a = {
        let log = log.clone();
        thread::spawn(move || {
            let mut rng = SmallRng::seed_from_u64(4);
            let nodes: Vec<Link> = (0..N).map(|id| Node::new(id, &log, Vec::new())).collect();
            for (i, (_, node)) in nodes.iter().enumerate() {
                link(node, nodes[(i + 1) % N].clone(), 3, &mut rng);
                link(node, nodes[rng.random_range(0..N)].clone(), 3, &mut rng);
            }
            let weak = Gc::downgrade(&nodes[0].1);
            drop(nodes);
            garbage_tx.send(weak).unwrap();
            sweep_rx.recv().unwrap();
            assert!(log.threads().is_empty(), "nothing dropped before the sweep");
            sweep_pending();
            assert_eq!(log.threads(), vec![thread::current().id(); N]);
            thread::current().id()
        })
    };
    let weak = garbage_rx.recv().unwrap();
    collect();
    assert!(weak.upgrade().is_none(), "found dead here");
    assert!(log.threads().is_empty(), "but not dropped here");
    sweep_pending(); // this thread's sweep does not drop A's values either
    assert!(log.threads().is_empty());
    sweep_tx.send(()).unwrap();
    let a = a.join().unwrap();
    assert!(log.threads().iter().all(|t| *t == a));
    log.assert_dropped_once(0..N);
}

// ---------------------------------------------------------------------------
// 5. A locked `GcMutex` keeps its contents alive
// ---------------------------------------------------------------------------

/// A thread holds a `GcMutex` guard with a `Gc` moved in (and another moved
/// out to its stack) while this thread collects: both survive. After the
/// guard is released and everything dropped, a collection frees them.
#[test]
fn a_locked_gc_mutex_keeps_its_contents_alive_through_collections() {
    const ROUNDS: usize = if cfg!(miri) { 2 } else { 4 };
    let log = Log::new(2);
    let cell: Gc<GcMutex<Vec<Gc<Tracked>>>> = Gc::new(GcMutex::new(vec![Tracked::new(0, &log)]));
    let moved_in = Tracked::new(1, &log);
    let weak_cell = Gc::downgrade(&cell);
    let weak_out = Gc::downgrade(&cell.lock()[0]);
    let weak_in = Gc::downgrade(&moved_in);
    let (locked_tx, locked_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let holder = thread::spawn(move || {
        let mut guard = cell.lock();
        let out = guard.pop().unwrap();
        guard.push(moved_in); // its only reference is inside the locked mutex
        locked_tx.send(()).unwrap();
        release_rx.recv().unwrap();
        out.check();
        guard.push(out);
        drop(guard);
        locked_tx.send(()).unwrap();
        release_rx.recv().unwrap();
        // `cell` is dropped here: the last reference.
    });
    locked_rx.recv().unwrap();
    // This thread holds only weak references now.
    for _ in 0..ROUNDS {
        collect_now();
        for weak in [&weak_out, &weak_in] {
            weak.upgrade().expect("alive while locked").check();
        }
        assert!(weak_cell.upgrade().is_some());
    }
    release_tx.send(()).unwrap();
    locked_rx.recv().unwrap();
    collect_now();
    let cell = weak_cell.upgrade().expect("still held by the thread");
    assert_eq!(cell.lock().len(), 2);
    drop(cell);
    release_tx.send(()).unwrap();
    holder.join().unwrap();
    // Everything was allocated here, so it is dropped here.
    collect();
    assert!(weak_cell.upgrade().is_none());
    assert!(weak_out.upgrade().is_none() && weak_in.upgrade().is_none());
    log.assert_dropped_once(0..2);
}

// ---------------------------------------------------------------------------
// 6. `GcRwLock`: readers, a writer and a collector together
// ---------------------------------------------------------------------------

/// Readers on several threads walk a `GcRwLock<Vec<Gc<_>>>` and keep clones
/// while a writer moves `Gc`s in and out and another thread collects in a
/// loop. Everything in the table at the end is intact; everything removed is
/// dropped exactly once, and so is the rest once the table is dropped.
#[test]
fn gc_rwlock_readers_and_a_writer_alongside_collections() {
    const READERS: usize = if cfg!(miri) { 2 } else { 3 };
    const ITERS: usize = if cfg!(miri) { 6 } else { 400 };
    const INITIAL: usize = if cfg!(miri) { 4 } else { 32 };
    let log = Log::new(INITIAL + ITERS);
    let next_id = AtomicUsize::new(INITIAL);
    let table: Gc<GcRwLock<Vec<Gc<Tracked>>>> = Gc::new(GcRwLock::new(
        (0..INITIAL).map(|id| Tracked::new(id, &log)).collect(),
    ));
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        let collector = s.spawn(|| collect_until(&stop));
        let readers: Vec<_> = (0..READERS)
            .map(|r| {
                let table = table.clone();
                s.spawn(move || {
                    let mut rng = SmallRng::seed_from_u64(60 + r as u64);
                    let mut kept: Option<Gc<Tracked>> = None;
                    for _ in 0..ITERS {
                        let guard = table.read();
                        for value in guard.iter() {
                            value.check();
                        }
                        if !guard.is_empty() && rng.random_bool(0.3) {
                            kept = Some(guard[rng.random_range(0..guard.len())].clone());
                        }
                        drop(guard);
                        if let Some(kept) = &kept {
                            kept.check();
                        }
                    }
                })
            })
            .collect();
        let writer = s.spawn(|| {
            let mut rng = SmallRng::seed_from_u64(66);
            for _ in 0..ITERS {
                if table.read().is_empty() || rng.random_bool(0.5) {
                    let value = Tracked::new(next_id.fetch_add(1, SeqCst), &log);
                    table.write().push(value);
                } else {
                    let removed = {
                        let mut guard = table.write();
                        let k = rng.random_range(0..guard.len());
                        guard.swap_remove(k)
                    };
                    removed.check();
                }
            }
        });
        for r in readers {
            r.join().unwrap();
        }
        writer.join().unwrap();
        stop.store(true, SeqCst);
        collector.join().unwrap();
    });
    let allocated = next_id.load(SeqCst);
    collect();
    sweep_pending();
    let remaining: Vec<usize> = table.read().iter().map(|v| v.id).collect();
    for value in table.read().iter() {
        value.check();
    }
    let removed = (0..allocated).filter(|id| !remaining.contains(id));
    log.assert_dropped_once(removed);
    drop(table);
    collect();
    log.assert_dropped_once(0..allocated);
}

// ---------------------------------------------------------------------------
// 7. A panic in `Trace::trace` on one thread
// ---------------------------------------------------------------------------

/// Set to make `Bomb::trace` panic.
static BOMB_ARMED: AtomicBool = AtomicBool::new(false);

/// A `Send + Sync` node whose `trace` panics while `BOMB_ARMED` is set.
struct Bomb {
    next: GcMutex<Option<Gc<Bomb>>>,
}

// SAFETY: visits its one `Gc`-owning field once. When armed it panics before
// visiting anything, which abandons the collection (allowed: only a panic in
// the fix-up pass is fatal, and a collection traces every object in the
// subtract pass first).
unsafe impl Trace for Bomb {
    fn trace(&self, v: &mut Visitor) {
        assert!(!BOMB_ARMED.load(SeqCst), "bomb in trace");
        self.next.trace(v);
    }
}

/// A collection on this thread panics in `Trace::trace` while another thread
/// holds `Gc`s (shared with this thread) and churns its heap. Nothing is
/// freed, counts are intact, the other thread's heap operations and its own
/// collection work, and the next collection here frees the garbage.
#[test]
fn panic_in_trace_abandons_the_collection_and_other_threads_carry_on() {
    const K: usize = if cfg!(miri) { 3 } else { 20 };
    const CHURN: usize = if cfg!(miri) { 5 } else { 200 };
    let log = Log::new(K + 1);
    type Shared = Gc<GcMutex<Vec<Gc<Tracked>>>>;
    let (shared_tx, shared_rx) = mpsc::channel::<Shared>();
    let churn = Arc::new(Barrier::new(2));
    let after = Arc::new(Barrier::new(2));
    let other = {
        let (log, churn, after) = (log.clone(), churn.clone(), after.clone());
        thread::spawn(move || {
            let shared: Shared = Gc::new(GcMutex::new(
                (0..K).map(|id| Tracked::new(id, &log)).collect(),
            ));
            shared_tx.send(shared.clone()).unwrap();
            // Heap operations that may overlap the panicking collection (never
            // enough allocation to start a collection here).
            churn.wait();
            for i in 0..CHURN {
                let g = Gc::new(i as u64);
                assert_eq!(*g.clone(), i as u64);
            }
            after.wait();
            // Carries on: allocates into the shared list, removes a value,
            // collects from this thread.
            shared.lock().push(Tracked::new(K, &log));
            let removed = shared.lock().remove(0);
            drop(removed);
            collect();
            assert_eq!(log.threads(), vec![thread::current().id()]);
            for value in shared.lock().iter() {
                value.check();
            }
            shared
        })
    };
    let shared = shared_rx.recv().unwrap();
    let a = Gc::new(Bomb {
        next: GcMutex::new(None),
    });
    let b = Gc::new(Bomb {
        next: GcMutex::new(Some(a.clone())),
    });
    *a.next.lock() = Some(b.clone());
    let weak = Gc::downgrade(&a);
    drop((a, b));
    assert_eq!(Gc::ref_count(&shared), 2);

    churn.wait();
    BOMB_ARMED.store(true, SeqCst);
    let result = catch_unwind(collect_now);
    BOMB_ARMED.store(false, SeqCst);
    let message = panic_message(&*result.expect_err("the armed trace panics"));
    assert!(message.contains("bomb in trace"), "message: {message}");

    // Nothing was freed or dropped; counts are what the `Gc`s say.
    assert!(
        weak.upgrade().is_some(),
        "the abandoned collection freed nothing"
    );
    assert!(log.threads().is_empty());
    assert_eq!(Gc::ref_count(&shared), 2);
    for value in shared.lock().iter() {
        value.check();
        assert_eq!(Gc::ref_count(value), 1);
    }
    after.wait();
    let returned = other.join().unwrap();
    assert!(Gc::ptr_eq(&returned, &shared));
    drop(returned);
    assert_eq!(Gc::ref_count(&shared), 1);

    collect();
    assert!(
        weak.upgrade().is_none(),
        "the next collection frees the cycle"
    );
    assert_eq!(shared.lock().len(), K);
    drop(shared);
    collect();
    log.assert_dropped_once(0..=K);
}

/// Regression: a thread collecting back to back used to starve the mutators
/// its previous collection had blocked (they woke to find the next
/// collection already stopping the world): 10,000 tokio tasks next to a
/// collecting thread took 13 s to 300 s instead of under one. Now each
/// collection first lets the waiters it finds leave the gate.
#[test]
fn mutators_make_progress_next_to_a_thread_that_collects_back_to_back() {
    const OPS: usize = if cfg!(miri) { 40 } else { 20_000 };
    // A live heap that makes each collection take a while, as a service's
    // would: the mutators then wait at the gate at nearly every operation.
    let live: Vec<Gc<[u64; 2]>> = (0..if cfg!(miri) { 20 } else { 200_000 })
        .map(|i| Gc::new([i; 2]))
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let collector = {
        let stop = stop.clone();
        thread::spawn(move || {
            let mut rounds = 0_u64;
            while !stop.load(SeqCst) {
                drop(Gc::new(0_u8)); // so that no collection is skipped
                collect();
                rounds += 1;
            }
            rounds
        })
    };
    let shared = Gc::new(7_u64);
    let mutators: Vec<_> = (0..2)
        .map(|_| {
            let shared = shared.clone();
            thread::spawn(move || {
                let mut sum = 0;
                for i in 0..OPS {
                    // Heap operations: an allocation, a clone's drop.
                    let value = Gc::new(i as u64);
                    drop(shared.clone());
                    sum += *value;
                }
                sum
            })
        })
        .collect();
    for m in mutators {
        assert_eq!(m.join().unwrap(), (OPS as u64 - 1) * OPS as u64 / 2);
    }
    stop.store(true, SeqCst);
    assert!(collector.join().unwrap() > 0);
    assert_eq!(live[live.len() - 1][1], live.len() as u64 - 1);
}
