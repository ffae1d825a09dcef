//! Over-aligned values: correctly aligned, sharing ordinary pages (not one
//! system allocation each), found by interior-pointer lookup, and collected.

use rudo_gc::heap::find_gc_box;
use rudo_gc::{Gc, Trace, collect, stats};

const PAGE: usize = 32 * 1024;

macro_rules! aligned {
    ($name:ident, $align:literal, $len:literal) => {
        #[derive(Trace, Clone, Copy, PartialEq, Debug)]
        #[repr(align($align))]
        struct $name([u8; $len]);
    };
}

aligned!(A32, 32, 8);
aligned!(A64, 64, 64);
aligned!(A128, 128, 200);
aligned!(A256, 256, 24);
aligned!(A512, 512, 512);
aligned!(A1024, 1024, 1000);
aligned!(A2048, 2048, 16);
aligned!(A4096, 4096, 100);
aligned!(A8192, 8192, 8);

fn pages<T>(objects: &[Gc<T>]) -> usize {
    let mut pages: Vec<usize> = objects
        .iter()
        .map(|g| Gc::as_ptr(g) as usize / PAGE)
        .collect();
    pages.sort_unstable();
    pages.dedup();
    pages.len()
}

fn check<T: Trace + Copy + PartialEq + core::fmt::Debug>(make: fn(u8) -> T, per_page: usize) {
    let align = core::mem::align_of::<T>();
    // Under Miri (slow), enough to fill a few slots of one page.
    let count = if cfg!(miri) {
        per_page.min(24)
    } else {
        8 * per_page
    };
    let objects: Vec<Gc<T>> = (0..count).map(|i| Gc::new(make(i as u8))).collect();
    collect();
    for (i, g) in objects.iter().enumerate() {
        let addr = Gc::as_ptr(g) as usize;
        assert_eq!(
            addr % align,
            0,
            "{} at {addr:#x}",
            core::any::type_name::<T>()
        );
        assert_eq!(
            **g,
            make(i as u8),
            "the value survived the collection intact"
        );
        let info = find_gc_box(Gc::as_ptr(g).cast()).expect("found by lookup");
        let last = Gc::as_ptr(g)
            .cast::<u8>()
            .wrapping_add(core::mem::size_of::<T>() - 1);
        assert_eq!(find_gc_box(last).expect("last byte").start, info.start);
    }
    // Many objects share each page, as ordinary objects do.
    let expected = count.div_ceil(per_page) + 2;
    assert!(
        pages(&objects) <= expected,
        "{} objects of {} took {} pages (expected at most {expected})",
        count,
        core::any::type_name::<T>(),
        pages(&objects)
    );
    let weak = Gc::downgrade(&objects[0]);
    drop(objects);
    collect();
    assert!(weak.upgrade().is_none());
}

#[test]
fn over_aligned_values_share_pages_and_keep_their_alignment() {
    check(|i| A32([i; 8]), 400);
    check(|i| A64([i; 64]), 200);
    check(|i| A128([i; 200]), 60);
    check(|i| A256([i; 24]), 60);
    check(|i| A512([i; 512]), 30);
    check(|i| A1024([i; 1000]), 14);
    check(|i| A2048([i; 16]), 7);
}

/// A box aligned to 4096 or more is at least 8 KiB (the header padded to the
/// alignment, then the value): a large object, on its own aligned page.
#[test]
fn alignments_beyond_the_small_classes_get_large_pages() {
    let n = if cfg!(miri) { 2 } else { 8 };
    let big: Vec<Gc<A4096>> = (0..n).map(|i| Gc::new(A4096([i; 100]))).collect();
    let bigger: Vec<Gc<A8192>> = (0..n).map(|i| Gc::new(A8192([i; 8]))).collect();
    for i in 0..n as usize {
        assert_eq!(Gc::as_ptr(&big[i]) as usize % 4096, 0);
        assert_eq!(Gc::as_ptr(&bigger[i]) as usize % 8192, 0);
        assert_eq!(big[i].0, [i as u8; 100]);
        assert_eq!(bigger[i].0, [i as u8; 8]);
        assert!(find_gc_box(Gc::as_ptr(&bigger[i]).cast()).is_some());
    }
}

/// The figure: 100,000 live 64-byte values aligned to 64 took about
/// 786 MiB as one system allocation each. Now they take their slots' worth.
#[test]
fn many_live_over_aligned_values_cost_their_slots_not_a_page_each() {
    let count = if cfg!(miri) { 100 } else { 100_000 };
    let before = stats().heap_bytes;
    let objects: Vec<Gc<A64>> = (0..count).map(|i| Gc::new(A64([i as u8; 64]))).collect();
    let grown = stats().heap_bytes.saturating_sub(before) as usize;
    // A `GcBox<A64>` is 128 bytes (the 16-byte header padded to 64); allow
    // for partly filled pages and one chunk of slack.
    let bound = count * 128 * 5 / 4 + 512 * 1024;
    assert!(
        grown <= bound,
        "{count} values grew the heap by {grown} bytes"
    );
    assert!(pages(&objects) <= count.div_ceil(200) + 2);
    // Unsized values of an over-aligned element type too.
    let slice: Gc<[A64]> = (0..10).map(|i| A64([i; 64])).collect();
    assert_eq!(Gc::as_ptr(&slice).cast::<u8>() as usize % 64, 0);
    assert_eq!(slice[9], A64([9; 64]));
    drop(objects);
}
