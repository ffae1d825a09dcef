//! `heap::census()`: live objects and bytes per type, on every thread's
//! heap and the pages of exited threads; dead objects are not counted.
//! Each test counts a type of its own, so the counts are exact while other
//! tests run.

use rudo_gc::heap::census;
use rudo_gc::{Gc, GcCell, Trace, collect};

mod common;

#[derive(Trace)]
struct Leaf(u64);

#[derive(Trace)]
struct Big([u64; 1024]);

#[derive(Trace)]
struct Ring {
    next: GcCell<Option<Gc<Ring>>>,
}

fn name<T: ?Sized>() -> &'static str {
    core::any::type_name::<T>()
}

#[test]
fn counts_live_objects_and_their_slot_bytes_per_type() {
    let leaves: Vec<Gc<Leaf>> = (0..100).map(Leaf).map(Gc::new).collect();
    let big = Gc::new(Big([7; 1024])); // a large object
    let c = census();
    let l = c.of(name::<Leaf>()).expect("leaves are counted");
    assert_eq!(l.objects, 100);
    assert!(l.bytes >= 100 * (16 + 8), "header and value: {l:?}");
    let b = c.of(name::<Big>()).expect("the large object is counted");
    assert_eq!(b.objects, 1);
    assert!(b.bytes >= 8 * 1024, "{b:?}");
    assert!(c.objects() >= 101 && c.bytes() >= l.bytes + b.bytes);
    // Sorted by bytes, and the report names the biggest.
    assert!(c.types.windows(2).all(|w| w[0].bytes >= w[1].bytes));
    assert!(c.to_string().contains("rudo-gc heap:"));
    drop((leaves, big));
}

#[test]
fn dead_objects_leave_the_census() {
    let ring: Vec<Gc<Ring>> = (0..10)
        .map(|_| {
            Gc::new(Ring {
                next: GcCell::new(None),
            })
        })
        .collect();
    for (i, r) in ring.iter().enumerate() {
        *r.next.borrow_mut() = Some(ring[(i + 1) % ring.len()].clone());
    }
    assert_eq!(census().of(name::<Ring>()).unwrap().objects, 10);
    drop(ring);
    collect();
    assert!(
        census().of(name::<Ring>()).is_none(),
        "the dead cycle is gone"
    );
}

#[test]
fn other_threads_and_exited_threads_objects_are_counted() {
    #[derive(Trace)]
    struct Shared(u32);
    let (tx, rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let t = std::thread::spawn(move || {
        let kept: Vec<Gc<Shared>> = (0..5).map(|i| Gc::new(Shared(i))).collect();
        tx.send(kept[0].clone()).unwrap();
        done_rx.recv().unwrap(); // alive until the census below
    });
    let first = rx.recv().unwrap();
    assert_eq!(
        census().of(name::<Shared>()).unwrap().objects,
        5,
        "a running thread's heap"
    );
    done_tx.send(()).unwrap();
    t.join().unwrap();
    // The thread exited; its other four objects died at its exit collection,
    // the one sent here lives on its orphaned page.
    assert_eq!(
        census().of(name::<Shared>()).unwrap().objects,
        1,
        "an orphaned page"
    );
    assert_eq!(first.0, 0);
}

#[test]
fn slices_and_strings_count_under_their_own_names() {
    let ints: Gc<[u16]> = (0..50_u16).collect();
    let text: Gc<str> = Gc::from("census");
    let c = census();
    assert!(c.of(name::<[u16]>()).unwrap().objects >= 1);
    assert!(c.of(name::<str>()).unwrap().objects >= 1);
    assert_eq!(c.top(1).len(), 1);
    assert_eq!(c.top(usize::MAX).len(), c.types.len());
    drop((ints, text));
}

#[test]
fn allocation_counters_move_before_any_collection() {
    // Large objects are counted one by one as they are allocated.
    let before = rudo_gc::stats();
    let big: Vec<Gc<Big>> = (0..4).map(|_| Gc::new(Big([1; 1024]))).collect();
    let after = rudo_gc::stats();
    assert!(
        after.objects_allocated >= before.objects_allocated + 4
            || after.collections > before.collections,
        "{before:?} -> {after:?}"
    );
    assert!(
        after.bytes_allocated >= before.bytes_allocated + 4 * 8 * 1024
            || after.collections > before.collections
    );
    // Live bytes are current too: the four large objects are in them now.
    assert!(
        after.live_bytes >= 4 * 8 * 1024 && after.live_objects >= 4,
        "{after:?}"
    );
    drop(big);
}
