//! `heap::find_gc_box`: one test per kind of address (see the table in
//! `src/heap/lookup.rs`).

use rudo_gc::heap::find_gc_box;
use rudo_gc::{Gc, Trace, Visitor, collect};

const HEADER: usize = 16;
const PAGE: usize = 32 * 1024;

fn addr<T: ?Sized>(gc: &Gc<T>) -> *const u8 {
    Gc::as_ptr(gc).cast::<u8>()
}

fn start_of<T: ?Sized>(gc: &Gc<T>) -> *const u8 {
    addr(gc).wrapping_sub(HEADER)
}

#[test]
fn header_first_byte_is_found() {
    let gc = Gc::new(7_u64);
    let info = find_gc_box(start_of(&gc)).expect("header byte");
    assert_eq!(info.start, start_of(&gc));
    assert_eq!(info.size, HEADER + 8);
    assert!(info.type_name.contains("u64"));
}

#[test]
fn value_first_byte_is_found() {
    let gc = Gc::new([1_u32; 4]);
    assert_eq!(find_gc_box(addr(&gc)).unwrap().start, start_of(&gc));
}

#[test]
fn value_last_byte_is_found() {
    let gc = Gc::new([9_u8; 40]);
    let last = addr(&gc).wrapping_add(39);
    let info = find_gc_box(last).unwrap();
    assert_eq!(info.start, start_of(&gc));
    assert_eq!(info.size, HEADER + 40);
}

#[test]
fn any_field_is_found() {
    struct Three {
        _a: u8,
        b: u64,
        _c: [u16; 3],
    }
    // SAFETY: no GC pointers inside.
    unsafe impl Trace for Three {
        fn trace(&self, _: &mut Visitor) {}
    }
    let gc = Gc::new(Three {
        _a: 1,
        b: 2,
        _c: [3; 3],
    });
    let field: *const u64 = &gc.b;
    assert_eq!(find_gc_box(field.cast()).unwrap().start, start_of(&gc));
}

#[test]
fn slot_slack_after_the_object_is_not_found() {
    // `GcBox<[u8; 20]>` is 40 bytes (16 + 20, padded to the header's
    // alignment) in a 48-byte slot: bytes 40..48 are slack.
    let gc = Gc::new([0_u8; 20]);
    let end = start_of(&gc).wrapping_add(40);
    assert_eq!(find_gc_box(start_of(&gc)).unwrap().size, 40);
    assert!(find_gc_box(end.wrapping_sub(1)).is_some());
    assert!(find_gc_box(end).is_none());
}

#[test]
fn stack_and_rust_heap_addresses_are_not_found() {
    let on_stack = 5_u64;
    let boxed = Box::new(5_u64);
    assert!(find_gc_box((&on_stack as *const u64).cast()).is_none());
    assert!(find_gc_box((&*boxed as *const u64).cast()).is_none());
}

#[test]
fn null_and_extreme_addresses_are_not_found() {
    assert!(find_gc_box(core::ptr::null()).is_none());
    assert!(find_gc_box(core::ptr::without_provenance(1)).is_none());
    assert!(find_gc_box(core::ptr::without_provenance(usize::MAX)).is_none());
    assert!(find_gc_box(core::ptr::without_provenance(1 << 60)).is_none());
}

#[test]
fn page_header_is_not_found() {
    let gc = Gc::new(1_u64);
    let page_start = start_of(&gc).wrapping_sub(start_of(&gc) as usize % PAGE);
    assert!(find_gc_box(page_start).is_none());
    assert!(find_gc_box(page_start.wrapping_add(100)).is_none());
}

#[test]
fn freed_slot_is_not_found() {
    let keep = Gc::new(1_u64);
    let doomed = Gc::new(2_u64);
    let doomed_addr = addr(&doomed);
    drop(doomed);
    assert!(
        find_gc_box(doomed_addr).is_some(),
        "not freed before a collection"
    );
    collect();
    assert!(find_gc_box(doomed_addr).is_none());
    assert!(find_gc_box(addr(&keep)).is_some());
}

#[test]
fn dead_object_kept_for_weak_references_is_not_found() {
    let gc = Gc::new(3_u64);
    let weak = Gc::downgrade(&gc);
    let a = addr(&gc);
    drop(gc);
    collect();
    assert!(weak.upgrade().is_none());
    // The slot is still allocated (a zombie, for `weak`) but the object is dead.
    assert!(find_gc_box(a).is_none());
}

#[test]
fn large_object_is_found_from_every_page_it_spans() {
    const LEN: usize = if cfg!(miri) { 3 * PAGE } else { 5 * PAGE };
    let big: Gc<[u8]> = Gc::from(vec![0_u8; LEN]);
    let start = start_of(&big);
    for offset in [0, HEADER, PAGE, 2 * PAGE + 17, HEADER + LEN - 1] {
        let info =
            find_gc_box(start.wrapping_add(offset)).unwrap_or_else(|| panic!("offset {offset}"));
        assert_eq!(info.start, start);
        assert_eq!(info.size, HEADER + LEN);
    }
    assert!(find_gc_box(start.wrapping_add(HEADER + LEN)).is_none());
}

#[test]
fn large_object_page_header_is_not_found() {
    let big = Gc::new([0_u8; 10_000]);
    let start = start_of(&big);
    let page_start = start.wrapping_sub(start as usize % PAGE);
    assert_ne!(page_start, start);
    assert!(find_gc_box(page_start).is_none());
    assert!(find_gc_box(start.wrapping_sub(1)).is_none());
}

#[test]
fn str_and_slice_objects_report_their_exact_size() {
    let s: Gc<str> = Gc::from("hello, world");
    let info = find_gc_box(addr(&s).wrapping_add(11)).unwrap();
    assert_eq!(info.size, HEADER + 12);
    assert_eq!(info.type_name, "str");
    let v: Gc<[u64]> = Gc::from(vec![1, 2, 3]);
    let last: *const u64 = &v[2];
    let info = find_gc_box(last.cast()).unwrap();
    assert_eq!(info.start, start_of(&v));
    assert_eq!(info.size, HEADER + 24);
    let empty: Gc<[u64]> = Gc::from(Vec::new());
    assert_eq!(find_gc_box(start_of(&empty)).unwrap().size, HEADER);
}

#[test]
fn lookup_is_consistent_for_every_size_class() {
    // One object per size class boundary, probed at the first and last byte.
    let objects: Vec<Gc<[u8]>> = (0..4096 - HEADER - 8)
        .step_by(if cfg!(miri) { 509 } else { 7 })
        .map(|n| Gc::from(vec![1_u8; n]))
        .collect();
    for gc in &objects {
        let start = start_of(gc);
        let size = HEADER + gc.len();
        assert_eq!(find_gc_box(start).unwrap().start, start);
        assert_eq!(
            find_gc_box(start.wrapping_add(size - 1)).unwrap().start,
            start
        );
    }
}

/// Regression: an object found dead whose value waits for its home thread to
/// drop it was still reported in release builds.
#[test]
fn dead_object_waiting_for_its_home_thread_is_not_found() {
    let value = Gc::new(String::from("dies on another thread's collection"));
    let addr = addr(&value) as usize;
    assert!(find_gc_box(core::ptr::without_provenance(addr)).is_some());
    std::thread::spawn(move || {
        drop(value);
        collect();
        // The value is dead; this thread cannot drop it (it is not its
        // home), so it waits, allocated, for the main thread.
        assert!(
            find_gc_box(core::ptr::without_provenance(addr)).is_none(),
            "seen from the collecting thread"
        );
    })
    .join()
    .unwrap();
    assert!(
        find_gc_box(core::ptr::without_provenance(addr)).is_none(),
        "seen from its home thread"
    );
    rudo_gc::sweep_pending();
    assert!(find_gc_box(core::ptr::without_provenance(addr)).is_none());
}
