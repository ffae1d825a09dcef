//! `#[derive(Trace)]` and `#[derive(GcFree)]` on every supported shape.
//!
//! Whether `trace` visits the right fields is checked through the collector's
//! public behaviour: a garbage cycle through the derived type is freed only if
//! every link of it is traced (an unvisited `Gc` counts as an external root),
//! and an object referenced from a root survives.
//!
//! The file denies warnings so that generated code that warns fails here.

#![deny(warnings)]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use rudo_gc::{Gc, GcCell, GcFree, Trace, Weak, collect};

/// Counts how many values sharing it were dropped. Derives both traits, and
/// implements `Drop` through `#[gc(unsafe_drop)]` (sound: it has no `Gc`).
#[derive(Trace, GcFree, Default)]
#[gc(unsafe_drop)]
struct DropCounter(Rc<Cell<usize>>);

impl DropCounter {
    fn share(&self) -> DropCounter {
        DropCounter(self.0.clone())
    }

    fn count(&self) -> usize {
        self.0.get()
    }
}

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

type Link<T> = GcCell<Option<Gc<T>>>;

fn link<T>(target: Option<Gc<T>>) -> Link<T> {
    GcCell::new(target)
}

fn requires_trace<T: Trace>() {}

fn requires_gc_free<T: GcFree>() {}

// ---------------------------------------------------------------------------
// Shapes

#[derive(Trace)]
struct Unit;

#[derive(Trace)]
struct EmptyBraces {}

#[derive(Trace)]
struct EmptyTuple();

#[derive(Trace)]
enum Never {}

#[derive(Trace)]
enum Fieldless {
    _A,
    _B,
}

#[derive(Trace)]
struct AllSkipped {
    #[gc(skip)]
    _a: Gc<u32>,
    #[gc(skip)]
    _b: u32,
}

#[derive(Trace)]
struct Named {
    next: Link<Named>,
    label: String,
    drops: DropCounter,
}

#[derive(Trace)]
struct Tuple(u32, Link<Tuple>, DropCounter);

#[derive(Trace)]
enum Shape {
    _Empty,
    Pair(u32, Link<Shape>, DropCounter),
    Named {
        _id: u32,
        next: Link<Shape>,
        drops: DropCounter,
    },
    _EmptyTuple(),
    _EmptyBraces {},
}

#[test]
fn needs_trace_is_false_only_without_traced_fields() {
    const { assert!(!<Unit as Trace>::NEEDS_TRACE) };
    const { assert!(!<EmptyBraces as Trace>::NEEDS_TRACE) };
    const { assert!(!<EmptyTuple as Trace>::NEEDS_TRACE) };
    const { assert!(!<Never as Trace>::NEEDS_TRACE) };
    const { assert!(!<Fieldless as Trace>::NEEDS_TRACE) };
    const { assert!(!<AllSkipped as Trace>::NEEDS_TRACE) };

    const { assert!(<Named as Trace>::NEEDS_TRACE) };
    const { assert!(<Tuple as Trace>::NEEDS_TRACE) };
    const { assert!(<Shape as Trace>::NEEDS_TRACE) };
    // A type whose fields hold no `Gc` but are traced keeps the default.
    const { assert!(<DropCounter as Trace>::NEEDS_TRACE) };
}

#[test]
fn fieldless_types_live_in_the_heap() {
    let unit = Gc::new(Unit);
    let skipped = Gc::new(AllSkipped {
        _a: Gc::new(1),
        _b: 2,
    });
    collect();
    let _ = (&*unit, &*skipped);
}

#[test]
fn named_struct_cycle_is_freed() {
    let drops = DropCounter::default();
    let a = Gc::new(Named {
        next: link(None),
        label: "a".into(),
        drops: drops.share(),
    });
    let b = Gc::new(Named {
        next: link(Some(a.clone())),
        label: "b".into(),
        drops: drops.share(),
    });
    *a.next.borrow_mut() = Some(b.clone());
    let (weak_a, weak_b) = (Gc::downgrade(&a), Gc::downgrade(&b));

    // Reachable from a root: both survive.
    drop(b);
    collect();
    assert_eq!(drops.count(), 0);
    assert_eq!(weak_b.upgrade().unwrap().label, "b");

    // Unreachable: the cycle is found only if `next` is traced.
    drop(a);
    collect();
    assert!(weak_a.upgrade().is_none());
    assert!(weak_b.upgrade().is_none());
    assert_eq!(drops.count(), 2);
}

#[test]
fn tuple_struct_cycle_is_freed() {
    let drops = DropCounter::default();
    let a = Gc::new(Tuple(1, link(None), drops.share()));
    let b = Gc::new(Tuple(2, link(Some(a.clone())), drops.share()));
    *a.1.borrow_mut() = Some(b.clone());
    let weak = Gc::downgrade(&a);
    drop(a);
    collect();
    assert_eq!(weak.upgrade().unwrap().0, 1);
    drop(b);
    collect();
    assert!(weak.upgrade().is_none());
    assert_eq!(drops.count(), 2);
}

#[test]
fn enum_cycle_through_tuple_and_struct_variants_is_freed() {
    let drops = DropCounter::default();
    let a = Gc::new(Shape::Pair(1, link(None), drops.share()));
    let b = Gc::new(Shape::Named {
        _id: 2,
        next: link(Some(a.clone())),
        drops: drops.share(),
    });
    let Shape::Pair(_, next, _) = &*a else {
        unreachable!()
    };
    *next.borrow_mut() = Some(b.clone());
    let weak = Gc::downgrade(&b);
    drop(b);
    collect();
    assert!(weak.upgrade().is_some());
    drop(a);
    collect();
    assert!(weak.upgrade().is_none());
    assert_eq!(drops.count(), 2);
}

// ---------------------------------------------------------------------------
// Generics and recursion

#[derive(Trace)]
struct Wrapper<T: 'static> {
    inner: T,
}

#[derive(Trace)]
struct ThroughWrapper {
    next: Wrapper<Link<ThroughWrapper>>,
    drops: DropCounter,
}

#[derive(Trace)]
struct Consts<T: 'static, const N: usize>
where
    T: Clone,
{
    items: [T; N],
    weak: Weak<T>,
}

#[test]
fn generic_struct_traces_its_parameter() {
    requires_trace::<Wrapper<u32>>();
    requires_trace::<Wrapper<Gc<Unit>>>();
    requires_trace::<Consts<Gc<u8>, 3>>();

    let drops = DropCounter::default();
    let a = Gc::new(ThroughWrapper {
        next: Wrapper { inner: link(None) },
        drops: drops.share(),
    });
    *a.next.inner.borrow_mut() = Some(a.clone());
    let weak = Gc::downgrade(&a);
    drop(a);
    collect();
    assert!(weak.upgrade().is_none());
    assert_eq!(drops.count(), 1);
}

#[derive(Trace)]
struct List {
    value: u32,
    next: Option<Gc<List>>,
}

// Recursion through `Box` inside a container is what this type tests.
#[allow(clippy::vec_box)]
#[derive(Trace)]
struct Tree {
    kids: Vec<Box<Tree>>,
    up: Link<Tree>,
    drops: DropCounter,
}

/// Generic and recursive through `Box`: inference leaves the recursive field
/// unbounded, so no `bound` is needed.
#[derive(Trace)]
struct GenericTree<T: 'static> {
    value: T,
    kids: Vec<Box<GenericTree<T>>>,
}

#[derive(Trace)]
struct GenericList<T: 'static> {
    value: T,
    next: Option<Gc<GenericList<T>>>,
}

#[test]
fn recursive_types() {
    requires_trace::<GenericTree<Gc<u32>>>();
    requires_trace::<GenericList<String>>();

    let tail = Gc::new(List {
        value: 2,
        next: None,
    });
    let head = Gc::new(List {
        value: 1,
        next: Some(tail.clone()),
    });
    let weak_tail = Gc::downgrade(&tail);
    drop(tail);
    collect();
    assert_eq!(weak_tail.upgrade().unwrap().value, 2);
    assert_eq!(head.next.as_ref().unwrap().value, 2);
    drop(head);
    collect();
    assert!(weak_tail.upgrade().is_none());

    // A cycle from a boxed grandchild back up to the root object: found only
    // if `kids` is traced through `Vec` and `Box`.
    let drops = DropCounter::default();
    let leaf = Tree {
        kids: Vec::new(),
        up: link(None),
        drops: drops.share(),
    };
    let root = Gc::new(Tree {
        kids: vec![Box::new(Tree {
            kids: vec![Box::new(leaf)],
            up: link(None),
            drops: drops.share(),
        })],
        up: link(None),
        drops: drops.share(),
    });
    *root.kids[0].kids[0].up.borrow_mut() = Some(root.clone());
    let weak = Gc::downgrade(&root);
    drop(root);
    collect();
    assert!(weak.upgrade().is_none());
    assert_eq!(drops.count(), 3);

    let tree = Gc::new(GenericTree {
        value: Gc::new(7u32),
        kids: vec![Box::new(GenericTree {
            value: Gc::new(8u32),
            kids: Vec::new(),
        })],
    });
    collect();
    assert_eq!(*tree.kids[0].value, 8);
}

// ---------------------------------------------------------------------------
// Options

#[derive(Trace)]
struct WithSkip {
    traced: Link<WithSkip>,
    #[gc(skip)]
    hidden: Link<WithSkip>,
    drops: DropCounter,
}

#[test]
fn skipped_gc_keeps_its_target_alive() {
    let drops = DropCounter::default();
    let a = Gc::new(WithSkip {
        traced: link(None),
        hidden: link(None),
        drops: drops.share(),
    });
    let b = Gc::new(WithSkip {
        traced: link(None),
        hidden: link(None),
        drops: drops.share(),
    });
    // a -> b traced, b -> a hidden from the collector.
    *a.traced.borrow_mut() = Some(b.clone());
    *b.hidden.borrow_mut() = Some(a.clone());
    let (weak_a, weak_b) = (Gc::downgrade(&a), Gc::downgrade(&b));
    drop((a, b));
    collect();
    // The hidden `Gc` looks like an external reference: a leak, never an
    // early free.
    assert!(weak_a.upgrade().is_some());
    assert!(weak_b.upgrade().is_some());
    assert_eq!(drops.count(), 0);

    // Breaking the hidden link lets the collector free both.
    weak_b.upgrade().unwrap().hidden.borrow_mut().take();
    collect();
    assert!(weak_a.upgrade().is_none());
    assert!(weak_b.upgrade().is_none());
    assert_eq!(drops.count(), 2);
}

mod my_gc {
    pub(crate) use rudo_gc::*;
}

#[derive(my_gc::Trace, my_gc::GcFree)]
#[gc(crate = "crate::my_gc")]
struct RenamedLeaf {
    value: u32,
}

#[derive(my_gc::Trace)]
#[gc(crate = "crate::my_gc")]
enum Renamed {
    Node(my_gc::GcCell<Option<my_gc::Gc<Renamed>>>, DropCounter),
    _Leaf(RenamedLeaf),
}

#[test]
fn crate_path_override() {
    requires_gc_free::<RenamedLeaf>();
    let drops = DropCounter::default();
    let a = Gc::new(Renamed::Node(link(None), drops.share()));
    let Renamed::Node(next, _) = &*a else {
        unreachable!()
    };
    *next.borrow_mut() = Some(a.clone());
    let weak = Gc::downgrade(&a);
    drop(a);
    collect();
    assert!(weak.upgrade().is_none());
    assert_eq!(drops.count(), 1);
    assert_eq!(RenamedLeaf { value: 3 }.value, 3);
}

#[derive(Trace)]
#[gc(unsafe_drop)]
struct Logged {
    next: Link<Logged>,
    log: Rc<RefCell<Vec<String>>>,
    name: String,
}

impl Drop for Logged {
    fn drop(&mut self) {
        // Touches only non-`Gc` fields, as `unsafe_drop` requires.
        self.log.borrow_mut().push(self.name.clone());
    }
}

#[test]
fn unsafe_drop_runs_the_drop_impl() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let a = Gc::new(Logged {
        next: link(None),
        log: log.clone(),
        name: "a".into(),
    });
    let b = Gc::new(Logged {
        next: link(Some(a.clone())),
        log: log.clone(),
        name: "b".into(),
    });
    *a.next.borrow_mut() = Some(b.clone());
    drop((a, b));
    collect();
    let mut names = log.borrow().clone();
    names.sort();
    assert_eq!(names, ["a", "b"]);
}

struct NotTrace;

#[derive(Trace)]
#[gc(bound = "")]
struct NoBounds<T: 'static> {
    target: Option<Gc<T>>,
    _marker: std::marker::PhantomData<T>,
}

/// Explicit bound where inference would leave `T` unbounded (the only field
/// names the type itself, so inference does not bound it).
#[derive(Trace)]
#[gc(bound = "T: Trace")]
struct Forest<T: 'static> {
    trees: Vec<(T, Box<Forest<T>>)>,
}

#[derive(Trace, GcFree)]
#[gc(bound(trace = "T: Trace", gc_free = "T: GcFree"))]
struct PerDerive<T: 'static> {
    items: Vec<T>,
}

#[test]
fn bound_override() {
    requires_trace::<NoBounds<NotTrace>>();
    requires_trace::<Forest<Gc<u8>>>();
    requires_trace::<PerDerive<Gc<u8>>>();
    requires_gc_free::<PerDerive<u8>>();

    // Storable although `NotTrace` is not `Trace`: no bound asks for it.
    let _empty = Gc::new(NoBounds::<NotTrace> {
        target: None,
        _marker: std::marker::PhantomData,
    });
    let target = Gc::new(5u32);
    let holder = Gc::new(NoBounds {
        target: Some(target.clone()),
        _marker: std::marker::PhantomData,
    });
    let weak = Gc::downgrade(&target);
    drop(target);
    collect();
    assert!(weak.upgrade().is_some());
    drop(holder);
    collect();
    assert!(weak.upgrade().is_none());
}

// ---------------------------------------------------------------------------
// GcFree

#[derive(Trace, GcFree)]
struct Settings {
    name: String,
    limits: Vec<u32>,
}

// `GcFree` types are only type-checked here; their fields are never read.
#[allow(dead_code)]
#[derive(GcFree)]
enum Mode {
    _Off,
    _On(u8),
    _Custom { _settings: Option<Box<Mode>> },
}

#[allow(dead_code)]
#[derive(GcFree)]
struct GenericFree<T>(Vec<T>);

#[derive(GcFree)]
union Bits {
    _int: u32,
    _float: f32,
}

#[derive(Trace)]
struct UsesStdCells {
    settings: RefCell<Settings>,
    mode: Rc<Mode>,
    generic: Cell<Option<Rc<GenericFree<u8>>>>,
    next: Link<UsesStdCells>,
}

#[test]
fn gc_free_types_fit_in_std_cells() {
    requires_gc_free::<Settings>();
    requires_gc_free::<Mode>();
    requires_gc_free::<GenericFree<String>>();
    requires_gc_free::<Bits>();
    requires_trace::<RefCell<Settings>>();

    let a = Gc::new(UsesStdCells {
        settings: RefCell::new(Settings {
            name: "x".into(),
            limits: vec![1],
        }),
        mode: Rc::new(Mode::_On(1)),
        generic: Cell::new(None),
        next: link(None),
    });
    *a.next.borrow_mut() = Some(a.clone());
    a.settings.borrow_mut().limits.push(2);
    let weak = Gc::downgrade(&a);
    drop(a);
    collect();
    assert!(weak.upgrade().is_none());
}

// ---------------------------------------------------------------------------
// Hygiene: names the generated code uses, and macro-generated types.

#[derive(Trace)]
struct Collides {
    visitor: Link<Collides>,
    __binding_0: Option<Gc<u8>>,
    drops: DropCounter,
}

#[derive(Trace)]
enum CollidesEnum {
    Only {
        visitor: Link<CollidesEnum>,
        __binding_0: DropCounter,
    },
}

macro_rules! define_node {
    ($(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        struct $name {
            next: Link<$name>,
            drops: DropCounter,
        }
    };
}

define_node!(
    #[derive(Trace)]
    FromMacro
);

#[test]
fn generated_names_do_not_collide_with_fields() {
    let drops = DropCounter::default();
    let a = Gc::new(Collides {
        visitor: link(None),
        __binding_0: Some(Gc::new(1)),
        drops: drops.share(),
    });
    *a.visitor.borrow_mut() = Some(a.clone());
    let b = Gc::new(CollidesEnum::Only {
        visitor: link(None),
        __binding_0: drops.share(),
    });
    let CollidesEnum::Only { visitor, .. } = &*b;
    *visitor.borrow_mut() = Some(b.clone());
    let c = Gc::new(FromMacro {
        next: link(None),
        drops: drops.share(),
    });
    *c.next.borrow_mut() = Some(c.clone());
    drop((a, b, c));
    collect();
    assert_eq!(drops.count(), 3);
}

#[derive(Trace)]
struct GcOnly {
    left: Option<Gc<GcOnly>>,
    right: GcCell<Option<Gc<GcOnly>>>,
    up: Weak<GcOnly>,
    pair: (u64, Option<Gc<u8>>),
    _n: u64,
}

#[derive(Trace)]
struct SkipsAString {
    _link: Option<Gc<u8>>,
    #[gc(skip)]
    _name: String,
}

#[derive(Trace)]
struct RecursesThroughBox {
    _next: Option<Box<RecursesThroughBox>>,
}

#[test]
fn needs_drop_is_false_when_only_gc_pointers_need_dropping() {
    // Only `Gc`/`Weak` drop glue: the collector may skip the destructor.
    const { assert!(!<GcOnly as Trace>::NEEDS_DROP) };
    // Anything else with drop glue keeps it, traced or skipped.
    const { assert!(<Named as Trace>::NEEDS_DROP) };
    const { assert!(<SkipsAString as Trace>::NEEDS_DROP) };
    // A recursive type evaluates without a cycle (`Box` answers by itself).
    const { assert!(<RecursesThroughBox as Trace>::NEEDS_DROP) };
    // No fields: nothing to drop.
    const { assert!(!<Unit as Trace>::NEEDS_DROP) };
}

#[test]
fn objects_without_destructors_are_freed_and_release_their_targets() {
    let target = Gc::new(7_u8);
    let weak_target = Gc::downgrade(&target);
    let node = Gc::new(GcOnly {
        left: None,
        right: GcCell::new(None),
        up: Weak::new(),
        pair: (1, Some(target.clone())),
        _n: 0,
    });
    *node.right.borrow_mut() = Some(node.clone()); // a self cycle
    let weak_node = Gc::downgrade(&node);
    drop(node);
    assert_eq!(Gc::ref_count(&target), 2);
    collect();
    assert!(weak_node.upgrade().is_none());
    // The dead node's reference was given back without running a destructor.
    assert_eq!(Gc::ref_count(&target), 1);
    drop(target);
    collect();
    assert!(weak_target.upgrade().is_none());
}
