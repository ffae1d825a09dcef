//! A thread never deadlocks against itself: a collection triggered inside an
//! allocation, destructors that allocate, drop, collect or sweep, and a panic
//! inside `Trace` all leave the heap consistent, and the next collection works.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use rudo_gc::{Gc, GcCell, Trace, Visitor, collect, stats, sweep_pending};

mod common;
use common::{collect_now, panic_message};

/// Set to make `Greedy::trace` allocate (which it must not).
static ALLOCATE_IN_TRACE: AtomicBool = AtomicBool::new(false);

struct Greedy {
    next: GcCell<Option<Gc<Greedy>>>,
}

// SAFETY: visits its one `Gc` once (and, when told to, misbehaves by
// allocating, which the collector must reject with a panic).
unsafe impl Trace for Greedy {
    fn trace(&self, v: &mut Visitor) {
        if ALLOCATE_IN_TRACE.load(SeqCst) {
            drop(Gc::new(0_u32));
        }
        self.next.trace(v);
    }
}

#[test]
fn allocating_in_trace_panics_and_the_next_collection_works() {
    let a = Gc::new(Greedy {
        next: GcCell::new(None),
    });
    *a.next.borrow_mut() = Some(a.clone());
    let kept = Gc::new(Greedy {
        next: GcCell::new(None),
    });
    let weak = Gc::downgrade(&a);
    drop(a);
    ALLOCATE_IN_TRACE.store(true, SeqCst);
    let result = catch_unwind(collect_now);
    ALLOCATE_IN_TRACE.store(false, SeqCst);
    let message = panic_message(&*result.expect_err("allocating in `trace` panics"));
    assert!(
        message.contains("`Trace::trace` must not allocate"),
        "clear message: {message}"
    );
    // Nothing was freed by the abandoned collection; the next one works.
    assert!(weak.upgrade().is_some());
    collect();
    assert!(weak.upgrade().is_none(), "the garbage cycle dies next time");
    assert!(kept.next.borrow().is_none());
    // Allocation works again.
    assert_eq!(*Gc::new(5), 5);
}

thread_local! {
    static DROPS: Cell<usize> = const { Cell::new(0) };
}

/// Its destructor allocates enough to spend the young budget (a collection
/// is requested from inside a destructor run by a collection), collects
/// explicitly and sweeps: all skipped or done without deadlock.
struct Busy {
    payload: Vec<u8>,
}

// SAFETY: owns no `Gc`.
unsafe impl Trace for Busy {
    fn trace(&self, _: &mut Visitor) {}
}

impl Drop for Busy {
    fn drop(&mut self) {
        DROPS.with(|d| d.set(d.get() + 1));
        let budget = rudo_gc::config().young_budget_bytes;
        let garbage: Vec<Gc<[u8; 1024]>> = (0..if cfg!(miri) { 4 } else { budget / 1024 + 8 })
            .map(|_| Gc::new([0; 1024]))
            .collect();
        drop(garbage);
        collect();
        sweep_pending();
        assert_eq!(self.payload.len(), 3);
    }
}

#[test]
fn destructors_may_allocate_collect_and_sweep() {
    DROPS.with(|d| d.set(0));
    let before = stats().objects_freed;
    for _ in 0..3 {
        drop(Gc::new(Busy {
            payload: vec![1, 2, 3],
        }));
    }
    collect_now();
    assert_eq!(DROPS.with(Cell::get), 3);
    // What the destructors allocated is garbage, freed by the collections
    // they ran themselves (or the next one).
    collect_now();
    let garbage = 3 * if cfg!(miri) {
        4
    } else {
        rudo_gc::config().young_budget_bytes / 1024 + 8
    };
    assert!(stats().objects_freed - before >= garbage as u64);
}

/// Counts drops; its destructor drops more `Gc`s (a chain it owns).
struct Chain {
    next: Option<Gc<Chain>>,
    drops: &'static AtomicUsize,
}

// SAFETY: visits its one `Gc` once.
unsafe impl Trace for Chain {
    fn trace(&self, v: &mut Visitor) {
        self.next.trace(v);
    }
}

impl Drop for Chain {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

#[test]
fn destruction_that_drops_more_gcs_frees_the_whole_chain() {
    static DROPPED: AtomicUsize = AtomicUsize::new(0);
    const LEN: usize = if cfg!(miri) { 20 } else { 2_000 };
    let mut head = None;
    for _ in 0..LEN {
        head = Some(Gc::new(Chain {
            next: head.take(),
            drops: &DROPPED,
        }));
    }
    drop(head);
    collect();
    assert_eq!(DROPPED.load(SeqCst), LEN);
}

#[test]
fn budget_collections_inside_allocations_with_allocating_destructors_drop_each_value_once() {
    // A tiny budget makes nearly every refill request a collection from
    // inside `Gc::new`; destructors then allocate again (`Busy`).
    let old = rudo_gc::config();
    rudo_gc::set_config(old.young_budget_bytes(16 * 1024));
    DROPS.with(|d| d.set(0));
    for _ in 0..if cfg!(miri) { 2 } else { 50 } {
        drop(Gc::new(Busy {
            payload: vec![1, 2, 3],
        }));
        let _ = Gc::new([0_u8; 512]);
    }
    rudo_gc::set_config(old);
    collect_now();
    assert_eq!(DROPS.with(Cell::get), if cfg!(miri) { 2 } else { 50 });
}

#[test]
fn a_panicking_trace_with_a_mutable_borrow_elsewhere_keeps_counts() {
    // The abandoned collection changed no count: a live object's count is
    // what its `Gc`s say.
    let a = Gc::new(Greedy {
        next: GcCell::new(None),
    });
    let b = a.clone();
    ALLOCATE_IN_TRACE.store(true, SeqCst);
    let _ = catch_unwind(AssertUnwindSafe(collect_now));
    ALLOCATE_IN_TRACE.store(false, SeqCst);
    assert_eq!(Gc::ref_count(&a), 2);
    drop(b);
    collect();
    assert_eq!(Gc::ref_count(&a), 1);
}

/// Its destructor makes another one (with one less to go) and collects, so
/// every destructor starts a collection that finds the next one dead.
struct Recursive {
    left: usize,
    drops: &'static AtomicUsize,
}

// SAFETY: owns no `Gc`.
unsafe impl Trace for Recursive {
    fn trace(&self, _: &mut Visitor) {}
}

impl Drop for Recursive {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
        if self.left > 0 {
            drop(Gc::new(Recursive {
                left: self.left - 1,
                drops: self.drops,
            }));
            collect();
        }
    }
}

/// Sweeps started by destructors nest only a few levels deep; the values
/// found deeper are dropped by an enclosing sweep, so a chain of thousands of
/// destructors each collecting does not overflow the stack.
#[test]
fn destructors_that_collect_in_a_chain_do_not_nest_without_bound() {
    static DROPPED: AtomicUsize = AtomicUsize::new(0);
    const CHAIN: usize = if cfg!(miri) { 12 } else { 3_000 };
    drop(Gc::new(Recursive {
        left: CHAIN - 1,
        drops: &DROPPED,
    }));
    collect();
    sweep_pending();
    assert_eq!(DROPPED.load(SeqCst), CHAIN);
}
