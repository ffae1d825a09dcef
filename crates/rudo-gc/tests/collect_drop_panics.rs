//! Panics in destructors the collector runs: caught, reported through the
//! drop-panic hook with the type that panicked, and never resumed into an
//! unrelated operation (an allocation, a collection, a thread's exit).

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;

use common::collect_now;
use rudo_gc::{
    DropPanic, Gc, Trace, Visitor, collect, set_drop_panic_hook, stats, sweep_pending,
    take_drop_panic_hook,
};

/// What the test hook saw: `(type name, message)` per report.
static REPORTS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// Installs a hook that records reports; returns the reports made while `f`
/// ran. Tests of one binary run one at a time (`.cargo/config.toml`).
fn reports_during(f: impl FnOnce()) -> Vec<(String, String)> {
    REPORTS.lock().unwrap().clear();
    set_drop_panic_hook(|report: &DropPanic<'_>| {
        REPORTS.lock().unwrap().push((
            report.type_name().to_owned(),
            report.message().unwrap_or("").to_owned(),
        ));
    });
    f();
    drop(take_drop_panic_hook());
    core::mem::take(&mut *REPORTS.lock().unwrap())
}

struct Boom;

impl Drop for Boom {
    fn drop(&mut self) {
        panic!("boom");
    }
}

/// The type: the panicking destructor is a skipped field's.
#[derive(Trace)]
struct S {
    #[gc(skip)]
    _p: Boom,
}

/// A `Send + Sync` value whose destructor counts itself, then panics.
struct Bomb {
    drops: Arc<AtomicUsize>,
}

impl Drop for Bomb {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
        panic!("bomb {}", self.drops.load(SeqCst));
    }
}

// SAFETY: owns no `Gc`.
unsafe impl Trace for Bomb {
    fn trace(&self, _: &mut Visitor) {}
}

/// Leaves a dead `Bomb` pending on the calling thread: it dies in a
/// collection another thread runs, so it waits for this thread to drop it.
fn pending_bomb(drops: &Arc<AtomicUsize>) {
    let before = drops.load(SeqCst);
    let bomb = Gc::new(Bomb {
        drops: drops.clone(),
    });
    thread::spawn(move || {
        drop(bomb);
        collect();
    })
    .join()
    .unwrap();
    assert_eq!(
        drops.load(SeqCst),
        before,
        "not dropped yet: it waits for its home"
    );
}

#[test]
fn a_destructor_panic_at_thread_exit_is_reported_not_an_abort() {
    let reports = reports_during(|| {
        thread::spawn(|| drop(Gc::new(S { _p: Boom })))
            .join()
            .unwrap();
    });
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(reports[0].0.ends_with("::S"), "{reports:?}");
    assert_eq!(reports[0].1, "boom");
}

#[test]
fn an_orphan_value_panicking_in_another_threads_exit_is_reported() {
    let drops = Arc::new(AtomicUsize::new(0));
    let reports = reports_during(|| {
        // The first thread makes the value and exits while the second holds
        // it: it becomes an orphan, dropped by whoever finds it dead, here
        // the second thread's exit collection.
        let (tx, rx) = mpsc::channel();
        let d = drops.clone();
        thread::spawn(move || tx.send(Gc::new(Bomb { drops: d })).unwrap())
            .join()
            .unwrap();
        let bomb = rx.recv().unwrap();
        thread::spawn(move || drop(bomb)).join().unwrap();
        collect_now();
    });
    assert_eq!(drops.load(SeqCst), 1);
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(reports[0].0.ends_with("::Bomb"), "{reports:?}");
}

#[test]
fn an_allocation_is_never_failed_by_another_values_destructor() {
    let drops = Arc::new(AtomicUsize::new(0));
    let reports = reports_during(|| {
        pending_bomb(&drops);
        // This allocation drops the pending value, whose destructor panics.
        let kept = Gc::new(String::from("kept"));
        assert_eq!(*kept, "kept");
    });
    assert_eq!(drops.load(SeqCst), 1);
    assert_eq!(reports, [(reports[0].0.clone(), "bomb 1".to_owned())]);
}

/// Allocates while being dropped.
struct AllocatesOnDrop;

impl Drop for AllocatesOnDrop {
    fn drop(&mut self) {
        let value = Gc::new(41_u32);
        assert_eq!(*value + 1, 42);
    }
}

#[test]
fn allocating_in_a_drop_during_unwinding_does_not_abort() {
    let drops = Arc::new(AtomicUsize::new(0));
    let reports = reports_during(|| {
        pending_bomb(&drops);
        let result = catch_unwind(|| {
            let _guard = AllocatesOnDrop;
            panic!("the caller's own panic");
        });
        let payload = result.expect_err("the caller's panic propagates");
        assert_eq!(common::panic_message(&*payload), "the caller's own panic");
    });
    assert_eq!(drops.load(SeqCst), 1);
    assert_eq!(reports.len(), 1, "{reports:?}");
}

#[test]
fn collect_and_sweep_pending_report_instead_of_panicking() {
    let drops = Arc::new(AtomicUsize::new(0));
    let before = stats().destructor_panics;
    let reports = reports_during(|| {
        for _ in 0..3 {
            drop(Gc::new(Bomb {
                drops: drops.clone(),
            }));
        }
        collect();
        assert_eq!(drops.load(SeqCst), 3, "every value dropped");
        pending_bomb(&drops);
        sweep_pending();
        assert_eq!(drops.load(SeqCst), 4);
    });
    assert_eq!(reports.len(), 4, "{reports:?}");
    assert!(reports.iter().all(|(t, _)| t.ends_with("::Bomb")));
    assert_eq!(stats().destructor_panics - before, 4);
}

#[test]
fn a_panicking_hook_is_contained() {
    let drops = Arc::new(AtomicUsize::new(0));
    set_drop_panic_hook(|_: &DropPanic<'_>| panic!("the hook itself panics"));
    let result = catch_unwind(AssertUnwindSafe(|| {
        drop(Gc::new(Bomb {
            drops: drops.clone(),
        }));
        collect();
    }));
    drop(take_drop_panic_hook());
    assert!(result.is_ok(), "neither panic escaped the collection");
    assert_eq!(drops.load(SeqCst), 1);
}

#[test]
fn take_drop_panic_hook_restores_the_default_and_returns_the_installed_one() {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    set_drop_panic_hook(|_: &DropPanic<'_>| {
        CALLS.fetch_add(1, SeqCst);
    });
    let hook = take_drop_panic_hook();
    // The default hook is back: a report goes to stderr, not to `CALLS`.
    let drops = Arc::new(AtomicUsize::new(0));
    drop(Gc::new(Bomb {
        drops: drops.clone(),
    }));
    collect();
    assert_eq!((drops.load(SeqCst), CALLS.load(SeqCst)), (1, 0));
    // The returned hook is the one that was installed.
    set_drop_panic_hook(hook);
    drop(Gc::new(Bomb { drops }));
    collect();
    drop(take_drop_panic_hook());
    assert_eq!(CALLS.load(SeqCst), 1);
}
