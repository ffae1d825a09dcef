//! Interior mutability for GC objects.
//!
//! `Gc<T>` hands out `&T` only, so mutation goes through a cell. Unlike
//! `RefCell`, these cells keep their borrow state in an atomic the collector
//! reads: while a cell is mutably borrowed the collector does not look inside
//! it (its contents count as externally referenced and stay alive for one more
//! collection), so a mutable borrow can move `Gc`s in and out at any time.

mod borrow_flag;
mod gc_cell;

pub use gc_cell::{BorrowError, BorrowMutError, GcCell, GcRef, GcRefMut};
