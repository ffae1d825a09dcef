//! GC pointers: `Gc<T>`, `Weak<T>`, the object header and per-type vtables.

mod alloc;
mod erased;
mod gc;
pub(crate) mod gc_box;
pub(crate) mod header;
mod interior;
mod raw;
mod traits;
pub(crate) mod vtable;
mod weak;

pub use erased::ErasedGc;
pub use gc::Gc;
pub use weak::Weak;
