//! A thread's garbage dies on that thread when it exits, thread-locals holding
//! `Gc`s are destroyed before the heap, and threads' heaps do not interfere.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::thread;

use rudo_gc::{Gc, GcCell, Trace, Visitor, collect};

/// A node that counts its drops in a counter shared with the spawning thread.
struct Node {
    next: GcCell<Option<Gc<Node>>>,
    value: usize,
    drops: Arc<AtomicUsize>,
    /// The thread the value was created on; it must be dropped there.
    home: thread::ThreadId,
}

impl Node {
    fn new(value: usize, drops: &Arc<AtomicUsize>) -> Gc<Node> {
        Gc::new(Node {
            next: GcCell::new(None),
            value,
            drops: drops.clone(),
            home: thread::current().id(),
        })
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        assert_eq!(
            thread::current().id(),
            self.home,
            "a value was dropped off its home thread"
        );
        self.drops.fetch_add(1, SeqCst);
    }
}

// SAFETY: visits the one `Gc`-owning field once.
unsafe impl Trace for Node {
    fn trace(&self, v: &mut Visitor) {
        self.next.trace(v);
    }
}

/// Makes a ring of `len` nodes and returns one member.
fn ring(len: usize, drops: &Arc<AtomicUsize>) -> Gc<Node> {
    let first = Node::new(0, drops);
    let mut prev = first.clone();
    for i in 1..len {
        let n = Node::new(i, drops);
        *prev.next.borrow_mut() = Some(n.clone());
        prev = n;
    }
    *prev.next.borrow_mut() = Some(first.clone());
    first
}

#[test]
fn garbage_of_an_exiting_thread_is_collected_at_exit() {
    const RINGS: usize = if cfg!(miri) { 5 } else { 200 };
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    thread::spawn(move || {
        // Cycles that are garbage already, and some still held on the stack
        // when the thread returns. No explicit collection.
        let mut held = Vec::new();
        for i in 0..RINGS {
            let r = ring(3, &d);
            if i % 2 == 0 {
                held.push(r);
            }
            drop(Node::new(1_000 + i, &d));
        }
        assert_eq!(d.load(SeqCst), 0);
        assert_eq!(held.len(), RINGS.div_ceil(2));
    })
    .join()
    .unwrap();
    // `join` returns after the thread's thread-local destructors ran.
    assert_eq!(drops.load(SeqCst), RINGS * 3 + RINGS);
}

#[test]
fn thread_that_only_allocates_then_exits() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    thread::spawn(move || drop(Node::new(0, &d)))
        .join()
        .unwrap();
    assert_eq!(drops.load(SeqCst), 1);
}

#[test]
fn thread_that_never_allocates_exits_cleanly() {
    thread::spawn(collect).join().unwrap();
    thread::spawn(|| ()).join().unwrap();
}

#[test]
fn panicking_thread_still_collects_its_garbage() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let result = thread::spawn(move || {
        let _held = ring(4, &d);
        drop(ring(4, &d));
        panic!("thread dies with live objects on its stack");
    })
    .join();
    assert!(result.is_err());
    assert_eq!(drops.load(SeqCst), 8);
}

thread_local! {
    static LATE: RefCell<Option<Gc<Node>>> = const { RefCell::new(None) };
    static LATE_RING: RefCell<Vec<Gc<Node>>> = const { RefCell::new(Vec::new()) };
}

#[test]
fn thread_local_initialised_after_the_heap_is_destroyed_first() {
    // Rust runs thread-local destructors in reverse order of registration (on
    // Linux through `__cxa_thread_atexit_impl`). The heap registers its
    // destructor on the thread's first allocation, so a thread-local first
    // touched afterwards is destroyed before the heap: its `Gc` is released
    // and the heap's exit collection drops the target on this thread.
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    thread::spawn(move || {
        let first = Node::new(0, &d); // registers the heap's destructor
        LATE.with(|l| *l.borrow_mut() = Some(Node::new(1, &d)));
        LATE_RING.with(|l| l.borrow_mut().push(ring(5, &d)));
        collect();
        assert_eq!(d.load(SeqCst), 0);
        assert_eq!(LATE.with(|l| l.borrow().as_ref().unwrap().value), 1);
        drop(first);
    })
    .join()
    .unwrap();
    assert_eq!(
        drops.load(SeqCst),
        1 + 1 + 5,
        "each value dropped exactly once at thread exit"
    );
}

thread_local! {
    static EARLY: RefCell<Option<Gc<Node>>> = const { RefCell::new(None) };
}

#[test]
fn thread_local_registered_before_the_heap_does_not_crash_at_exit() {
    // `EARLY` is touched before the first allocation, so it is destroyed after
    // the heap. Its object cannot be dropped by the exit collection; it must
    // not be dropped twice, crash when the thread-local releases it later, or
    // be dropped on another thread (`Node` is `!Send`): it is leaked.
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    thread::spawn(move || {
        EARLY.with(|e| assert!(e.borrow().is_none())); // registers `EARLY` first
        EARLY.with(|e| *e.borrow_mut() = Some(Node::new(7, &d)));
        drop(ring(3, &d));
    })
    .join()
    .unwrap();
    assert_eq!(drops.load(SeqCst), 3, "the ring dies at exit");
    // Later collections find the released object dead but never drop it here
    // (`Node::drop` asserts its home thread).
    collect();
    rudo_gc::sweep_pending();
    collect();
    assert_eq!(
        drops.load(SeqCst),
        3,
        "the early thread-local's object is leaked"
    );
}

#[test]
fn threads_allocating_and_collecting_in_parallel_do_not_interfere() {
    const THREADS: usize = if cfg!(miri) { 2 } else { 8 };
    const ROUNDS: usize = if cfg!(miri) { 3 } else { 50 };
    const RING: usize = if cfg!(miri) { 4 } else { 40 };
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let barrier = barrier.clone();
            thread::spawn(move || {
                let drops = Arc::new(AtomicUsize::new(0));
                barrier.wait();
                let keep = ring(RING, &drops);
                for round in 0..ROUNDS {
                    drop(ring(RING, &drops));
                    let kept = ring(RING, &drops);
                    collect();
                    // Exactly this thread's garbage so far died, no more: the
                    // rings dropped so far and the previous rounds' `kept`.
                    assert_eq!(drops.load(SeqCst), (2 * round + 1) * RING, "thread {t}");
                    assert_eq!(kept.next.borrow().as_ref().unwrap().value, 1);
                }
                // Walk the kept ring: intact after all the collections.
                let mut cur = keep.clone();
                let mut sum = 0;
                for _ in 0..RING {
                    sum += cur.value;
                    let next = cur.next.borrow().clone().unwrap();
                    cur = next;
                }
                assert_eq!(sum, RING * (RING - 1) / 2);
                assert!(Gc::ptr_eq(&cur, &keep));
                drop((cur, keep));
                collect();
                assert_eq!(drops.load(SeqCst), ROUNDS * 2 * RING + RING, "thread {t}");
                drops
            })
        })
        .collect();
    for h in handles {
        let drops = h.join().unwrap();
        assert_eq!(drops.load(SeqCst), ROUNDS * 2 * RING + RING);
    }
}

#[test]
fn many_short_lived_threads_each_clean_up() {
    const THREADS: usize = if cfg!(miri) { 3 } else { 64 };
    let drops = Arc::new(AtomicUsize::new(0));
    for i in 0..THREADS {
        let d = drops.clone();
        thread::spawn(move || {
            let r = ring(2 + i % 5, &d);
            collect();
            drop(r);
        })
        .join()
        .unwrap();
    }
    let expected: usize = (0..THREADS).map(|i| 2 + i % 5).sum();
    assert_eq!(drops.load(SeqCst), expected);
}

/// Regression: a thread that never allocates runs no collection when it
/// exits, and the release it made used to leave with its record, so the next
/// collection was skipped as if nothing had changed.
#[test]
fn a_release_by_an_exiting_thread_makes_the_next_collection_run() {
    let value = Gc::new([7_u64; 4]);
    let weak = Gc::downgrade(&value);
    collect(); // nothing is left to find: a collection now would be skipped
    thread::spawn(move || drop(value)).join().unwrap();
    collect();
    assert!(
        weak.upgrade().is_none(),
        "the collection after the thread's exit ran and freed the value"
    );
}

/// A `Send + Sync` value that counts its drops.
#[derive(rudo_gc::Trace)]
#[gc(unsafe_drop)]
struct Shared {
    #[gc(skip)]
    drops: Arc<AtomicUsize>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

thread_local! {
    static EARLY_SHARED: RefCell<Option<Gc<Node>>> = const { RefCell::new(None) };
}

/// Regression: one `Gc` released by a thread-local destroyed after the heap
/// "tainted" the whole exited thread, and none of its values was ever
/// dropped again, not even the `Send + Sync` ones other threads released
/// later. Now only what that late release would have released is leaked.
#[test]
fn a_late_release_leaks_only_what_it_releases() {
    let late_drops = Arc::new(AtomicUsize::new(0));
    let shared_drops = Arc::new(AtomicUsize::new(0));
    let (late, shared) = (late_drops.clone(), shared_drops.clone());
    let (tx, rx) = std::sync::mpsc::channel::<Gc<Shared>>();
    thread::spawn(move || {
        EARLY_SHARED.with(|e| assert!(e.borrow().is_none())); // registered first
        EARLY_SHARED.with(|e| *e.borrow_mut() = Some(Node::new(1, &late)));
        tx.send(Gc::new(Shared { drops: shared })).unwrap();
    })
    .join()
    .unwrap();
    // The thread exited; its early thread-local released its `Node` late.
    let value = rx.recv().unwrap();
    collect();
    rudo_gc::sweep_pending();
    assert_eq!(shared_drops.load(SeqCst), 0, "still held here");
    drop(value);
    collect();
    rudo_gc::sweep_pending();
    assert_eq!(
        shared_drops.load(SeqCst),
        1,
        "the exited thread's Send + Sync value is dropped once released"
    );
    assert_eq!(
        late_drops.load(SeqCst),
        0,
        "the late release leaked its Node"
    );
}

/// Set to make `Faulty::trace` panic.
static TRACE_PANICS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A value whose `Trace` panics while `TRACE_PANICS` is set.
struct Faulty {
    drops: Arc<AtomicUsize>,
    _not_send: core::marker::PhantomData<*const ()>,
}

// SAFETY: owns no `Gc`; panicking is allowed before anything is visited.
unsafe impl Trace for Faulty {
    fn trace(&self, _: &mut Visitor) {
        assert!(!TRACE_PANICS.load(SeqCst), "Faulty::trace fails");
    }
}

impl Drop for Faulty {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

/// A panic in `Trace` during a thread's exit collection used to unwind out
/// of the thread-local destructor and abort the process. Now it is reported,
/// and the thread's values (some perhaps dead, `!Send`, and droppable only
/// by it) are leaked, never dropped elsewhere.
#[test]
fn a_trace_panic_in_the_exit_collection_leaks_the_heap_instead_of_aborting() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let shared_drops = Arc::new(AtomicUsize::new(0));
    let s = shared_drops.clone();
    let (tx, rx) = std::sync::mpsc::channel::<Gc<Shared>>();
    thread::spawn(move || {
        drop(Gc::new(Faulty {
            drops: d.clone(),
            _not_send: core::marker::PhantomData,
        }));
        let _held = Gc::new(Faulty {
            drops: d,
            _not_send: core::marker::PhantomData,
        });
        tx.send(Gc::new(Shared { drops: s })).unwrap();
        TRACE_PANICS.store(true, SeqCst);
    })
    .join()
    .expect("the thread exits normally");
    TRACE_PANICS.store(false, SeqCst);
    let shared = rx.recv().unwrap();
    collect();
    rudo_gc::sweep_pending();
    assert_eq!(
        drops.load(SeqCst),
        0,
        "the abandoned heap's values are leaked"
    );
    // Objects on the leaked pages stay valid for the threads holding them.
    drop(shared);
    collect();
    assert_eq!(shared_drops.load(SeqCst), 0, "leaked with its heap");
    // The collector carries on.
    let weak = Gc::downgrade(&Gc::new(1_u8));
    collect();
    assert!(weak.upgrade().is_none());
}
