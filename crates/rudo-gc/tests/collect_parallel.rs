//! Major collections whose subtract pass runs on two threads
//! (`gc::parallel`), each recording half of the edge list (`gc::edges`),
//! forced on small heaps with the benchmark hooks: they free exactly what a
//! sequential one frees, run every destructor once, and a `Trace` that
//! panics or allocates on the helper thread gets the same answer as on the
//! collecting thread.

mod common;

use std::panic::catch_unwind;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use common::{collect_now, panic_message};
use rudo_gc::__private::{
    edge_list_marks, set_edge_recording, set_parallel_min_slots, split_subtract_passes,
};
use rudo_gc::{Gc, GcCell, Trace, Visitor, Weak, collect};

/// Splits every major collection while alive, each half recording its
/// edge list (`gc::edges`); restores the threshold after, and checks that
/// the test did split one and walk the two lists.
struct Split(usize, usize, usize);

impl Split {
    fn on() -> Split {
        set_edge_recording(Some(true));
        Split(
            set_parallel_min_slots(0),
            split_subtract_passes(),
            edge_list_marks(),
        )
    }
}

impl Drop for Split {
    fn drop(&mut self) {
        set_parallel_min_slots(self.0);
        if !std::thread::panicking() {
            assert!(split_subtract_passes() > self.1, "no collection was split");
            assert!(edge_list_marks() > self.2, "no mark pass walked the lists");
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

fn ring_ids(start: &Gc<Node>) -> usize {
    let mut n = start.clone();
    let mut sum = 0;
    for _ in 0..NODES {
        sum += n.id;
        let next = n.next.borrow().clone().expect("a ring is closed");
        n = next;
    }
    assert!(Gc::ptr_eq(&n, start), "the ring is intact");
    sum
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
