//! `Gc::from_interior` / `Gc::from_interior_local`: a counted `Gc` from any
//! byte of a live object of the right type; `None` for everything else:
//! other types, addresses outside the heap, freed objects, objects a
//! collection found dead whose destructors are still pending, and, for the
//! local form, another thread's objects. (Objects under construction by
//! `new_cyclic` are `DEAD` and refused by the same check as dead ones.)

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use rudo_gc::{Gc, Trace, Visitor, collect};

mod common;
use common::Counted;

/// Bytes of a `Gc` object's header, before its value.
const HEADER: usize = 16;

#[test]
fn every_byte_of_the_object_finds_it_and_counts_one_more() {
    let object = Gc::new([7_u64; 6]);
    let value = Gc::as_ptr(&object).cast::<u8>();
    let first = value.wrapping_sub(HEADER);
    for offset in 0..HEADER + 48 {
        let back = Gc::<[u64; 6]>::from_interior(first.wrapping_add(offset))
            .unwrap_or_else(|| panic!("byte {offset} of the object"));
        assert!(Gc::ptr_eq(&back, &object));
        assert_eq!(Gc::ref_count(&object), 2, "one count per recovered Gc");
    }
    assert_eq!(Gc::ref_count(&object), 1);
}

#[test]
fn large_objects_are_found_from_any_of_their_pages() {
    let big = Gc::new([3_u8; 100_000]);
    let value = Gc::as_ptr(&big).cast::<u8>();
    for offset in [0, 1, 40_000, 80_000, 99_999] {
        let back = Gc::<[u8; 100_000]>::from_interior(value.wrapping_add(offset))
            .unwrap_or_else(|| panic!("byte {offset} of the value"));
        assert!(Gc::ptr_eq(&back, &big));
    }
}

#[test]
fn another_type_or_an_address_outside_the_heap_is_none() {
    let object = Gc::new(5_u64);
    let addr = Gc::as_ptr(&object).cast::<u8>();
    assert!(Gc::<u32>::from_interior(addr).is_none());
    assert!(Gc::<i64>::from_interior(addr).is_none());
    assert!(Gc::<String>::from_interior(addr).is_none());
    let on_stack = 5_u64;
    assert!(Gc::<u64>::from_interior((&raw const on_stack).cast()).is_none());
    assert!(Gc::<u64>::from_interior(core::ptr::null()).is_none());
    let boxed = Box::new(5_u64);
    assert!(Gc::<u64>::from_interior((&raw const *boxed).cast()).is_none());
    assert_eq!(Gc::ref_count(&object), 1, "no count taken by the misses");
}

#[test]
fn freed_objects_are_none() {
    let object = Gc::new([9_u64; 4]);
    let addr = Gc::as_ptr(&object).cast::<u8>();
    drop(object);
    collect();
    assert!(
        Gc::<[u64; 4]>::from_interior(addr).is_none(),
        "freed by the collection"
    );
}

#[test]
fn objects_found_dead_with_their_destructor_pending_are_none() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let object = Gc::new(Counted(1, &DROPS));
    let addr = Gc::as_ptr(&object).cast::<u8>();
    drop(object);
    // Another thread's collection finds it dead; its value waits for this
    // thread, its home, to drop it.
    std::thread::spawn(collect).join().unwrap();
    assert_eq!(DROPS.load(SeqCst), 0, "still pending");
    assert!(
        Gc::<Counted>::from_interior(addr).is_none(),
        "never an object a collection found dead"
    );
    rudo_gc::sweep_pending();
    assert_eq!(DROPS.load(SeqCst), 1);
    assert!(Gc::<Counted>::from_interior(addr).is_none());
}

#[test]
fn garbage_no_collection_examined_yet_is_handed_out_again_and_kept() {
    let drops = Rc::new(Cell::new(0));
    struct Noisy(Rc<Cell<usize>>);
    impl Drop for Noisy {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    // SAFETY: holds no `Gc`.
    unsafe impl Trace for Noisy {
        fn trace(&self, _: &mut Visitor) {}
    }
    let object = Gc::new(Noisy(drops.clone()));
    let addr = Gc::as_ptr(&object).cast::<u8>();
    drop(object); // count zero, but no collection has run
    let back = Gc::<Noisy>::from_interior_local(addr).expect("still live");
    collect();
    assert_eq!(drops.get(), 0, "the recovered count roots it");
    assert_eq!(Gc::ref_count(&back), 1);
    drop(back);
    collect();
    assert_eq!(drops.get(), 1);
}

#[test]
fn the_local_form_refuses_other_threads_objects() {
    let local = Gc::new(41_u64);
    let addr = Gc::as_ptr(&local) as usize;
    let (here, there_local, there_shared) = std::thread::scope(|s| {
        s.spawn(move || {
            let here = Gc::new(1_u64);
            let here_addr = Gc::as_ptr(&here).cast::<u8>();
            let found_here = Gc::<u64>::from_interior_local(here_addr).is_some();
            let a = addr as *const u8;
            (
                found_here,
                Gc::<u64>::from_interior_local(a).is_some(),
                Gc::<u64>::from_interior(a).map(|g| *g),
            )
        })
        .join()
        .unwrap()
    });
    assert!(here, "the thread's own object");
    assert!(
        !there_local,
        "another thread's object: not for the local form"
    );
    assert_eq!(there_shared, Some(41), "Send + Sync: any thread");
    assert_eq!(Gc::ref_count(&local), 1);
}
