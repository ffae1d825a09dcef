//! Async handle scopes: handles that cross `.await`s and threads keep their
//! objects alive, report use after their scope closed, and release their
//! roots with their last owner.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread;

use common::{collect_now, panic_message};
use rudo_gc::handles::{ASYNC_SCOPE_CAPACITY, AsyncHandle, AsyncHandleScope};
use rudo_gc::{Gc, Weak};

#[test]
fn a_handle_roots_its_object_with_no_gc_left() {
    let scope = AsyncHandleScope::new();
    let weak: Weak<String>;
    let handle = {
        let gc = Gc::new(String::from("rooted by a handle"));
        weak = Gc::downgrade(&gc);
        scope.handle(&gc)
    };
    for _ in 0..3 {
        collect_now();
    }
    assert_eq!(handle.get(), "rooted by a handle");
    assert_eq!(scope.len(), 1);
    drop((handle, scope));
    collect_now();
    assert!(weak.upgrade().is_none(), "released with the last owner");
}

#[test]
fn after_the_scope_closes_get_panics_and_the_object_stays_alive() {
    let scope = AsyncHandleScope::new();
    let gc = Gc::new(vec![1, 2, 3]);
    let weak = Gc::downgrade(&gc);
    let handle = scope.handle(&gc);
    drop((gc, scope));
    collect_now();
    assert!(!handle.is_open());
    assert!(handle.try_get().is_none());
    let message = panic_message(
        &*catch_unwind(AssertUnwindSafe(|| handle.get().len())).expect_err("a closed scope"),
    );
    assert!(
        message.contains("after its AsyncHandleScope was dropped"),
        "{message}"
    );
    assert!(weak.upgrade().is_some(), "never freed under a live handle");
    // SAFETY: not upheld on purpose; the object is still alive (rule 2).
    assert_eq!(unsafe { handle.get_unchecked() }, &[1, 2, 3]);
    let gc = handle.to_gc();
    drop(handle);
    collect_now();
    assert_eq!(*gc, [1, 2, 3], "to_gc outlives both");
}

#[test]
fn handles_cross_threads_and_clones_share_the_slot() {
    let scope = Arc::new(AsyncHandleScope::new());
    let handles: Vec<AsyncHandle<u64>> = (0..100).map(|i| scope.handle(&Gc::new(i))).collect();
    let workers: Vec<_> = (0..2)
        .map(|t| {
            let (scope, handles) = (scope.clone(), handles.clone());
            thread::spawn(move || {
                // Handles made on this thread too, into the shared scope.
                let mine: Vec<_> = (0..50)
                    .map(|i| scope.handle(&Gc::new(1_000 * t + i)))
                    .collect();
                collect_now();
                let sum: u64 = handles.iter().map(|h| *h.get()).sum();
                (sum, mine)
            })
        })
        .collect();
    for w in workers {
        let (sum, mine) = w.join().unwrap();
        assert_eq!(sum, 99 * 100 / 2);
        assert!(
            mine.iter()
                .enumerate()
                .all(|(i, h)| *h.get() % 1_000 == i as u64)
        );
    }
    assert_eq!(scope.len(), 200);
    assert!(AsyncHandle::ptr_eq(&handles[3], &handles[3].clone()));
    assert!(format!("{:?}", handles[7]).contains('7'));
}

#[test]
#[cfg_attr(miri, ignore = "65,544 handles are too slow under Miri")]
fn a_full_scope_panics_naming_its_capacity() {
    let scope = AsyncHandleScope::new();
    let gc = Gc::new(0_u8);
    let handles: Vec<_> = (0..ASYNC_SCOPE_CAPACITY)
        .map(|_| scope.handle(&gc))
        .collect();
    let message =
        panic_message(&*catch_unwind(AssertUnwindSafe(|| scope.handle(&gc))).expect_err("full"));
    assert!(message.contains("at most 65544 handles"), "{message}");
    assert_eq!(scope.len(), ASYNC_SCOPE_CAPACITY);
    assert_eq!(*handles[ASYNC_SCOPE_CAPACITY - 1].get(), 0);
    drop(handles);
    drop(scope);
    assert_eq!(Gc::ref_count(&gc), 1, "every slot released its count");
}
