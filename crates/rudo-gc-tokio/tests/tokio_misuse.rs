//! Misuse catalogue (`docs/misuse.md`), "Tokio adapter": runtime misuse
//! whose outcome no other test checks.

use std::panic::{AssertUnwindSafe, catch_unwind};

use rudo_gc::Gc;
use rudo_gc_tokio::{self as gc, GcRootSet, GcTokioExt};

/// The message `f` panics with (it must panic).
fn caught(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("the misuse panics");
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[test]
fn spawn_local_outside_a_local_set_panics_with_tokios_message() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let message = runtime.block_on(async { caught(|| drop(gc::spawn_local(async {}))) });
    assert!(
        message.contains("`spawn_local` called from outside of a `task::LocalSet`"),
        "{message}"
    );
}

#[test]
fn spawn_blocking_outside_a_runtime_panics_with_tokios_message() {
    let message = caught(|| drop(gc::spawn_blocking(|| ())));
    assert!(
        message.contains("must be called from the context of a Tokio 1.x runtime"),
        "{message}"
    );
}

#[test]
fn to_gc_after_the_guards_ticket_was_unregistered_by_hand_panics() {
    let value = Gc::new(5_u32);
    let guard = value.root_guard();
    GcRootSet::global()
        .unregister(guard.ticket())
        .expect("the guard's ticket is registered");
    let message = caught(|| drop(guard.to_gc()));
    assert_eq!(
        message,
        "rudo-gc-tokio: a GcRootGuard's ticket was unregistered by hand; let the guard \
         unregister it when it drops"
    );
    // Dropping the guard afterwards is quiet: nothing is left to release.
    drop(guard);
    assert_eq!(*value, 5);
}
