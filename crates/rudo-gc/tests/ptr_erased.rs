//! `ErasedGc`: a `Gc` whose type is forgotten keeps its object alive, traces
//! like a `Gc`, and turns back into the right `Gc<T>` only.

mod common;

use common::collect_now;
use rudo_gc::{ErasedGc, Gc, GcMutex, Trace, Weak};

#[derive(Trace)]
struct Holder {
    inner: GcMutex<Option<ErasedGc>>,
}

#[test]
fn an_erased_reference_keeps_its_object_alive_until_dropped() {
    let gc = Gc::new(String::from("alive"));
    let weak: Weak<String> = Gc::downgrade(&gc);
    let erased = Gc::erase(gc);
    collect_now();
    assert_eq!(*weak.upgrade().unwrap(), "alive");
    assert!(erased.type_name().contains("String"));
    drop(erased);
    collect_now();
    assert!(weak.upgrade().is_none());
}

#[test]
fn downcast_gives_back_the_same_object_only_for_its_type() {
    let gc = Gc::new(7_u64);
    let erased = Gc::erase(gc.clone());
    assert!(erased.is::<u64>() && !erased.is::<u32>());
    let erased = erased.downcast::<u32>().expect_err("not a u32");
    let back: Gc<u64> = erased.downcast().expect("a u64");
    assert!(Gc::ptr_eq(&back, &gc));
    assert_eq!(Gc::ref_count(&gc), 2, "the count moved, it was not copied");
}

#[test]
fn clones_share_the_object_and_compare_equal() {
    let a = Gc::erase(Gc::new([1_u8; 8]));
    let b = a.clone();
    assert!(ErasedGc::ptr_eq(&a, &b));
    assert!(!ErasedGc::ptr_eq(&a, &Gc::erase(Gc::new([1_u8; 8]))));
    assert!(format!("{a:?}").starts_with("ErasedGc("));
}

#[test]
fn an_erased_reference_inside_the_heap_is_traced_like_a_gc() {
    // A cycle through an erased edge is garbage once unreachable.
    let holder = Gc::new(Holder {
        inner: GcMutex::new(None),
    });
    *holder.inner.lock() = Some(Gc::erase(holder.clone()));
    let weak = Gc::downgrade(&holder);
    collect_now();
    assert!(weak.upgrade().is_some(), "held from the stack");
    drop(holder);
    collect_now();
    assert!(
        weak.upgrade().is_none(),
        "the erased edge did not keep the cycle alive"
    );
}

#[test]
fn erased_references_cross_threads() {
    let erased = Gc::erase(Gc::new(String::from("shared")));
    let back = std::thread::spawn(move || {
        collect_now();
        erased
    })
    .join()
    .unwrap();
    assert_eq!(*back.downcast::<String>().unwrap(), "shared");
}
