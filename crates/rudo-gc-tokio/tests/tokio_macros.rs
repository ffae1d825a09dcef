//! The macros: `#[gc::test]` / `#[gc::main]` options, `#[gc::root]` guards
//! and futures that stay `Send`, and `spawn_with_gc!` with one, two and
//! twelve values (user stories 2 and 5 of the specs).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use common::collect_now;
use rudo_gc::{Gc, GcMutex, Weak};
use rudo_gc_tokio::{self as gc, AsyncHandle, GcRootSet};

#[gc::test]
async fn the_default_test_flavor_is_current_thread() {
    let here = std::thread::current().id();
    let there = gc::spawn(async { std::thread::current().id() })
        .await
        .unwrap();
    assert_eq!(here, there);
}

#[gc::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_thread_test_runs_tasks_on_its_workers() {
    let here = std::thread::current().id();
    let there = gc::spawn(async { std::thread::current().id() })
        .await
        .unwrap();
    assert_ne!(here, there);
}

#[gc::test]
async fn a_test_may_return_a_result() -> Result<(), String> {
    let value = Gc::new(3_u8);
    if *value == 3 {
        Ok(())
    } else {
        Err("wrong".into())
    }
}

#[gc::test(start_paused = true)]
async fn start_paused_pauses_time() {
    let before = tokio::time::Instant::now();
    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    assert!(before.elapsed() >= std::time::Duration::from_secs(3600));
}

/// A renamed path to the adapter.
mod renamed {
    pub(crate) use rudo_gc_tokio as adapter;
}

#[gc::test(crate = "renamed::adapter")]
async fn the_crate_option_names_a_renamed_adapter() {
    assert_eq!(*Gc::new(1_u8), 1);
}

/// Counts calls; its `Gc` parameters are guarded while it runs.
#[gc::root]
async fn handle_request(request: Gc<String>, hits: &Gc<GcMutex<u64>>, tag: u8) -> usize {
    *hits.lock() += 1;
    let request_weak = Gc::downgrade(&request);
    // The guards hold the parameters even though the body gives up its
    // `Gc` and collections run across the awaits.
    drop(request);
    for _ in 0..3 {
        tokio::task::yield_now().await;
        collect_now();
    }
    let request = request_weak.upgrade().expect("guarded for the whole body");
    request.len() + tag as usize
}

#[gc::test]
async fn root_guards_every_gc_parameter_for_the_body() {
    let roots_before = GcRootSet::global().len();
    let hits = Gc::new(GcMutex::new(0));
    let len = handle_request(Gc::new(String::from("GET /index")), &hits, 1).await;
    assert_eq!(len, 11);
    assert_eq!(*hits.lock(), 1);
    assert_eq!(
        GcRootSet::global().len(),
        roots_before,
        "released when the future completes"
    );
}

#[gc::test]
async fn a_root_future_stays_send_and_releases_when_dropped_unfinished() {
    fn assert_send<F: Send>(f: F) -> F {
        f
    }
    let roots_before = GcRootSet::global().len();
    let hits = Gc::new(GcMutex::new(0));
    let future = assert_send(handle_request(Gc::new(String::from("x")), &hits, 0));
    // Polled once (guards created), then dropped unfinished.
    let mut future = Box::pin(future);
    let waker = std::task::Waker::noop();
    let _ = future
        .as_mut()
        .poll(&mut std::task::Context::from_waker(waker));
    assert_eq!(GcRootSet::global().len(), roots_before + 2);
    drop(future);
    assert_eq!(GcRootSet::global().len(), roots_before);
}

#[gc::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_with_gc_hands_the_task_one_handle() {
    let doc = Gc::new(String::from("the document"));
    let weak = Gc::downgrade(&doc);
    let task = gc::spawn_with_gc!(doc => |doc| async move {
        tokio::task::yield_now().await;
        collect_now();
        doc.get().len()
    });
    drop(doc);
    assert_eq!(task.await.unwrap(), 12);
    collect_now();
    assert!(weak.upgrade().is_none(), "the task's scope released it");
}

#[gc::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_with_gc_hands_the_task_two_handles() {
    let (a, b) = (Gc::new(6_u64), Gc::new(7_u64));
    let task = gc::spawn_with_gc!(a, b => |ha, hb| async move {
        collect_now();
        *ha.get() * *hb.get()
    });
    assert_eq!(task.await.unwrap(), 42);
}

#[gc::test]
async fn spawn_with_gc_takes_twelve_values_of_different_types() {
    let values: Vec<Gc<u64>> = (1..=11).map(Gc::new).collect();
    let name = Gc::new(String::from("twelve"));
    let [a, b, c, d, e, f, g, h, i, j, k] = <[Gc<u64>; 11]>::try_from(values).unwrap();
    let sum = gc::spawn_with_gc!(a, b, c, d, e, f, g, h, i, j, k, name =>
    |a, b, c, d, e, f, g, h, i, j, k, name| async move {
        let all = [a, b, c, d, e, f, g, h, i, j, k];
        all.iter().map(|x| *x.get()).sum::<u64>() + name.get().len() as u64
    })
    .await
    .unwrap();
    assert_eq!(sum, 66 + 6);
}

#[gc::test]
async fn an_async_handle_that_outlives_its_task_reports_the_closed_scope() {
    let value = Gc::new(String::from("escapes"));
    let weak: Weak<String> = Gc::downgrade(&value);
    let escaped: AsyncHandle<String> = gc::spawn_with_gc!(value => |handle| async move { handle })
        .await
        .unwrap();
    drop(value);
    collect_now();
    assert!(
        escaped.try_get().is_none(),
        "its scope closed with the task"
    );
    assert!(
        weak.upgrade().is_some(),
        "but the object lives while the handle does"
    );
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| escaped.get().len()))
        .expect_err("a clear panic");
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    assert!(
        message.contains("AsyncHandleScope was dropped"),
        "{message}"
    );
    drop(escaped);
    collect_now();
    assert!(weak.upgrade().is_none());
}

#[test]
fn gc_main_builds_a_runtime_with_the_hooks() {
    static RAN: AtomicUsize = AtomicUsize::new(0);
    #[gc::main(flavor = "current_thread")]
    async fn main() {
        RAN.fetch_add(1, SeqCst);
    }
    main();
    #[gc::main(worker_threads = 1)]
    async fn main_multi() -> Result<u8, String> {
        let n = Arc::new(Gc::new(4_u8));
        let m = gc::spawn(async move { **n })
            .await
            .map_err(|e| e.to_string())?;
        RAN.fetch_add(1, SeqCst);
        Ok(m)
    }
    assert_eq!(main_multi(), Ok(4));
    assert_eq!(RAN.load(SeqCst), 2);
}
