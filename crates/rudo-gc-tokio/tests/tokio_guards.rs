//! Root guards and the process root set (user stories 1, 5 and 6):
//! guarded objects survive awaits and collections with no `Gc` left, are
//! released on drop (also when a task panics or is aborted), two runtimes
//! share one set, and the dirty flag follows registrations and collections.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use common::{Tracked, collect_now, tracked};
use rudo_gc::{Gc, Weak, collect, stats};
use rudo_gc_tokio::{self as gc, GcRootGuard, GcRootSet, GcTokioExt};

#[gc::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guard_keeps_its_object_alive_across_awaits_and_collections() {
    let drops = Arc::new(AtomicUsize::new(0));
    let gc = tracked(7, &drops);
    let weak: Weak<Tracked> = Gc::downgrade(&gc);
    let guard = gc.root_guard();
    drop(gc);
    for _ in 0..5 {
        gc::yield_now().await;
        collect_now();
    }
    assert_eq!(guard.to_gc().value, 7);
    assert_eq!(drops.load(SeqCst), 0);
    drop(guard);
    collect_now();
    assert!(weak.upgrade().is_none());
    assert_eq!(drops.load(SeqCst), 1);
}

#[gc::test]
async fn several_guards_release_independently() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut guards: Vec<GcRootGuard<Tracked>> = (0..10)
        .map(|i| GcRootGuard::new(&tracked(i, &drops)))
        .collect();
    let before = GcRootSet::global().len();
    for i in (0..10).rev() {
        let guard = guards.pop().unwrap();
        assert_eq!(guard.to_gc().value, i);
        drop(guard);
        collect_now();
        assert_eq!(drops.load(SeqCst), 10 - i as usize);
        assert!(GcRootSet::global().len() < before + 1);
    }
}

#[gc::test(flavor = "multi_thread", worker_threads = 2)]
async fn panicking_and_aborted_tasks_release_their_guards() {
    let drops = Arc::new(AtomicUsize::new(0));
    let roots_before = GcRootSet::global().len();
    // Allocated here, so that this thread's collection drops them.
    let (first, second) = (tracked(1, &drops), tracked(2, &drops));
    let panicking = gc::spawn(async move {
        let _guard = first.root_guard();
        drop(first);
        panic!("the task fails while holding a guard");
    });
    let error = panicking.await.expect_err("the panic is the JoinError's");
    assert!(error.is_panic());
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let aborted = gc::spawn(async move {
        let _guard = second.root_guard();
        drop(second);
        started_tx.send(()).unwrap();
        std::future::pending::<()>().await;
    });
    started_rx.await.unwrap();
    aborted.abort();
    assert!(aborted.await.expect_err("aborted").is_cancelled());
    assert_eq!(
        GcRootSet::global().len(),
        roots_before,
        "both guards unregistered"
    );
    collect_now();
    assert_eq!(drops.load(SeqCst), 2);
}

#[test]
fn two_runtimes_share_the_root_set() {
    let drops = Arc::new(AtomicUsize::new(0));
    let build = || {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(1).enable_all();
        gc::runtime::install(&mut builder).build().unwrap()
    };
    let (a, b) = (build(), build());
    // Registered on runtime A, read and released on runtime B. (Allocated
    // here, so that this thread drops it in the end.)
    let value = tracked(42, &drops);
    let ticket = a
        .block_on(async { gc::spawn(async move { GcRootSet::global().register(&value) }).await })
        .unwrap();
    collect_now();
    let value = b
        .block_on(async {
            gc::spawn(async move {
                collect_now();
                let gc = GcRootSet::global()
                    .get::<Tracked>(ticket)
                    .expect("registered");
                GcRootSet::global().unregister(ticket).unwrap();
                gc.value
            })
            .await
        })
        .unwrap();
    assert_eq!(value, 42);
    assert!(!GcRootSet::global().contains(ticket));
    drop((a, b));
    collect_now();
    assert_eq!(drops.load(SeqCst), 1);
}

#[test]
fn the_dirty_flag_follows_registrations_and_collections() {
    let set = GcRootSet::global();
    collect_now();
    assert!(!set.is_dirty(), "clean after a collection");
    let guard = Gc::new(1_u32).root_guard();
    assert!(set.is_dirty(), "a registration makes it dirty");
    collect_now();
    assert!(!set.is_dirty());
    drop(guard);
    assert!(set.is_dirty(), "so does an unregistration");
    collect_now();
    assert!(!set.is_dirty());
}

/// SC-006: an idle service whose timer calls `collect()` skips at least 90%
/// of them (here: all but the first, since nothing changes).
#[gc::test(start_paused = true)]
async fn an_idle_service_skips_its_timer_collections() {
    let state = Gc::new(String::from("the service's state"));
    let _guard = state.root_guard();
    collect_now();
    let before = stats();
    let mut timer = tokio::time::interval(std::time::Duration::from_secs(1));
    for _ in 0..100 {
        timer.tick().await;
        collect();
    }
    let after = stats();
    let skipped = after.skipped_collections - before.skipped_collections;
    let ran = after.collections - before.collections;
    assert!(skipped >= 90, "{skipped} of 100 skipped, {ran} ran");
    assert_eq!(*state, "the service's state");
}

#[test]
fn a_stale_ticket_is_an_error_not_a_panic() {
    let set = GcRootSet::global();
    let ticket = set.register(&Gc::new(5_u8));
    set.unregister(ticket).unwrap();
    let error = set.unregister(ticket).unwrap_err();
    assert_eq!(error.ticket(), ticket);
    assert!(set.get::<u8>(ticket).is_none());
    // A ticket of the right value but the wrong type reads as `None`.
    let ticket = set.register(&Gc::new(5_u8));
    assert!(set.get::<u16>(ticket).is_none());
    assert_eq!(set.get::<u8>(ticket).as_deref(), Some(&5));
    set.unregister(ticket).unwrap();
}
