//! Major collections whose subtract pass runs on two threads
//! (`gc::parallel`), each recording half of the edge list (`gc::edges`),
//! forced on small heaps with the benchmark hooks: they free exactly what a
//! sequential one frees, run every destructor once, and a `Trace` that
//! panics or allocates on the helper thread gets the same answer as on the
//! collecting thread.

mod common;

use std::panic::catch_unwind;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Mutex, MutexGuard};

use common::{collect_now, panic_message};
use rudo_gc::__private::{
    edge_list_marks, set_edge_recording, set_parallel_min_slots, split_subtract_passes,
};
use rudo_gc::{Gc, GcCell, Trace, Visitor, Weak, collect};

/// Splits every major collection while alive, each half recording its
/// edge list (`gc::edges`), or with `tracing` none (the tracing mark pass);
/// restores both settings after, and checks that the test did split one
/// and, when recording, walk the two lists. The settings are process-wide
/// and the ring tests share `DROPS`, so the tests of this file hold `SERIAL`
/// through their guard and run one at a time.
struct Split {
    min_slots: usize,
    recording: Option<bool>,
    splits: usize,
    marks: Option<usize>,
    _serial: MutexGuard<'static, ()>,
}

static SERIAL: Mutex<()> = Mutex::new(());

impl Split {
    fn on() -> Split {
        Split::with_recording(true)
    }

    fn tracing() -> Split {
        Split::with_recording(false)
    }

    fn with_recording(record: bool) -> Split {
        // A test that failed holding it poisons it; the others still run.
        let serial = SERIAL
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Split {
            _serial: serial,
            recording: set_edge_recording(Some(record)),
            min_slots: set_parallel_min_slots(0),
            splits: split_subtract_passes(),
            marks: record.then(edge_list_marks),
        }
    }
}

impl Drop for Split {
    fn drop(&mut self) {
        set_parallel_min_slots(self.min_slots);
        set_edge_recording(self.recording);
        if !std::thread::panicking() {
            assert!(
                split_subtract_passes() > self.splits,
                "no collection was split"
            );
            if let Some(marks) = self.marks {
                assert!(edge_list_marks() > marks, "no mark pass walked the lists");
            }
        }
    }
}

/// Nodes per structure: enough for the structures of one test to fill
/// several pages, so that both halves of the split get objects.
const NODES: usize = if cfg!(miri) { 40 } else { 400 };

static DROPS: AtomicUsize = AtomicUsize::new(0);

#[derive(Trace)]
#[gc(unsafe_drop)]
struct Node {
    next: GcCell<Option<Gc<Node>>>,
    other: GcCell<Option<Gc<Node>>>,
    #[gc(skip)]
    id: usize,
}

impl Drop for Node {
    fn drop(&mut self) {
        DROPS.fetch_add(1, SeqCst);
    }
}

/// A ring of `NODES` nodes with chords; returns its first node.
fn ring(first_id: usize) -> Gc<Node> {
    let nodes: Vec<Gc<Node>> = (0..NODES)
        .map(|i| {
            Gc::new(Node {
                next: GcCell::new(None),
                other: GcCell::new(None),
                id: first_id + i,
            })
        })
        .collect();
    for i in 0..NODES {
        *nodes[i].next.borrow_mut() = Some(nodes[(i + 1) % NODES].clone());
        *nodes[i].other.borrow_mut() = Some(nodes[(i * 7 + 3) % NODES].clone());
    }
    nodes[0].clone()
}

/// The `NODES` nodes of the ring at `start`, following `next`, checking
/// that the ring closes.
fn ring_nodes(start: &Gc<Node>) -> Vec<Gc<Node>> {
    let mut nodes = vec![start.clone()];
    for _ in 1..NODES {
        let next = nodes[nodes.len() - 1].next.borrow().clone();
        nodes.push(next.expect("a ring is closed"));
    }
    let last = nodes[NODES - 1].next.borrow().clone();
    assert!(
        Gc::ptr_eq(&last.expect("a ring is closed"), start),
        "the ring is intact"
    );
    nodes
}

fn ring_ids(start: &Gc<Node>) -> usize {
    ring_nodes(start).iter().map(|n| n.id).sum()
}

#[test]
fn a_split_collection_frees_exactly_the_unreachable_rings() {
    let _split = Split::on();
    collect_now();
    let before = DROPS.load(SeqCst);
    const RINGS: usize = 6;
    let mut kept: Vec<Gc<Node>> = Vec::new();
    let mut gone: Vec<Weak<Node>> = Vec::new();
    for r in 0..RINGS {
        let start = ring(r * NODES);
        if r % 2 == 0 {
            kept.push(start);
        } else {
            gone.push(Gc::downgrade(&start));
        }
    }
    // Link a kept ring into a dead one and back: the dead one points at
    // live objects (counts it gives back), the live one is still rooted.
    let dead = gone[0].upgrade().unwrap();
    *dead.other.borrow_mut() = Some(kept[0].clone());
    drop(dead);
    collect_now();
    assert!(gone.iter().all(|w| w.upgrade().is_none()));
    assert_eq!(DROPS.load(SeqCst) - before, (RINGS / 2) * NODES);
    for (i, start) in kept.iter().enumerate() {
        let first = 2 * i * NODES;
        assert_eq!(ring_ids(start), (first..first + NODES).sum::<usize>());
    }
    // Again, with the counts the first collection gave back.
    let last = Gc::downgrade(&kept.pop().unwrap());
    collect_now();
    assert!(last.upgrade().is_none());
    assert_eq!(DROPS.load(SeqCst) - before, (RINGS / 2 + 1) * NODES);
    assert_eq!(ring_ids(&kept[0]), (0..NODES).sum::<usize>());
    drop(kept);
    collect_now();
    assert_eq!(DROPS.load(SeqCst) - before, RINGS * NODES);
}

/// An object without a destructor (only a `Gc` field): what a dead one
/// held, the collector gives back itself.
#[derive(Trace)]
struct Plain {
    to: GcCell<Option<Gc<Node>>>,
}

/// The helper's `dropping` counts (edges from objects whose destructor
/// runs, which give their references back themselves) are kept between
/// collections and cleared only when it wrote some. A stale count on a live
/// object would keep the collector from giving back what a dead `Plain`
/// held, and the object would leak. Split collections in a row, with the
/// tracing mark pass (which uses the counts as the subtract pass left
/// them): every ring dies when its last root goes.
#[test]
fn split_collections_in_a_row_leave_no_stale_counts() {
    let _split = Split::tracing();
    collect_now();
    let before = DROPS.load(SeqCst);
    const RINGS: usize = 4;
    // Live rings: every node is the target of an edge from a node with a
    // destructor (its predecessor), so each split pass counts it there. And
    // `Plain`s pointing at every live node, alive through the first
    // collection and dead in the second, over the same pages (so the
    // helper's arrays are reused, not allocated afresh): what they held
    // must be given back in full.
    let kept: Vec<Gc<Node>> = (0..RINGS).map(|r| ring(r * NODES)).collect();
    let mut plains = Vec::new();
    for start in &kept {
        for node in ring_nodes(start) {
            plains.push(Gc::new(Plain {
                to: GcCell::new(Some(node)),
            }));
        }
    }
    collect_now();
    drop(plains);
    collect_now();
    for (r, start) in kept.iter().enumerate() {
        let first = r * NODES;
        assert_eq!(ring_ids(start), (first..first + NODES).sum::<usize>());
    }
    assert_eq!(DROPS.load(SeqCst), before, "no live node was dropped");
    drop(kept);
    collect_now();
    assert_eq!(
        DROPS.load(SeqCst) - before,
        RINGS * NODES,
        "every ring is freed once its roots are gone"
    );
}

static MISBEHAVE: AtomicBool = AtomicBool::new(false);
static PANIC_NOT_ALLOCATE: AtomicBool = AtomicBool::new(false);

/// Panics or allocates in `trace` while `MISBEHAVE` is set.
struct Unruly {
    next: GcCell<Option<Gc<Unruly>>>,
}

// SAFETY: visits its one `Gc` once; misbehaves only by panicking, which the
// `Trace` contract allows before the fix-up (the collection is abandoned).
unsafe impl Trace for Unruly {
    fn trace(&self, v: &mut Visitor) {
        if MISBEHAVE.load(SeqCst) {
            if PANIC_NOT_ALLOCATE.load(SeqCst) {
                panic!("unruly trace");
            }
            drop(Gc::new(0_u8));
        }
        self.next.trace(v);
    }
}

/// Unruly objects per chain: more than one page of them (32-byte slots), so
/// that both halves of a split get some.
const UNRULY: usize = if cfg!(miri) { 1_100 } else { 2_500 };

fn unruly_chain() -> (Gc<Unruly>, Weak<Unruly>) {
    let nodes: Vec<Gc<Unruly>> = (0..UNRULY)
        .map(|_| {
            Gc::new(Unruly {
                next: GcCell::new(None),
            })
        })
        .collect();
    for pair in nodes.windows(2) {
        *pair[0].next.borrow_mut() = Some(pair[1].clone());
    }
    // A garbage cycle through the last node, to see it survive the
    // abandoned collection and die in the next one.
    *nodes[nodes.len() - 1].next.borrow_mut() = Some(nodes[nodes.len() / 2].clone());
    let weak = Gc::downgrade(&nodes[nodes.len() - 1]);
    (nodes[0].clone(), weak)
}

fn misbehaving_collection(panic_not_allocate: bool) -> String {
    PANIC_NOT_ALLOCATE.store(panic_not_allocate, SeqCst);
    MISBEHAVE.store(true, SeqCst);
    let result = catch_unwind(collect_now);
    MISBEHAVE.store(false, SeqCst);
    panic_message(&*result.expect_err("a misbehaving trace panics out of collect"))
}

#[test]
fn a_panic_in_either_half_abandons_the_collection_and_the_next_one_works() {
    let _split = Split::on();
    let (head, weak) = unruly_chain();
    let message = misbehaving_collection(true);
    assert!(message.contains("unruly trace"), "{message}");
    assert!(
        weak.upgrade().is_some(),
        "nothing is freed by an abandoned collection"
    );
    drop(head);
    collect();
    assert!(weak.upgrade().is_none(), "the next collection works");
}

#[test]
fn allocating_in_trace_on_either_thread_panics_with_the_misuse_message() {
    let _split = Split::on();
    let (head, weak) = unruly_chain();
    let message = misbehaving_collection(false);
    assert!(
        message.contains("`Trace::trace` must not allocate"),
        "clear message, not a deadlock: {message}"
    );
    drop(head);
    collect();
    assert!(weak.upgrade().is_none());
}
