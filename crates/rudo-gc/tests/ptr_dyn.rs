//! `Gc<dyn Trait>` through `coerce_gc!`: the count and the address move
//! along; tracing, destruction, `Weak<dyn Trait>`, `find_gc_box` and the
//! formatting traits work through the trait object; cycles through trait
//! objects are collected.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use rudo_gc::heap::find_gc_box;
use rudo_gc::{Gc, GcCell, Trace, Visitor, Weak, coerce_gc, collect};

/// A trait of heap objects. It need not extend `Trace` (which is not dyn
/// compatible): the collector traces through the object's own vtable.
trait Node {
    fn name(&self) -> String;
    fn link(&self, to: Gc<dyn Node>);
}

/// A node with a destructor that counts and a slot for one edge.
struct Named {
    name: &'static str,
    next: GcCell<Option<Gc<dyn Node>>>,
    drops: Rc<Cell<usize>>,
}

// SAFETY: visits the one `Gc`-owning field once.
unsafe impl Trace for Named {
    fn trace(&self, v: &mut Visitor) {
        self.next.trace(v);
    }
}

impl Drop for Named {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

impl Node for Named {
    fn name(&self) -> String {
        self.name.to_string()
    }
    fn link(&self, to: Gc<dyn Node>) {
        *self.next.borrow_mut() = Some(to);
    }
}

impl fmt::Display for Named {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node {}", self.name)
    }
}

fn named(name: &'static str, drops: &Rc<Cell<usize>>) -> Gc<Named> {
    Gc::new(Named {
        name,
        next: GcCell::new(None),
        drops: drops.clone(),
    })
}

#[test]
fn the_count_and_the_address_move_along() {
    let drops = Rc::new(Cell::new(0));
    let concrete = named("a", &drops);
    let other = concrete.clone();
    let address = Gc::as_ptr(&concrete).cast::<u8>();
    let node: Gc<dyn Node> = coerce_gc!(concrete);
    assert_eq!(Gc::as_ptr(&node).cast::<u8>(), address);
    assert_eq!(Gc::ref_count(&node), 2, "no count was added or lost");
    assert_eq!(node.name(), "a");
    drop(other);
    assert_eq!(Gc::ref_count(&node), 1);
    drop(node);
    collect();
    assert_eq!(drops.get(), 1, "dropped once, through its own vtable");
}

#[test]
fn cycles_through_trait_objects_are_collected() {
    let drops = Rc::new(Cell::new(0));
    let a: Gc<dyn Node> = coerce_gc!(named("a", &drops));
    let b: Gc<dyn Node> = coerce_gc!(named("b", &drops));
    a.link(b.clone());
    b.link(a.clone());
    collect();
    assert_eq!(drops.get(), 0, "held from the stack: alive");
    assert_eq!(a.name() + &b.name(), "ab");
    drop((a, b));
    collect();
    assert_eq!(drops.get(), 2);
}

#[test]
fn weak_trait_objects_upgrade_until_the_object_dies() {
    let drops = Rc::new(Cell::new(0));
    let node: Gc<dyn Node> = coerce_gc!(named("w", &drops));
    let weak: Weak<dyn Node> = Gc::downgrade(&node);
    assert_eq!(weak.upgrade().expect("alive").name(), "w");
    drop(node);
    collect();
    assert!(weak.upgrade().is_none());
    assert_eq!(drops.get(), 1);
}

#[test]
fn find_gc_box_and_formatting_see_the_object() {
    let drops = Rc::new(Cell::new(0));
    let concrete = named("f", &drops);
    let shown: Gc<dyn fmt::Display> = coerce_gc!(concrete.clone());
    assert_eq!(shown.to_string(), "node f");
    assert_eq!(format!("{shown}"), "node f");
    let info = find_gc_box(Gc::as_ptr(&shown).cast::<u8>()).expect("a heap object");
    assert!(info.contains(Gc::as_ptr(&concrete).cast::<u8>()));
    assert!(
        info.type_name.ends_with("Named"),
        "the object's own type, not the trait object's: {}",
        info.type_name
    );
    let debug: Gc<dyn fmt::Debug> = coerce_gc!(Gc::new(vec![1, 2, 3]));
    assert_eq!(format!("{debug:?}"), "[1, 2, 3]");
}

#[test]
fn arrays_unsize_to_slices() {
    let array = Gc::new([1_u64, 2, 3, 4]);
    let slice: Gc<[u64]> = coerce_gc!(array.clone());
    assert_eq!(slice.len(), 4);
    assert_eq!(slice.iter().sum::<u64>(), 10);
    assert_eq!(Gc::ref_count(&array), 2);
}

#[test]
fn over_aligned_values_keep_their_address() {
    #[derive(Trace)]
    #[repr(align(64))]
    struct Wide(u8);
    impl fmt::Debug for Wide {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "Wide({})", self.0)
        }
    }
    let wide = Gc::new(Wide(9));
    let shown: Gc<dyn fmt::Debug> = coerce_gc!(wide.clone());
    assert_eq!(
        Gc::as_ptr(&shown).cast::<u8>(),
        Gc::as_ptr(&wide).cast::<u8>()
    );
    assert_eq!(format!("{shown:?}"), "Wide(9)");
}

#[test]
fn trait_objects_cross_threads_when_send_and_sync() {
    trait Total: Send + Sync {
        fn total(&self) -> u64;
    }
    #[derive(Trace)]
    struct Numbers(Vec<u64>);
    impl Total for Numbers {
        fn total(&self) -> u64 {
            self.0.iter().sum()
        }
    }
    let shared: Gc<dyn Total> = coerce_gc!(Gc::new(Numbers(vec![1, 2, 3])));
    let there = shared.clone();
    let total = std::thread::spawn(move || there.total()).join().unwrap();
    assert_eq!(total, 6);
}
