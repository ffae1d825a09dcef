//! Collection only at safepoints (`GcConfig::automatic(false)` and
//! `rudo_gc::safepoint()`): allocation never collects and never drops dead
//! values; the safepoint does both; memory stays bounded when the program
//! reaches safepoints; a thread's exit still collects; the same program makes
//! the same collections at the same safepoints in two separate processes.
//!
//! The configuration and the statistics are process-wide, so the tests of
//! this file take `LOCK` and set the mode themselves; no other test binary
//! shares the process.

use std::cell::Cell;
use std::process::Command;
use std::rc::Rc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use rudo_gc::{Gc, GcCell, GcConfig, Trace, Visitor, collect, safepoint, set_config, stats};

mod common;
use common::{Counted, garbage_pair};

/// Serialises the tests of this binary (process-wide mode and statistics).
static LOCK: Mutex<()> = Mutex::new(());

/// Takes `LOCK` and switches to safepoint-only mode with `budget` bytes.
fn manual_mode(budget: usize) -> std::sync::MutexGuard<'static, ()> {
    let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    set_config(
        GcConfig::default()
            .automatic(false)
            .young_budget_bytes(budget),
    );
    guard
}

#[test]
fn allocation_only_notes_the_collection_the_safepoint_runs_it() {
    let _lock = manual_mode(16 << 10);
    let drops = Rc::new(Cell::new(0));
    let before = stats().collections;
    // 2,000 pairs of 64-byte slots: about eight budgets.
    for _ in 0..1_000 {
        garbage_pair(&drops);
    }
    assert_eq!(stats().collections, before, "allocation never collects");
    assert_eq!(drops.get(), 0);
    safepoint();
    assert_eq!(
        stats().collections,
        before + 1,
        "the safepoint collects once"
    );
    assert!(drops.get() > 0, "and drops what it found dead");
    // Nothing due any more: a safepoint is a no-op.
    safepoint();
    assert_eq!(stats().collections, before + 1);
    collect();
    assert_eq!(drops.get(), 2_000, "every pair is garbage");
}

#[test]
fn a_safepoint_with_nothing_due_does_nothing() {
    let _lock = manual_mode(1 << 20);
    let keep = Gc::new(7_u64);
    let before = stats();
    for _ in 0..100 {
        safepoint();
    }
    let after = stats();
    assert_eq!(after.collections, before.collections);
    assert_eq!(after.skipped_collections, before.skipped_collections);
    assert_eq!(*keep, 7);
}

#[test]
fn allocation_never_drops_values_another_threads_collection_left() {
    let _lock = manual_mode(1 << 20);
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    DROPS.store(0, SeqCst);
    for i in 0..100 {
        drop(Gc::new(Counted(i, &DROPS)));
    }
    // Another thread's collection finds them dead; their values are dropped
    // on this thread, their home.
    std::thread::spawn(collect).join().unwrap();
    assert_eq!(DROPS.load(SeqCst), 0);
    // Enough allocation to reach the slow path several times.
    let keep: Vec<Gc<[u64; 8]>> = (0..2_000).map(|i| Gc::new([i; 8])).collect();
    assert_eq!(DROPS.load(SeqCst), 0, "allocation does not run destructors");
    safepoint();
    assert_eq!(DROPS.load(SeqCst), 100, "the safepoint does");
    assert_eq!(keep[1_999][0], 1_999);
}

#[test]
fn sweep_pending_drops_values_due_at_a_safepoint() {
    let _lock = manual_mode(1 << 20);
    let drops = Rc::new(Cell::new(0));
    for _ in 0..50 {
        garbage_pair(&drops);
    }
    std::thread::spawn(collect).join().unwrap();
    let _more: Vec<Gc<[u64; 8]>> = (0..2_000).map(|i| Gc::new([i; 8])).collect();
    assert_eq!(drops.get(), 0);
    rudo_gc::sweep_pending();
    assert_eq!(drops.get(), 100);
}

#[test]
#[cfg_attr(miri, ignore = "allocates 15 MB")]
fn memory_stays_bounded_when_the_program_reaches_safepoints() {
    const BUDGET: usize = 256 << 10;
    let _lock = manual_mode(BUDGET);
    let drops = Rc::new(Cell::new(0));
    let live: Vec<Gc<u64>> = (0..1_000).map(Gc::new).collect();
    let mut max_heap = 0;
    // 200,000 pair members: about 15 MB of cyclic garbage.
    for round in 0..100_000_usize {
        garbage_pair(&drops);
        if round % 64 == 0 {
            safepoint();
            max_heap = max_heap.max(stats().heap_bytes);
        }
    }
    assert!(
        max_heap < 8 << 20,
        "a bounded heap: {max_heap} bytes at most with a {BUDGET}-byte budget"
    );
    assert_eq!(*live[999], 999);
}

#[test]
fn a_threads_exit_still_collects() {
    let _lock = manual_mode(16 << 10);
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    struct Node {
        next: GcCell<Option<Gc<Node>>>,
    }
    impl Drop for Node {
        fn drop(&mut self) {
            DROPS.fetch_add(1, SeqCst);
        }
    }
    // SAFETY: visits the one `Gc`-owning field once.
    unsafe impl Trace for Node {
        fn trace(&self, v: &mut Visitor) {
            self.next.trace(v);
        }
    }
    DROPS.store(0, SeqCst);
    std::thread::spawn(|| {
        for _ in 0..500 {
            let a = Gc::new(Node {
                next: GcCell::new(None),
            });
            *a.next.borrow_mut() = Some(a.clone());
        }
    })
    .join()
    .unwrap();
    assert_eq!(DROPS.load(SeqCst), 500, "the exit collection dropped them");
}

/// The program the determinism test runs in two processes: allocation of
/// short-lived cycles and of a growing long-lived list, a safepoint every 50
/// steps. Returns, per safepoint where something happened, its number and
/// the minor and major collections so far.
fn deterministic_program() -> Vec<(usize, u64, u64)> {
    set_config(
        GcConfig::default()
            .automatic(false)
            .young_budget_bytes(32 << 10),
    );
    let drops = Rc::new(Cell::new(0));
    let mut long_lived: Vec<Gc<[u64; 4]>> = Vec::new();
    let mut trace = Vec::new();
    let mut last = (0, 0);
    for step in 0..20_000_usize {
        garbage_pair(&drops);
        if step % 3 == 0 {
            long_lived.push(Gc::new([step as u64; 4]));
        }
        if step % 50 == 0 {
            safepoint();
            let s = stats();
            let now = (s.minor_collections, s.major_collections);
            if now != last {
                trace.push((step / 50, now.0, now.1));
                last = now;
            }
        }
    }
    trace
}

/// The child side of `the_same_program_collects_at_the_same_safepoints`,
/// which runs it (`--ignored`) in processes of its own.
#[test]
#[ignore = "the child process of the_same_program_collects_at_the_same_safepoints"]
fn deterministic_program_child() {
    for (safepoint, minor, major) in deterministic_program() {
        println!("safepoint {safepoint}: {minor} minor, {major} major");
    }
}

#[test]
#[cfg_attr(miri, ignore = "spawns processes")]
fn the_same_program_collects_at_the_same_safepoints() {
    let run = || {
        let out = Command::new(std::env::current_exe().expect("the test binary"))
            .args(["--exact", "deterministic_program_child", "--nocapture"])
            .args(["--ignored", "--test-threads", "1"])
            .output()
            .expect("the test binary runs");
        assert!(out.status.success(), "child failed: {out:?}");
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .lines()
            .filter(|l| l.starts_with("safepoint "))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let first = run();
    let second = run();
    assert!(
        first.len() > 10,
        "the program collects at many safepoints: {first:?}"
    );
    assert!(
        first.last().is_some_and(|l| !l.ends_with(" 0 major")),
        "majors among them: {first:?}"
    );
    assert_eq!(first, second, "the same collections at the same safepoints");
}
