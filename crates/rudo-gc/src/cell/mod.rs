//! Interior mutability for GC objects: [`GcCell`] for one thread,
//! [`GcMutex`] and [`GcRwLock`] for objects shared between threads.
//!
//! `Gc<T>` hands out `&T` only, so mutation goes through a cell. Unlike
//! `RefCell`, these cells keep their borrow state in an atomic the collector
//! reads: while a cell is mutably borrowed the collector does not look inside
//! it (its contents count as externally referenced and stay alive for one more
//! collection), so a mutable borrow can move `Gc`s in and out at any time.

mod borrow_flag;
mod gc_cell;
mod gc_mutex;
mod gc_rwlock;

pub use gc_cell::{BorrowError, BorrowMutError, GcCell, GcRef, GcRefMut};
pub use gc_mutex::{GcMutex, GcMutexGuard};
pub use gc_rwlock::{GcRwLock, GcRwLockReadGuard, GcRwLockWriteGuard};
