//! Where the VM's objects live: the GC heap ([`GcHeap`]) or reference
//! counting ([`RcHeap`], the baseline that leaks cycles).

use core::ops::{Deref, DerefMut};
use std::cell::RefCell;
use std::rc::Rc;

use rudo_gc::{Gc, GcCell, Trace, Visitor};

use crate::value::Obj;

/// A heap the VM allocates its objects in.
pub trait Heap: Sized + 'static {
    /// A counted reference to an object.
    type Ref: Clone + Deref<Target = Obj<Self>>;
    /// A mutable slot inside an object.
    type Cell<T: Trace + 'static>;

    /// Allocates an object.
    fn alloc(obj: Obj<Self>) -> Self::Ref;
    /// Whether two references name the same object.
    fn ptr_eq(a: &Self::Ref, b: &Self::Ref) -> bool;
    /// A new cell.
    fn cell<T: Trace + 'static>(value: T) -> Self::Cell<T>;
    /// Reads a cell.
    fn borrow<T: Trace + 'static>(cell: &Self::Cell<T>) -> impl Deref<Target = T> + '_;
    /// Writes a cell.
    fn borrow_mut<T: Trace + 'static>(cell: &Self::Cell<T>) -> impl DerefMut<Target = T> + '_;
    /// Visits the `Gc` a reference is (nothing for `Rc`).
    fn trace_ref(r: &Self::Ref, visitor: &mut Visitor);
    /// Visits what a cell holds (nothing for `RefCell`).
    fn trace_cell<T: Trace + 'static>(cell: &Self::Cell<T>, visitor: &mut Visitor);
}

/// Objects in the rudo-gc heap: cycles are collected.
#[derive(Debug)]
pub struct GcHeap;

impl Heap for GcHeap {
    type Ref = Gc<Obj<GcHeap>>;
    type Cell<T: Trace + 'static> = GcCell<T>;

    fn alloc(obj: Obj<Self>) -> Self::Ref {
        Gc::new(obj)
    }
    fn ptr_eq(a: &Self::Ref, b: &Self::Ref) -> bool {
        Gc::ptr_eq(a, b)
    }
    fn cell<T: Trace + 'static>(value: T) -> GcCell<T> {
        GcCell::new(value)
    }
    fn borrow<T: Trace + 'static>(cell: &GcCell<T>) -> impl Deref<Target = T> + '_ {
        cell.borrow()
    }
    fn borrow_mut<T: Trace + 'static>(cell: &GcCell<T>) -> impl DerefMut<Target = T> + '_ {
        cell.borrow_mut()
    }
    fn trace_ref(r: &Self::Ref, visitor: &mut Visitor) {
        r.trace(visitor);
    }
    fn trace_cell<T: Trace + 'static>(cell: &GcCell<T>, visitor: &mut Visitor) {
        cell.trace(visitor);
    }
}

/// Objects behind `Rc`: the baseline (cycles leak).
#[derive(Debug)]
pub struct RcHeap;

impl Heap for RcHeap {
    type Ref = Rc<Obj<RcHeap>>;
    type Cell<T: Trace + 'static> = RefCell<T>;

    fn alloc(obj: Obj<Self>) -> Self::Ref {
        Rc::new(obj)
    }
    fn ptr_eq(a: &Self::Ref, b: &Self::Ref) -> bool {
        Rc::ptr_eq(a, b)
    }
    fn cell<T: Trace + 'static>(value: T) -> RefCell<T> {
        RefCell::new(value)
    }
    fn borrow<T: Trace + 'static>(cell: &RefCell<T>) -> impl Deref<Target = T> + '_ {
        cell.borrow()
    }
    fn borrow_mut<T: Trace + 'static>(cell: &RefCell<T>) -> impl DerefMut<Target = T> + '_ {
        cell.borrow_mut()
    }
    fn trace_ref(_: &Self::Ref, _: &mut Visitor) {}
    fn trace_cell<T: Trace + 'static>(_: &RefCell<T>, _: &mut Visitor) {}
}
