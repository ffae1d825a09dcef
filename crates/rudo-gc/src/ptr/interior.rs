//! `Gc::from_interior`: a counted `Gc` recovered from any address inside a
//! live object (a conservative stack word, an FFI buffer's pointer).
//!
//! Invariant: the lookup and the increment are one heap operation, so no
//! collection runs between them: every object a collection found dead is by
//! then freed (its allocation bit clear) or pending (its `pending` bit set),
//! and both answer `None`, as does an object under construction
//! (`DEAD` until `new_cyclic` returns). A live object stays live until the
//! operation ends (only a collection finds objects dead), so its slot is not
//! freed or reused under the increment. An object no `Gc` refers to any more,
//! but that no collection has examined yet, is still live: it is handed out
//! again, and the count makes it a root, as a conservative scan would.
//! (`heap::find_gc_box` alone is not a heap operation: during a collection it
//! may still answer for an object that collection has found dead but not yet
//! flagged; that is why it only reports, and this function counts.)

use core::any::TypeId;

use super::gc::Gc;
use super::gc_box::GcBox;
use super::header::GcHeader;
use crate::heap::{chunk, lookup};
use crate::mutator;

impl<T: Send + Sync + 'static> Gc<T> {
    /// The live object of type `T` containing `addr`, as a new counted
    /// `Gc`; `None` for any other address.
    ///
    /// `addr` may point at any byte of the object: its header, its value's
    /// first or last byte, any field. `None` for addresses outside the heap,
    /// free slots, objects of another type than `T` (checked with
    /// `TypeId`), objects a collection found dead (their destructors pending
    /// included) and objects under construction. Sound on any thread: `T` is
    /// `Send + Sync`. For other types, see [`Gc::from_interior_local`].
    /// Sized types only: the metadata of `Gc<[T]>` and `Gc<str>` is not
    /// recovered.
    ///
    /// The lookup and the increment are one heap operation (a collection
    /// cannot run between them), which costs about as much as a
    /// [`find_gc_box`](crate::heap::find_gc_box) and a `clone`.
    ///
    /// # Examples
    ///
    /// An interpreter's value stack holds raw words; a word is turned back
    /// into a `Gc` to be stored in the heap:
    ///
    /// ```
    /// use rudo_gc::Gc;
    ///
    /// let s = Gc::new(String::from("on the value stack"));
    /// let word = Gc::as_ptr(&s) as usize; // no count: a raw word
    /// let back: Gc<String> = Gc::from_interior(word as *const u8).expect("live");
    /// assert!(Gc::ptr_eq(&back, &s));
    /// assert!(Gc::<u64>::from_interior(word as *const u8).is_none(), "another type");
    /// assert!(Gc::<String>::from_interior(&0_u8).is_none(), "not in the heap");
    /// ```
    pub fn from_interior(addr: *const u8) -> Option<Gc<T>> {
        recover(addr, false)
    }
}

impl<T: 'static> Gc<T> {
    /// As [`Gc::from_interior`], for any `T`, but only for objects this
    /// thread allocated: `None` for an object another thread allocated, or
    /// an exited thread's. (A `Gc` to a value that is not `Send + Sync` must
    /// stay on the value's thread; the object's page records it.)
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use rudo_gc::{Gc, Trace, Visitor};
    ///
    /// struct Local(Rc<u32>); // not `Send`
    /// // SAFETY: holds no `Gc`.
    /// unsafe impl Trace for Local {
    ///     fn trace(&self, _: &mut Visitor) {}
    /// }
    ///
    /// let local = Gc::new(Local(Rc::new(7)));
    /// let field: *const Rc<u32> = &local.0;
    /// let back: Gc<Local> = Gc::from_interior_local(field.cast()).expect("live, this thread's");
    /// assert_eq!(*back.0, 7);
    /// ```
    pub fn from_interior_local(addr: *const u8) -> Option<Gc<T>> {
        recover(addr, true)
    }
}

/// `from_interior` and `from_interior_local`: the lookup, the checks and the
/// increment, in one heap operation.
fn recover<T: 'static>(addr: *const u8, home_only: bool) -> Option<Gc<T>> {
    mutator::heap_op(|m| {
        // Holds off the release of pages while the lookup reads one that
        // may be free (`heap::lookup`).
        let _guard = chunk::lookup_guard();
        let found = lookup::live_object(addr)?;
        if home_only && found.page.owner() != m.id() {
            return None;
        }
        // SAFETY: a live object (allocated, not pending, not `DEAD`) whose
        // page the guard and this heap operation keep.
        let header = unsafe { GcHeader::from_ptr(found.object) };
        if (header.vtable().type_id)() != TypeId::of::<T>() {
            return None;
        }
        // Live, not `DEAD`: the increment succeeds (or panics on overflow,
        // like `clone`). The object is a `GcBox<T>` (its `TypeId`), header
        // first (`repr(C)`).
        header.inc_strong();
        Some(Gc::from_counted(found.object.cast::<GcBox<T>>()))
    })
}
