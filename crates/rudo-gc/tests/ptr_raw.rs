//! `Gc::into_raw` / `Gc::from_raw`: the count travels with the raw pointer;
//! an object held only by a raw pointer survives collections; slices, `str`
//! and over-aligned values round-trip; a `u64` round trip through FFI-style
//! user data works.

use std::cell::Cell;
use std::rc::Rc;

use rudo_gc::{Gc, GcCell, Trace, Visitor, collect, collect_minor};

struct Tracked {
    child: GcCell<Option<Gc<Tracked>>>,
    drops: Rc<Cell<usize>>,
}

// SAFETY: visits the one `Gc`-owning field once.
unsafe impl Trace for Tracked {
    fn trace(&self, v: &mut Visitor) {
        self.child.trace(v);
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

fn tracked(drops: &Rc<Cell<usize>>) -> Gc<Tracked> {
    Gc::new(Tracked {
        child: GcCell::new(None),
        drops: drops.clone(),
    })
}

#[test]
fn the_count_travels_with_the_pointer() {
    let value = Gc::new(41_u64);
    let other = value.clone();
    let raw = Gc::into_raw(value);
    assert_eq!(Gc::ref_count(&other), 2, "the raw pointer holds its count");
    assert_eq!(raw, Gc::as_ptr(&other));
    // SAFETY: from `Gc::<u64>::into_raw`, given back once.
    let back = unsafe { Gc::from_raw(raw) };
    assert_eq!(*back + 1, 42);
    assert!(Gc::ptr_eq(&back, &other));
    drop(back);
    assert_eq!(Gc::ref_count(&other), 1);
}

#[test]
fn an_object_held_only_by_a_raw_pointer_survives_collections() {
    let drops = Rc::new(Cell::new(0));
    let parent = tracked(&drops);
    *parent.child.borrow_mut() = Some(tracked(&drops));
    let raw = Gc::into_raw(parent);
    collect_minor();
    collect_minor();
    collect();
    assert_eq!(
        drops.get(),
        0,
        "the raw pointer is a root, and so is what it reaches"
    );
    // SAFETY: the count the pointer carries keeps the value alive.
    assert!(unsafe { &*raw }.child.borrow().is_some());
    // SAFETY: from `Gc::<Tracked>::into_raw`, given back once.
    drop(unsafe { Gc::from_raw(raw) });
    collect();
    assert_eq!(drops.get(), 2);
}

#[test]
fn slices_and_str_round_trip() {
    let slice: Gc<[u16]> = Gc::from(vec![1, 2, 3, 4, 5]);
    let raw = Gc::into_raw(slice);
    // SAFETY: from `Gc::<[u16]>::into_raw`, given back once.
    let slice = unsafe { Gc::<[u16]>::from_raw(raw) };
    assert_eq!(&*slice, &[1, 2, 3, 4, 5]);

    let text: Gc<str> = Gc::from("round trip");
    let raw = Gc::into_raw(text);
    // SAFETY: from `Gc::<str>::into_raw`, given back once.
    let text = unsafe { Gc::<str>::from_raw(raw) };
    assert_eq!(&*text, "round trip");
    collect();
    assert_eq!(slice.len() + text.len(), 15);
}

#[test]
fn over_aligned_values_round_trip() {
    #[derive(Trace, Debug, PartialEq)]
    #[repr(align(128))]
    struct Aligned(u64);
    let value = Gc::new(Aligned(5));
    let raw = Gc::into_raw(value);
    assert_eq!(raw as usize % 128, 0);
    // SAFETY: from `Gc::<Aligned>::into_raw`, given back once.
    let value = unsafe { Gc::from_raw(raw) };
    assert_eq!(*value, Aligned(5));
}

#[test]
fn a_u64_round_trip_through_ffi_user_data() {
    /// A C-style callback: a function and its user data, a plain integer.
    type Callback = (fn(u64) -> String, u64);
    /// A C-style callback registry.
    struct Registry {
        callbacks: Vec<Callback>,
    }
    fn call(user_data: u64) -> String {
        // SAFETY: the registry stored a `Gc::<String>::into_raw` pointer;
        // this borrows it without taking the count back.
        let name = unsafe { &*(user_data as usize as *const String) };
        format!("hello, {name}")
    }
    let name = Gc::new(String::from("ffi"));
    let mut registry = Registry {
        callbacks: Vec::new(),
    };
    registry
        .callbacks
        .push((call, Gc::into_raw(name) as usize as u64));
    collect();
    let (f, data) = registry.callbacks[0];
    assert_eq!(f(data), "hello, ffi");
    // Unregistering gives the count back.
    let (_, data) = registry.callbacks.pop().unwrap();
    // SAFETY: from `Gc::<String>::into_raw`, given back once.
    let name = unsafe { Gc::from_raw(data as usize as *const String) };
    assert_eq!(Gc::ref_count(&name), 1);
}
