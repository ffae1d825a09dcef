//! Conservative regions (issue 10): words that keep alive whatever live
//! object they point into, aligned or not, and ignore everything else.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};

use common::{Counted, collect_now, panic_message};
use rudo_gc::roots::{ConservativeRegion, MutatorSection};
use rudo_gc::{Gc, GcCell, Trace, Visitor, collect_minor};

fn words(n: usize) -> Vec<AtomicUsize> {
    (0..n).map(|_| AtomicUsize::new(0)).collect()
}

fn addr<T>(gc: &Gc<T>) -> usize {
    Gc::as_ptr(gc) as usize
}

#[test]
fn a_word_keeps_its_object_alive_until_it_is_cleared() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let section = MutatorSection::enter();
    let stack = words(4);
    let region = ConservativeRegion::register(&section, &stack);
    let value = Gc::new(Counted(7, &DROPS));
    stack[2].store(addr(&value), Relaxed);
    drop(value);
    collect_now();
    collect_minor();
    assert_eq!(DROPS.load(SeqCst), 0, "the word is a root");
    let back: Gc<Counted> = Gc::from_interior(stack[2].load(Relaxed) as *const u8).unwrap();
    assert_eq!(back.0, 7);
    drop(back);
    stack[2].store(0, Relaxed);
    collect_now();
    assert_eq!(DROPS.load(SeqCst), 1, "no word, no count: collected");
    drop(region);
}

#[test]
fn interior_and_unaligned_words_count_and_other_words_do_not() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let section = MutatorSection::enter();
    let stack = words(8);
    let _region = ConservativeRegion::register(&section, &stack);
    let header = Gc::new(Counted(1, &DROPS));
    let field = Gc::new(Counted(2, &DROPS));
    let odd = Gc::new(Counted(3, &DROPS));
    let unrooted = Gc::new(Counted(4, &DROPS));
    let info = rudo_gc::heap::find_gc_box(Gc::as_ptr(&header).cast()).unwrap();
    stack[0].store(info.start as usize, Relaxed); // the header's first byte
    stack[1].store(&field.0 as *const u64 as usize, Relaxed); // a field
    stack[2].store(&odd.0 as *const u64 as usize + 3, Relaxed); // unaligned
    stack[3].store(12345, Relaxed); // an integer
    stack[4].store(&stack as *const _ as usize, Relaxed); // outside the heap
    stack[5].store(f64::NAN.to_bits() as usize, Relaxed); // a NaN box
    let slack = rudo_gc::heap::find_gc_box(Gc::as_ptr(&unrooted).cast()).unwrap();
    stack[6].store(slack.start as usize + slack.size, Relaxed); // one past its end
    drop((header, field, odd, unrooted));
    collect_now();
    assert_eq!(
        DROPS.load(SeqCst),
        1,
        "only the object no word points into dies"
    );
    for word in &stack[..3] {
        word.store(0, Relaxed);
    }
    collect_now();
    assert_eq!(DROPS.load(SeqCst), 4);
}

#[test]
fn words_at_freed_slots_are_ignored() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let section = MutatorSection::enter();
    let stack = words(1);
    let _region = ConservativeRegion::register(&section, &stack);
    let value = Gc::new(Counted(1, &DROPS));
    let stale = addr(&value);
    drop(value);
    collect_now();
    assert_eq!(DROPS.load(SeqCst), 1);
    // A word written after the object died: it must not bring it back.
    stack[0].store(stale, Relaxed);
    collect_now();
    assert!(Gc::<Counted>::from_interior(stale as *const u8).is_none());
    assert_eq!(DROPS.load(SeqCst), 1, "dropped exactly once");
}

/// A node of a cyclic graph.
struct Node {
    next: GcCell<Option<Gc<Node>>>,
    _counted: Counted,
}

// SAFETY: visits the one `Gc`-owning field once.
unsafe impl Trace for Node {
    fn trace(&self, v: &mut Visitor) {
        self.next.trace(v);
    }
}

#[test]
fn a_word_keeps_a_whole_cycle_alive_in_minor_and_major_collections() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let node = |i| {
        Gc::new(Node {
            next: GcCell::new(None),
            _counted: Counted(i, &DROPS),
        })
    };
    let section = MutatorSection::enter();
    let stack = words(1);
    let region = ConservativeRegion::register(&section, &stack);
    let (a, b, c) = (node(1), node(2), node(3));
    *a.next.borrow_mut() = Some(b.clone());
    *b.next.borrow_mut() = Some(c.clone());
    *c.next.borrow_mut() = Some(a.clone());
    stack[0].store(addr(&b), Relaxed);
    drop((a, b, c));
    collect_minor(); // young: traced from the word
    collect_now(); // old now: traced in a major collection
    collect_minor(); // old: not in the set of a minor collection
    assert_eq!(DROPS.load(SeqCst), 0);
    drop(region); // unregistered: the words are no root any more
    collect_now();
    assert_eq!(DROPS.load(SeqCst), 3, "the cycle is collected");
}

#[test]
fn the_same_words_registered_twice_scan_until_both_are_gone() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let section = MutatorSection::enter();
    let stack = words(2);
    let first = ConservativeRegion::register(&section, &stack);
    let second = ConservativeRegion::register(&section, &stack);
    let overlapping = ConservativeRegion::register(&section, &stack[1..]);
    assert_eq!(ConservativeRegion::registered(), 3);
    let value = Gc::new(Counted(1, &DROPS));
    stack[1].store(addr(&value), Relaxed);
    drop(value);
    drop(first);
    collect_now();
    assert_eq!(DROPS.load(SeqCst), 0, "the second registration still scans");
    drop(overlapping);
    collect_now();
    assert_eq!(DROPS.load(SeqCst), 0, "and so does the first one's twin");
    drop(second);
    assert_eq!(ConservativeRegion::registered(), 0);
    collect_now();
    assert_eq!(DROPS.load(SeqCst), 1);
}

#[test]
fn a_raw_ffi_buffer_is_scanned() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let section = MutatorSection::enter();
    let mut buffer: Box<[usize]> = vec![0; 16].into_boxed_slice();
    let value = Gc::new(Counted(1, &DROPS));
    buffer[9] = addr(&value); // a plain store, before registration
    // SAFETY: the buffer outlives the region, and only this thread writes
    // it, with plain stores while it holds the section.
    let region =
        unsafe { ConservativeRegion::register_raw(&section, buffer.as_ptr(), buffer.len()) };
    drop(value);
    collect_now();
    assert_eq!(DROPS.load(SeqCst), 0);
    drop(region);
    collect_now();
    assert_eq!(DROPS.load(SeqCst), 1);
    drop(buffer);
}

#[test]
fn an_empty_raw_region_is_fine() {
    let section = MutatorSection::enter();
    // SAFETY: no words are read.
    let region = unsafe { ConservativeRegion::register_raw(&section, core::ptr::null(), 0) };
    collect_now();
    drop(region);
}

#[test]
fn a_null_raw_region_panics_with_the_rule() {
    let section = MutatorSection::enter();
    let caught = std::panic::catch_unwind(|| {
        // SAFETY: rejected before any word is read.
        drop(unsafe { ConservativeRegion::register_raw(&section, core::ptr::null(), 3) });
    })
    .unwrap_err();
    assert!(panic_message(&*caught).contains("null pointer for 3 words"));
    assert_eq!(ConservativeRegion::registered(), 0, "nothing registered");
}

#[test]
fn an_unaligned_raw_region_panics_with_the_rule() {
    let section = MutatorSection::enter();
    let buffer = [0_usize; 4];
    let unaligned = buffer.as_ptr().cast::<u8>().wrapping_add(1).cast::<usize>();
    let caught = std::panic::catch_unwind(|| {
        // SAFETY: rejected before any word is read.
        drop(unsafe { ConservativeRegion::register_raw(&section, unaligned, 2) });
    })
    .unwrap_err();
    assert!(panic_message(&*caught).contains("not aligned for usize"));
    assert_eq!(ConservativeRegion::registered(), 0);
}
