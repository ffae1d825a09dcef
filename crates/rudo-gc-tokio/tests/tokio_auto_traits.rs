//! Auto-trait facts of the adapter's types (negative facts are compile-fail
//! tests in `tests/ui/`), and the adapter outside any runtime.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use rudo_gc::Gc;
use rudo_gc_tokio::{self as gc, GcRootGuard, GcRootScope, GcRootSet, GcTokioExt};

fn send<T: Send>(_: &T) {}
fn sync<T: Sync>(_: &T) {}

#[test]
fn guards_sets_and_scopes_are_send_like_tokio_types() {
    let guard: GcRootGuard<String> = Gc::new(String::new()).root_guard();
    send(&guard);
    sync(&guard);
    sync(GcRootSet::global());
    let scope = GcRootScope::new(async { 1 });
    send(&scope);
    // A future holding a guard and a `Gc` across an await stays `Send`.
    let future = async move {
        let held = Gc::new(5_u32);
        let _guard = held.root_guard();
        gc::yield_now().await;
        *held
    };
    send(&future);
    send(&GcRootScope::new(future));
    assert_eq!(std::mem::size_of::<GcRootGuard<String>>(), 8);
}

#[test]
fn yield_now_outside_a_runtime_yields_once_and_never_hangs() {
    let mut future = pin!(gc::yield_now());
    let mut cx = Context::from_waker(Waker::noop());
    assert!(future.as_mut().poll(&mut cx).is_pending());
    assert_eq!(future.as_mut().poll(&mut cx), Poll::Ready(()));
}

#[test]
fn a_scope_polls_its_future_under_any_executor() {
    let mut future = pin!(GcRootScope::new(async { Gc::new(3_u8).to_string() }));
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(future.as_mut().poll(&mut cx), Poll::Ready("3".to_owned()));
}
