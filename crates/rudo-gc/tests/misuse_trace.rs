//! Misuse catalogue (`docs/misuse.md`), "Trace": heap use from inside
//! `Trace::trace`. Each way of using the heap there gets the same panic;
//! the collection is abandoned and the next one works. A collection asked
//! for from `trace` is skipped.

mod common;

use std::panic::catch_unwind;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering::SeqCst};

use common::panic_message;
use rudo_gc::{Gc, GcCell, GcMutex, GcRwLock, Trace, Visitor, Weak, collect, handles, stats};

/// What `Misbehaving::trace` does besides visiting its edge.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
enum Action {
    Nothing,
    DropGc,
    DropWeak,
    Upgrade,
    BorrowMut,
    Lock,
    Write,
    Scope,
    Collect,
    CollectMinor,
    Inspect,
}

const ACTIONS: [Action; 11] = [
    Action::Nothing,
    Action::DropGc,
    Action::DropWeak,
    Action::Upgrade,
    Action::BorrowMut,
    Action::Lock,
    Action::Write,
    Action::Scope,
    Action::Collect,
    Action::CollectMinor,
    Action::Inspect,
];

/// The action, for whichever thread runs `trace` (a parallel mark may run
/// it on a helper thread).
static ACTION: AtomicU8 = AtomicU8::new(Action::Nothing as u8);
/// What `DropGc` and `DropWeak` take and drop.
type Stash = (Option<Gc<u32>>, Option<Weak<u32>>);
static STASH: Mutex<Stash> = Mutex::new((None, None));
/// Collections `trace` asked for, and how many had run before.
static ASKED: Mutex<Vec<u64>> = Mutex::new(Vec::new());
/// What `heap::census` and `heap::write_snapshot` returned inside `trace`:
/// objects counted.
static INSPECTED: Mutex<Vec<u64>> = Mutex::new(Vec::new());

/// The stash (a panic while it was locked does not matter here).
fn stash() -> std::sync::MutexGuard<'static, Stash> {
    STASH.lock().unwrap_or_else(|e| e.into_inner())
}

fn action() -> Action {
    ACTIONS[ACTION.load(SeqCst) as usize]
}

/// A node of a cycle whose `trace` misbehaves as `ACTION` says.
struct Misbehaving {
    next: GcCell<Option<Gc<Misbehaving>>>,
    cell: GcCell<u32>,
    mutex: GcMutex<u32>,
    rwlock: GcRwLock<u32>,
    weak: Weak<u32>,
}

// SAFETY: visits its one `Gc` once; the misbehaviour it is told to do is
// heap use, which the collector must reject (or, for collections, skip).
unsafe impl Trace for Misbehaving {
    fn trace(&self, v: &mut Visitor) {
        match action() {
            Action::Nothing => {}
            Action::DropGc => drop(stash().0.take()),
            Action::DropWeak => drop(stash().1.take()),
            Action::Upgrade => drop(self.weak.upgrade()),
            Action::BorrowMut => *self.cell.borrow_mut() += 1,
            Action::Lock => *self.mutex.lock() += 1,
            Action::Write => *self.rwlock.write() += 1,
            Action::Scope => handles::scope(|_| {}),
            Action::Collect | Action::CollectMinor => {
                let before = stats().collections;
                if action() == Action::Collect {
                    collect();
                } else {
                    rudo_gc::collect_minor();
                }
                ASKED.lock().unwrap().push(stats().collections - before);
            }
            Action::Inspect => {
                let census = rudo_gc::heap::census().objects();
                let snapshot = rudo_gc::heap::write_snapshot(std::io::sink())
                    .expect("a sink takes anything")
                    .objects as u64;
                INSPECTED.lock().unwrap().extend([census, snapshot]);
            }
        }
        self.next.trace(v);
    }
}

/// A garbage cycle of two misbehaving nodes, a `Weak` to watch it, and a
/// target for `weak` that stays alive.
fn garbage_cycle(target: &Gc<u32>) -> Weak<Misbehaving> {
    let node = || {
        Gc::new(Misbehaving {
            next: GcCell::new(None),
            cell: GcCell::new(0),
            mutex: GcMutex::new(0),
            rwlock: GcRwLock::new(0),
            weak: Gc::downgrade(target),
        })
    };
    let (a, b) = (node(), node());
    *a.next.borrow_mut() = Some(b.clone());
    *b.next.borrow_mut() = Some(a.clone());
    Gc::downgrade(&a)
}

/// Every test here uses the one `ACTION`: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Runs a collection with `trace` doing `action`; returns the panic message
/// if it panicked, after checking that the cycle survived an abandoned
/// collection and dies in the next one.
fn collect_while(action: Action) -> Option<String> {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let target = Gc::new(7_u32);
    *stash() = (Some(Gc::new(1)), Some(Gc::downgrade(&target)));
    let cycle = garbage_cycle(&target);
    ACTION.store(action as u8, SeqCst);
    let result = catch_unwind(collect);
    ACTION.store(Action::Nothing as u8, SeqCst);
    let message = result.err().map(|p| panic_message(&*p));
    if message.is_some() {
        assert!(
            cycle.upgrade().is_some(),
            "an abandoned collection frees nothing"
        );
        collect();
    }
    assert!(
        cycle.upgrade().is_none(),
        "the next collection frees the cycle"
    );
    // The heap works as before.
    assert_eq!(*Gc::new(5), 5);
    assert_eq!(*target, 7);
    message
}

fn assert_misuse_panic(action: Action) {
    let message =
        collect_while(action).unwrap_or_else(|| panic!("{action:?} in `trace` must panic"));
    assert!(
        message.contains(
            "rudo-gc: the heap was used while the collector was tracing it; `Trace::trace` must \
             not allocate, drop or upgrade GC pointers, borrow cells mutably or create handles"
        ),
        "{action:?}: {message}"
    );
}

#[test]
fn a_well_behaved_trace_collects_the_cycle() {
    assert_eq!(collect_while(Action::Nothing), None);
}

#[test]
fn dropping_a_gc_in_trace_panics_with_the_misuse_message() {
    assert_misuse_panic(Action::DropGc);
}

#[test]
fn dropping_a_weak_in_trace_panics_with_the_misuse_message() {
    assert_misuse_panic(Action::DropWeak);
}

#[test]
fn upgrading_a_weak_in_trace_panics_with_the_misuse_message() {
    assert_misuse_panic(Action::Upgrade);
}

#[test]
fn borrowing_a_cell_mutably_in_trace_panics_with_the_misuse_message() {
    assert_misuse_panic(Action::BorrowMut);
}

#[test]
fn locking_a_gc_mutex_in_trace_panics_with_the_misuse_message() {
    assert_misuse_panic(Action::Lock);
}

#[test]
fn writing_a_gc_rwlock_in_trace_panics_with_the_misuse_message() {
    assert_misuse_panic(Action::Write);
}

#[test]
fn opening_a_handle_scope_in_trace_panics_with_the_misuse_message() {
    assert_misuse_panic(Action::Scope);
}

#[test]
fn a_collection_asked_for_in_trace_is_skipped() {
    for action in [Action::Collect, Action::CollectMinor] {
        ASKED.lock().unwrap().clear();
        assert_eq!(
            collect_while(action),
            None,
            "{action:?} in trace does not panic"
        );
        let asked = ASKED.lock().unwrap().clone();
        assert!(!asked.is_empty(), "{action:?}: trace ran");
        assert!(
            asked.iter().all(|&ran| ran == 0),
            "{action:?}: no collection ran from inside trace: {asked:?}"
        );
    }
}

#[test]
fn a_census_or_snapshot_taken_in_trace_is_empty() {
    INSPECTED.lock().unwrap().clear();
    assert_eq!(collect_while(Action::Inspect), None, "no panic");
    let inspected = INSPECTED.lock().unwrap().clone();
    assert!(!inspected.is_empty(), "trace ran");
    assert!(inspected.iter().all(|&n| n == 0), "{inspected:?}");
}
