//! `ErasedGc`: a strong reference whose value type is forgotten.

use core::fmt;
use core::ptr::NonNull;

use super::gc::Gc;
use super::gc_box::GcBox;
use super::header::GcHeader;
use crate::mutator;

/// A `Gc` whose type is forgotten: it keeps its object alive, exactly like
/// the `Gc` it was made from, but cannot reach the value until it is
/// [`downcast`](ErasedGc::downcast) back.
///
/// For containers of roots of many types (a process-wide root set, the slots
/// of an async handle scope) that hold each in one word. Made only from a
/// `Gc<T>` with `T: Send + Sync`, so it is `Send + Sync` itself.
///
/// # Examples
///
/// ```
/// use rudo_gc::{ErasedGc, Gc};
///
/// let roots: Vec<ErasedGc> = vec![
///     Gc::erase(Gc::new(String::from("a string"))),
///     Gc::erase(Gc::new(42_u64)),
/// ];
/// rudo_gc::collect(); // both stay alive
/// let n: Gc<u64> = roots[1].clone().downcast().unwrap();
/// assert_eq!(*n, 42);
/// assert!(roots[0].clone().downcast::<u64>().is_err());
/// ```
pub struct ErasedGc {
    header: NonNull<GcHeader>,
}

// SAFETY: made only from `Gc<T>` with `T: Send + Sync` (which is itself
// `Send + Sync`), and it only clones, drops and compares the reference; it
// gives access to the value only by turning back into that `Gc<T>`.
unsafe impl Send for ErasedGc {}
// SAFETY: as above; `&ErasedGc` only clones (an atomic increment).
unsafe impl Sync for ErasedGc {}

impl<T: ?Sized + Send + Sync + 'static> Gc<T> {
    /// Forgets the value's type, keeping the reference (and so the object
    /// alive). See [`ErasedGc`].
    pub fn erase(this: Gc<T>) -> ErasedGc {
        let this = core::mem::ManuallyDrop::new(this);
        ErasedGc {
            header: this.header_ptr(),
        }
    }
}

impl ErasedGc {
    fn header(&self) -> &GcHeader {
        // SAFETY: an `ErasedGc` holds a strong count, which keeps the object
        // allocated, like a `Gc`.
        unsafe { GcHeader::from_ptr(self.header.cast()) }
    }

    pub(crate) fn header_ptr(&self) -> NonNull<GcHeader> {
        self.header
    }

    /// The `Gc<T>` back, if the value is a `T`; otherwise `self`, unchanged.
    pub fn downcast<T: Send + Sync + 'static>(self) -> Result<Gc<T>, ErasedGc> {
        if self.is::<T>() {
            let this = core::mem::ManuallyDrop::new(self);
            // The count moves from the `ErasedGc` to the `Gc`. The header
            // starts the `GcBox<T>` (`repr(C)`, header first).
            Ok(Gc::from_counted(this.header.cast::<GcBox<T>>()))
        } else {
            Err(self)
        }
    }

    /// Whether the value is a `T`.
    pub fn is<T: 'static>(&self) -> bool {
        (self.header().vtable().type_id)() == core::any::TypeId::of::<T>()
    }

    /// `core::any::type_name` of the value's type.
    pub fn type_name(&self) -> &'static str {
        (self.header().vtable().type_name)()
    }

    /// Whether two references point to the same object.
    pub fn ptr_eq(this: &ErasedGc, other: &ErasedGc) -> bool {
        this.header == other.header
    }
}

impl Clone for ErasedGc {
    /// Another reference to the same object.
    ///
    /// # Panics
    ///
    /// Panics if the object is dead (see [`Gc`]'s `Deref`).
    fn clone(&self) -> ErasedGc {
        self.header().inc_strong();
        ErasedGc {
            header: self.header,
        }
    }
}

impl Drop for ErasedGc {
    fn drop(&mut self) {
        // As `Gc::drop`.
        mutator::release(|| self.header().dec_strong());
    }
}

impl fmt::Debug for ErasedGc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ErasedGc").field(&self.type_name()).finish()
    }
}
