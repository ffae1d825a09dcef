//! Tasks (user stories 3 and 4): `gc::spawn` tasks keep what they capture
//! alive while other threads collect, 10,000 tasks hold roots across awaits
//! with collections in between (SC-002, SC-004), `spawn_local` runs `!Send`
//! values, and workers drop the dead values waiting for them at yields, after
//! each poll, and when they park.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::thread;

use common::{collect_now, tracked};
use rudo_gc::{Gc, GcMutex, Trace};
use rudo_gc_tokio::{self as gc, GcRootSet, GcTokioExt};

/// A tree of `depth` levels with checksum `value`-based leaves.
#[derive(Trace)]
struct Tree {
    value: u64,
    children: Vec<Gc<Tree>>,
}

fn tree(depth: u32, value: u64) -> Gc<Tree> {
    Gc::new(Tree {
        value,
        children: if depth == 0 {
            Vec::new()
        } else {
            (0..2).map(|i| tree(depth - 1, value * 2 + i)).collect()
        },
    })
}

fn sum(t: &Tree) -> u64 {
    t.value + t.children.iter().map(|c| sum(c)).sum::<u64>()
}

/// Collects in a loop on its own thread until `finish`; counts the
/// collections it completed, so that a task can wait for whole collections
/// to run while it holds what it checks (`lived_through_collections`).
///
/// SeqCst throughout: test flags, where the strongest ordering costs
/// nothing; `rounds` is incremented after each `collect_now` returns, so a
/// task that sees it grow by two saw a collection start and end after its
/// first read.
struct Collector {
    stop: Arc<AtomicBool>,
    rounds: Arc<AtomicUsize>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Collector {
    fn start() -> Collector {
        let stop = Arc::new(AtomicBool::new(false));
        let rounds = Arc::new(AtomicUsize::new(0));
        let (s, r) = (stop.clone(), rounds.clone());
        let thread = thread::spawn(move || {
            while !s.load(SeqCst) {
                collect_now();
                r.fetch_add(1, SeqCst);
            }
        });
        Collector {
            stop,
            rounds,
            thread: Some(thread),
        }
    }

    fn rounds(&self) -> Arc<AtomicUsize> {
        self.rounds.clone()
    }

    fn finish(mut self) {
        self.stop.store(true, SeqCst);
        self.thread.take().unwrap().join().unwrap();
    }
}

/// Yields until the collector has completed `n` more collections than it
/// had when called: with `n = 2`, at least one whole collection ran while
/// the caller held what it holds now. The collector runs until `finish`,
/// which the tests call only after their tasks are done, so this ends.
async fn lived_through_collections(rounds: &AtomicUsize, n: usize) {
    let seen = rounds.load(SeqCst);
    while rounds.load(SeqCst) < seen + n {
        gc::yield_now().await;
    }
}

#[gc::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawned_tasks_keep_their_gcs_while_another_thread_collects() {
    let collector = Collector::start();
    let shared = Gc::new(GcMutex::new(Vec::<Gc<Tree>>::new()));
    let tasks: Vec<_> = (0..if cfg!(miri) { 4 } else { 64 })
        .map(|i| {
            let shared = shared.clone();
            let rounds = collector.rounds();
            gc::spawn(async move {
                let mine = tree(if cfg!(miri) { 2 } else { 6 }, i);
                let expected = sum(&mine);
                // At least one whole collection while the task holds its tree.
                lived_through_collections(&rounds, 2).await;
                for _ in 0..4 {
                    gc::yield_now().await;
                    assert_eq!(sum(&mine), expected);
                }
                shared.lock().push(mine);
                expected
            })
        })
        .collect();
    let mut expected = 0;
    for t in tasks {
        expected += t.await.unwrap();
    }
    collector.finish();
    let total: u64 = shared.lock().iter().map(|t| sum(t)).sum();
    assert_eq!(total, expected);
}

/// SC-002 / SC-004: 10,000 tasks each holding a tree (by a `Gc` and by a
/// guard) across four awaits, with collections in between; none is ever
/// collected early.
#[gc::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_tasks_hold_roots_across_awaits() {
    const TASKS: u64 = if cfg!(miri) { 20 } else { 10_000 };
    let roots_before = GcRootSet::global().len();
    let collector = Collector::start();
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            gc::spawn(async move {
                let held = tree(3, i);
                let guarded = tree(2, i);
                let expected = (sum(&held), sum(&guarded));
                let guard = guarded.root_guard();
                drop(guarded);
                for _ in 0..4 {
                    tokio::task::yield_now().await;
                }
                (expected, (sum(&held), sum(&guard.to_gc())))
            })
        })
        .collect();
    for t in tasks {
        let (expected, found) = t.await.unwrap();
        assert_eq!(found, expected);
    }
    collector.finish();
    assert_eq!(GcRootSet::global().len(), roots_before);
}

#[test]
fn spawn_local_runs_tasks_with_values_that_are_not_send() {
    let runtime = {
        let mut builder = tokio::runtime::Builder::new_current_thread();
        builder.enable_all();
        gc::runtime::install(&mut builder).build().unwrap()
    };
    let local = tokio::task::LocalSet::new();
    let seen = local.block_on(&runtime, async {
        // `Rc` and `Cell`: `!Send` values behind `Gc`s.
        let counter = Gc::new(Rc::new(Cell::new(0_u32)));
        let tasks: Vec<_> = (0..if cfg!(miri) { 2 } else { 8 })
            .map(|_| {
                let counter = counter.clone();
                gc::spawn_local(async move {
                    tokio::task::yield_now().await;
                    collect_now();
                    counter.set(counter.get() + 1);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        counter.get()
    });
    assert_eq!(seen, if cfg!(miri) { 2 } else { 8 });
}

#[gc::test(flavor = "multi_thread", worker_threads = 1)]
async fn spawn_blocking_returns_and_drops_what_waits_for_its_thread() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let value = gc::spawn_blocking(move || {
        // Dies on this pool thread, found dead by another thread's collection.
        let gc = tracked(9, &d);
        let value = gc.value;
        thread::spawn(move || {
            drop(gc);
            collect_now();
        })
        .join()
        .unwrap();
        value
    })
    .await
    .unwrap();
    assert_eq!(value, 9);
    assert_eq!(
        drops.load(SeqCst),
        1,
        "dropped on the pool thread before it returned"
    );
}

/// Makes a dead value wait for the calling thread: it dies in a collection
/// another thread runs.
fn leave_pending(drops: &Arc<AtomicUsize>) {
    let gc = tracked(1, drops);
    thread::spawn(move || {
        drop(gc);
        collect_now();
    })
    .join()
    .unwrap();
}

#[gc::test]
async fn a_yield_drops_the_values_waiting_for_the_worker() {
    let drops = Arc::new(AtomicUsize::new(0));
    leave_pending(&drops);
    assert_eq!(drops.load(SeqCst), 0);
    gc::yield_now().await;
    assert_eq!(drops.load(SeqCst), 1);
    leave_pending(&drops);
    Gc::new(0_u8).yield_now().await;
    assert_eq!(drops.load(SeqCst), 2);
}

#[gc::test]
async fn a_task_drops_the_values_waiting_for_its_worker_after_each_poll() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    // The task runs on this (current_thread) runtime's thread.
    gc::spawn(async move { leave_pending(&d) }).await.unwrap();
    assert_eq!(drops.load(SeqCst), 1);
}

#[gc::test(start_paused = true)]
async fn a_parking_worker_drops_the_values_waiting_for_it() {
    let drops = Arc::new(AtomicUsize::new(0));
    leave_pending(&drops);
    assert_eq!(drops.load(SeqCst), 0);
    // The runtime has nothing else to do: it parks (paused time advances).
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(drops.load(SeqCst), 1, "dropped by the park hook");
}

#[test]
fn spawning_outside_a_runtime_panics_with_tokios_message() {
    let payload = std::panic::catch_unwind(|| gc::spawn(async {})).expect_err("no runtime");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(
        message.contains("no reactor running") || message.contains("runtime"),
        "{message}"
    );
}
