//! The public API of `Gc`, `Weak` and `GcCell`: identity, counts, trait
//! delegation, unsized pointers, `new_cyclic`, large objects and cell borrows.

use std::cell::{Cell, RefCell};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashSet};
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use rudo_gc::{
    BorrowError, BorrowMutError, Gc, GcCell, GcRef, GcRefMut, Trace, Visitor, Weak, collect,
};

mod common;
use common::collect_now;

/// Repeated collections in tests that check survival over time (Miri runs
/// each collection slowly).
const ROUNDS: usize = if cfg!(miri) { 1 } else { 3 };

/// A value that counts its drops.
#[derive(Clone)]
struct Tracked {
    value: u32,
    drops: Rc<Cell<usize>>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

// SAFETY: owns no `Gc`.
unsafe impl Trace for Tracked {
    fn trace(&self, _: &mut Visitor) {}
}

fn tracked(value: u32, drops: &Rc<Cell<usize>>) -> Tracked {
    Tracked {
        value,
        drops: drops.clone(),
    }
}

// ---- identity and counts ----

#[test]
fn ptr_eq_is_identity_not_equality() {
    let a = Gc::new(5);
    let b = Gc::new(5);
    let a2 = a.clone();
    assert!(Gc::ptr_eq(&a, &a2));
    assert!(!Gc::ptr_eq(&a, &b));
    assert_eq!(a, b, "PartialEq compares values");
}

#[test]
fn as_ptr_is_stable_across_clones_and_collections() {
    let a = Gc::new(String::from("x"));
    let p = Gc::as_ptr(&a);
    let b = a.clone();
    assert_eq!(Gc::as_ptr(&b), p);
    for _ in 0..ROUNDS {
        collect_now();
        assert_eq!(Gc::as_ptr(&a), p);
    }
    assert_eq!(Gc::as_ptr(&Gc::downgrade(&a).upgrade().unwrap()), p);
    assert_eq!(&*a as *const String, p);
    // `{:p}` shows the same address.
    assert_eq!(format!("{a:p}"), format!("{p:p}"));
}

#[test]
fn ref_count_and_weak_count_arithmetic() {
    let a = Gc::new(1_u64);
    assert_eq!((Gc::ref_count(&a), Gc::weak_count(&a)), (1, 0));
    let clones: Vec<_> = (0..10).map(|_| a.clone()).collect();
    assert_eq!(Gc::ref_count(&a), 11);
    let weaks: Vec<_> = (0..4).map(|_| Gc::downgrade(&a)).collect();
    assert_eq!(Gc::weak_count(&a), 4);
    assert_eq!(weaks[0].strong_count(), 11);
    assert_eq!(weaks[0].weak_count(), 4);
    drop(clones);
    assert_eq!(Gc::ref_count(&a), 1);
    let up = weaks[1].upgrade().unwrap();
    assert_eq!(Gc::ref_count(&a), 2);
    drop(up);
    drop(weaks);
    assert_eq!((Gc::ref_count(&a), Gc::weak_count(&a)), (1, 0));
    // A collection does not change the counts of a live object.
    collect_now();
    assert_eq!((Gc::ref_count(&a), Gc::weak_count(&a)), (1, 0));
}

#[test]
fn counts_from_inside_the_heap_are_counted_too() {
    let target = Gc::new(0_u32);
    let holders: Vec<Gc<Gc<u32>>> = (0..3).map(|_| Gc::new(target.clone())).collect();
    assert_eq!(Gc::ref_count(&target), 4);
    collect_now();
    assert_eq!(Gc::ref_count(&target), 4);
    drop(holders);
    // The holders die at the collection and give their counts back.
    collect();
    assert_eq!(Gc::ref_count(&target), 1);
}

// ---- trait delegation ----

#[test]
fn clone_and_deref() {
    let a = Gc::new(vec![1, 2, 3]);
    let b = a.clone();
    assert_eq!(b.len(), 3);
    assert_eq!(a.iter().sum::<i32>(), 6);
    let r: &Vec<i32> = a.as_ref();
    assert_eq!(r, &vec![1, 2, 3]);
}

#[test]
fn debug_and_display_delegate_to_the_value() {
    let a = Gc::new(42_i32);
    assert_eq!(format!("{a:?}"), "42");
    assert_eq!(format!("{a}"), "42");
    let s: Gc<str> = Gc::from("hi");
    assert_eq!(format!("{s:?} {s}"), "\"hi\" hi");
    let v: Gc<[u8]> = Gc::from(vec![1, 2]);
    assert_eq!(format!("{v:?}"), "[1, 2]");
}

#[test]
fn comparisons_delegate_to_the_value() {
    let (a, b, c) = (Gc::new(1), Gc::new(2), Gc::new(1));
    assert!(a < b && b > c && a <= c && a >= c);
    assert_eq!(a.cmp(&b), std::cmp::Ordering::Less);
    assert_eq!(a.partial_cmp(&c), Some(std::cmp::Ordering::Equal));
    assert_ne!(a, b);
    let mut v = vec![Gc::new(3), Gc::new(1), Gc::new(2)];
    v.sort();
    assert_eq!(v.iter().map(|g| **g).collect::<Vec<_>>(), [1, 2, 3]);
    let set: BTreeSet<Gc<i32>> = v.into_iter().collect();
    assert!(set.contains(&2));
}

fn hash_of<T: Hash + ?Sized>(t: &T) -> u64 {
    let mut h = DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

#[test]
fn hash_delegates_so_hash_sets_work_by_value() {
    assert_eq!(hash_of(&Gc::new(7_i32)), hash_of(&7_i32));
    let mut set: HashSet<Gc<i32>> = HashSet::new();
    assert!(set.insert(Gc::new(1)));
    assert!(!set.insert(Gc::new(1)), "equal values, different objects");
    assert!(set.insert(Gc::new(2)));
    assert_eq!(set.len(), 2);
    assert!(set.contains(&1), "looked up through Borrow<i32>");
    assert!(!set.contains(&3));
    let strs: HashSet<Gc<str>> = ["a", "b", "a"].into_iter().map(Gc::from).collect();
    assert_eq!(strs.len(), 2);
    assert!(strs.contains("b"));
    collect_now();
    assert!(set.contains(&2) && strs.contains("a"));
}

#[test]
fn default_and_from() {
    let a: Gc<i32> = Gc::default();
    assert_eq!(*a, 0);
    let s: Gc<String> = Gc::default();
    assert!(s.is_empty());
    let b: Gc<u64> = Gc::from(9);
    assert_eq!(*b, 9);
    let c: Gc<Vec<u8>> = vec![1, 2].into();
    assert_eq!(*c, [1, 2]);
}

// ---- unsized pointers ----

#[test]
fn gc_str_from_str_and_string() {
    let a: Gc<str> = Gc::from("hello");
    let b: Gc<str> = Gc::from(String::from("hello"));
    let empty: Gc<str> = Gc::from("");
    let unicode: Gc<str> = Gc::from("héllo wörld ✓");
    assert_eq!(&*a, "hello");
    assert_eq!(a, b);
    assert!(!Gc::ptr_eq(&a, &b));
    assert_eq!(empty.len(), 0);
    assert_eq!(unicode.chars().count(), 13);
    let w = Gc::downgrade(&unicode);
    collect_now();
    assert_eq!(&*w.upgrade().unwrap(), "héllo wörld ✓");
    drop(unicode);
    collect();
    assert!(w.upgrade().is_none());
}

#[test]
fn gc_str_large() {
    let text: String = (0..if cfg!(miri) { 1_000 } else { 200_000 })
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let s: Gc<str> = Gc::from(text.as_str());
    collect_now();
    assert_eq!(&*s, text.as_str());
}

#[test]
fn gc_slice_from_vec_iterator_and_slice() {
    let a: Gc<[u32]> = Gc::from(vec![1, 2, 3]);
    let b: Gc<[u32]> = (1..=3).collect();
    let c: Gc<[u32]> = Gc::from(&[1_u32, 2, 3][..]);
    assert_eq!(&*a, &[1, 2, 3]);
    assert_eq!(a, b);
    assert_eq!(b, c);
    collect_now();
    assert_eq!(c.iter().sum::<u32>(), 6);
}

#[test]
fn gc_slice_empty() {
    let a: Gc<[u64]> = Gc::from(Vec::new());
    let b: Gc<[String]> = std::iter::empty().collect();
    let c: Gc<[u8]> = Gc::from(&[][..]);
    assert!(a.is_empty() && b.is_empty() && c.is_empty());
    let w = Gc::downgrade(&b);
    collect_now();
    assert_eq!(w.upgrade().unwrap().len(), 0);
    drop(b);
    collect();
    assert!(w.upgrade().is_none());
}

#[test]
fn gc_slice_large() {
    const N: usize = if cfg!(miri) { 500 } else { 100_000 };
    let a: Gc<[u64]> = (0..N as u64).collect();
    let w = Gc::downgrade(&a);
    collect_now();
    assert_eq!(a.len(), N);
    assert_eq!(a.iter().sum::<u64>(), (N as u64 - 1) * N as u64 / 2);
    drop(a);
    collect();
    assert!(w.upgrade().is_none());
}

#[test]
fn gc_slice_of_droppable_values_drops_each_once() {
    const N: usize = if cfg!(miri) { 50 } else { 10_000 };
    let drops = Rc::new(Cell::new(0));
    let from_vec: Gc<[Tracked]> = Gc::from(
        (0..N as u32)
            .map(|i| tracked(i, &drops))
            .collect::<Vec<_>>(),
    );
    let from_iter: Gc<[Tracked]> = (0..N as u32).map(|i| tracked(i, &drops)).collect();
    let src: Vec<Tracked> = (0..3).map(|i| tracked(i, &drops)).collect();
    let from_slice: Gc<[Tracked]> = Gc::from(&src[..]);
    drop(src);
    // The three originals are gone; the clones live in the slice.
    assert_eq!(drops.get(), 3);
    collect_now();
    assert_eq!(drops.get(), 3);
    assert_eq!(from_vec[N - 1].value, N as u32 - 1);
    assert_eq!(from_iter[0].value, 0);
    assert_eq!(from_slice[2].value, 2);
    drop((from_vec, from_iter, from_slice));
    collect();
    assert_eq!(drops.get(), 3 + 2 * N + 3);
}

#[test]
fn gc_slice_of_gcs_keeps_its_elements_alive() {
    let drops = Rc::new(Cell::new(0));
    let elems: Vec<Gc<Tracked>> = (0..10).map(|i| Gc::new(tracked(i, &drops))).collect();
    let weaks: Vec<_> = elems.iter().map(Gc::downgrade).collect();
    let slice: Gc<[Gc<Tracked>]> = Gc::from(elems);
    collect_now();
    assert_eq!(drops.get(), 0);
    assert!(weaks.iter().all(|w| w.upgrade().is_some()));
    assert_eq!(slice.iter().map(|g| g.value).sum::<u32>(), 45);
    drop(slice);
    collect();
    assert_eq!(drops.get(), 10);
}

// ---- new_cyclic ----

/// Holds a weak reference to itself.
struct SelfRef {
    me: Weak<SelfRef>,
    seen_during_build: bool,
}

// SAFETY: visits the one `Weak` once.
unsafe impl Trace for SelfRef {
    fn trace(&self, v: &mut Visitor) {
        self.me.trace(v);
    }
}

#[test]
fn new_cyclic_weak_is_dead_during_build_and_alive_after() {
    let a = Gc::new_cyclic(|w| {
        assert_eq!(w.strong_count(), 0);
        SelfRef {
            me: w.clone(),
            seen_during_build: w.upgrade().is_some(),
        }
    });
    assert!(!a.seen_during_build, "upgrade inside new_cyclic must fail");
    let me =
        a.me.upgrade()
            .expect("upgrade after new_cyclic must succeed");
    assert!(Gc::ptr_eq(&me, &a));
    drop(me);
    assert_eq!((Gc::ref_count(&a), Gc::weak_count(&a)), (1, 1));
    collect_now();
    assert!(a.me.upgrade().is_some());
    let w = Gc::downgrade(&a);
    drop(a);
    collect();
    assert!(w.upgrade().is_none());
}

#[test]
fn new_cyclic_that_collects_during_build() {
    let a = Gc::new_cyclic(|w| {
        // The object under construction is neither a root nor garbage.
        drop(Gc::new(1_u8));
        collect();
        assert!(w.upgrade().is_none());
        SelfRef {
            me: w.clone(),
            seen_during_build: false,
        }
    });
    collect_now();
    assert!(Gc::ptr_eq(&a.me.upgrade().unwrap(), &a));
}

#[test]
fn new_cyclic_whose_closure_panics() {
    let stash: RefCell<Option<Weak<SelfRef>>> = RefCell::new(None);
    let result = catch_unwind(AssertUnwindSafe(|| {
        Gc::new_cyclic(|w: &Weak<SelfRef>| {
            *stash.borrow_mut() = Some(w.clone());
            panic!("boom in new_cyclic");
        })
    }));
    assert!(result.is_err());
    let w = stash.borrow_mut().take().unwrap();
    assert!(
        w.upgrade().is_none(),
        "a never-built object must not be upgradable"
    );
    assert_eq!(w.strong_count(), 0);
    collect_now();
    assert!(w.upgrade().is_none());
    // The heap keeps working, and dropping the last weak frees the slot.
    let other = Gc::new(SelfRef {
        me: w.clone(),
        seen_during_build: true,
    });
    drop(w);
    collect_now();
    assert!(other.me.upgrade().is_none());
    drop(other);
    collect();
}

#[test]
fn new_cyclic_in_a_strong_cycle_is_freed() {
    /// Holds a strong pointer to a node that points back.
    struct Parent {
        child: Gc<Child>,
    }
    struct Child {
        parent: GcCell<Weak<Parent>>,
        strong_parent: GcCell<Option<Gc<Parent>>>,
    }
    // SAFETY: visits the one `Gc` once.
    unsafe impl Trace for Parent {
        fn trace(&self, v: &mut Visitor) {
            self.child.trace(v);
        }
    }
    // SAFETY: visits each `Gc`/`Weak` field once.
    unsafe impl Trace for Child {
        fn trace(&self, v: &mut Visitor) {
            self.parent.trace(v);
            self.strong_parent.trace(v);
        }
    }
    let p = Gc::new_cyclic(|w| Parent {
        child: Gc::new(Child {
            parent: GcCell::new(w.clone()),
            strong_parent: GcCell::new(None),
        }),
    });
    let up = p.child.parent.borrow().upgrade().unwrap();
    *p.child.strong_parent.borrow_mut() = Some(up);
    let w = Gc::downgrade(&p);
    drop(p);
    collect();
    assert!(w.upgrade().is_none());
}

// ---- large objects ----

#[test]
fn large_array_survives_and_is_freed() {
    let big = Gc::new([3_u8; 100_000]);
    let w = Gc::downgrade(&big);
    collect_now();
    // Check every byte natively, a sample under Miri (which is slow per byte).
    let step = if cfg!(miri) { 997 } else { 1 };
    assert!(big.iter().step_by(step).all(|&b| b == 3));
    let clone = big.clone();
    drop(big);
    collect_now();
    assert_eq!(clone[99_999], 3);
    drop(clone);
    collect();
    assert!(w.upgrade().is_none());
}

#[test]
fn big_vec_in_a_gc_survives_and_is_freed() {
    const N: usize = if cfg!(miri) { 300 } else { 1_000_000 };
    let drops = Rc::new(Cell::new(0));
    let v: Gc<Vec<Tracked>> = Gc::new((0..N as u32).map(|i| tracked(i, &drops)).collect());
    let w = Gc::downgrade(&v);
    collect_now();
    assert_eq!(drops.get(), 0);
    assert_eq!(v[N - 1].value, N as u32 - 1);
    drop(v);
    collect();
    assert!(w.upgrade().is_none());
    assert_eq!(drops.get(), N);
}

#[test]
fn many_large_objects_interleaved_with_small_ones() {
    const BIGS: usize = if cfg!(miri) { 3 } else { 50 };
    // Above the largest small size class (4 KiB) either way.
    const LEN: usize = if cfg!(miri) { 2_048 } else { 20_000 };
    let mut keep = Vec::new();
    let mut weaks = Vec::new();
    for i in 0..BIGS {
        let big: Gc<[u32]> = Gc::from(vec![i as u32; LEN]);
        weaks.push(Gc::downgrade(&big));
        let small = Gc::new(i);
        if i % 2 == 0 {
            keep.push((big, small));
        }
    }
    collect();
    for (i, w) in weaks.iter().enumerate() {
        assert_eq!(w.upgrade().is_some(), i % 2 == 0);
    }
    for (big, small) in &keep {
        assert!(big.iter().all(|&x| x == **small as u32));
    }
}

// ---- GcCell ----

#[test]
fn gc_cell_borrow_and_borrow_mut() {
    let c = Gc::new(GcCell::new(vec![1]));
    c.borrow_mut().push(2);
    {
        let r1 = c.borrow();
        let r2 = c.borrow();
        assert_eq!((r1.len(), r2.len()), (2, 2));
        assert!(matches!(c.try_borrow_mut(), Err(BorrowMutError { .. })));
    }
    {
        let _w = c.borrow_mut();
        assert!(matches!(c.try_borrow(), Err(BorrowError { .. })));
        assert!(matches!(c.try_borrow_mut(), Err(BorrowMutError { .. })));
    }
    assert!(c.try_borrow().is_ok() && c.try_borrow_mut().is_ok());
    let w = c.borrow_mut();
    let err: BorrowError = c.try_borrow().err().unwrap();
    assert_eq!(err.to_string(), "GcCell is already mutably borrowed");
    drop(w);
    let r = c.borrow();
    let err: BorrowMutError = c.try_borrow_mut().err().unwrap();
    assert_eq!(err.to_string(), "GcCell is already borrowed");
    drop(r);
}

#[test]
fn gc_cell_borrow_while_mutably_borrowed_panics() {
    let c = GcCell::new(1);
    let _w = c.borrow_mut();
    let r = catch_unwind(AssertUnwindSafe(|| {
        let _ = c.borrow();
    }));
    assert!(r.is_err());
    let r = catch_unwind(AssertUnwindSafe(|| {
        let _ = c.borrow_mut();
    }));
    assert!(r.is_err());
}

#[test]
fn gc_cell_replace_take_swap_into_inner() {
    let a = GcCell::new(String::from("a"));
    let b = GcCell::new(String::from("b"));
    assert_eq!(a.replace(String::from("x")), "a");
    a.swap(&b);
    assert_eq!((a.borrow().as_str(), b.borrow().as_str()), ("b", "x"));
    assert_eq!(a.take(), "b");
    assert_eq!(a.borrow().as_str(), "");
    assert_eq!(b.replace_with(|s| format!("{s}!")), "x");
    assert_eq!(b.into_inner(), "x!");
    let mut m = GcCell::new(5);
    *m.get_mut() += 1;
    assert_eq!(m.into_inner(), 6);
}

#[test]
fn gc_cell_replace_panics_while_borrowed() {
    let a = GcCell::new(1);
    let _r = a.borrow();
    assert!(catch_unwind(AssertUnwindSafe(|| a.replace(2))).is_err());
    assert!(catch_unwind(AssertUnwindSafe(|| a.take())).is_err());
    assert_eq!(*a.borrow(), 1);
}

#[test]
fn gc_cell_of_gcs_replace_and_take_release_the_old_contents() {
    let drops = Rc::new(Cell::new(0));
    let holder = Gc::new(GcCell::new(Some(Gc::new(tracked(1, &drops)))));
    let old = holder.replace(Some(Gc::new(tracked(2, &drops))));
    drop(old);
    collect();
    assert_eq!(drops.get(), 1);
    let taken = holder.take();
    assert_eq!(taken.as_ref().unwrap().value, 2);
    collect_now();
    assert_eq!(drops.get(), 1, "the taken value is held by a local");
    drop(taken);
    collect();
    assert_eq!(drops.get(), 2);
}

#[test]
fn gc_ref_map_and_gc_ref_mut_map() {
    let c = GcCell::new((1, String::from("two")));
    {
        let r: GcRef<'_, String> = GcRef::map(c.borrow(), |p| &p.1);
        assert_eq!(&*r, "two");
        let r2 = GcRef::clone(&r);
        assert_eq!(format!("{r2} {r2:?}"), "two \"two\"");
        assert!(c.try_borrow_mut().is_err());
    }
    {
        let mut m: GcRefMut<'_, String> = GcRefMut::map(c.borrow_mut(), |p| &mut p.1);
        m.push('!');
        assert_eq!(format!("{m} {m:?}"), "two! \"two!\"");
        assert!(c.try_borrow().is_err());
    }
    assert_eq!(c.borrow().1, "two!");
    let s: GcRef<'_, str> = GcRef::map(c.borrow(), |p| p.1.as_str());
    assert_eq!(&*s, "two!");
}

#[test]
fn gc_cell_debug_shows_borrowed_when_mutably_borrowed() {
    let c = GcCell::new(7);
    assert_eq!(format!("{c:?}"), "GcCell { value: 7 }");
    {
        let _r = c.borrow();
        assert_eq!(format!("{c:?}"), "GcCell { value: 7 }");
    }
    let _w = c.borrow_mut();
    assert_eq!(format!("{c:?}"), "GcCell { value: <borrowed> }");
}

#[test]
fn gc_cell_clone_default_from_eq() {
    let a = GcCell::new(vec![1, 2]);
    let b = a.clone();
    assert_eq!(a, b);
    b.borrow_mut().push(3);
    assert_ne!(a, b);
    let d: GcCell<u8> = GcCell::default();
    assert_eq!(d.into_inner(), 0);
    let f: GcCell<&str> = GcCell::from("x");
    assert_eq!(*f.borrow(), "x");
}
