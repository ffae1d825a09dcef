//! `Gc<T>`: a counted pointer into the GC heap.

use core::marker::PhantomData;
use core::ptr::NonNull;

use super::alloc::{box_ptr, with_layout_slot, with_sized_slot};
use super::gc_box::GcBox;
use super::header::GcHeader;
use super::vtable::{STR_VTABLE, SizedVTable, SliceVTable, write_len};
use super::weak::Weak;
use crate::heap::page::PagePtr;
use crate::mutator;
use crate::trace::Trace;

/// A shared pointer to a value in the garbage-collected heap.
///
/// Like [`Rc`](std::rc::Rc), cloning a `Gc` counts one more reference and
/// dereferencing it gives `&T`. Unlike `Rc`, cycles are fine: a collection
/// frees every object that is no longer reachable from outside the heap, and
/// nothing is freed when a count drops to zero. Mutate shared objects through
/// [`GcCell`](crate::GcCell).
///
/// A `Gc` may live anywhere a Rust value can: on the stack, in a `Vec` on the
/// Rust heap, in a `Box`, in a thread-local, inside another GC object. Nothing
/// needs to be registered as a root; the reference count tells the collector
/// which objects are held from outside the heap.
///
/// `Gc<T>` is `Send` and `Sync` exactly when `T` is `Send + Sync`, like
/// `Arc<T>`: any thread may hold, clone, drop and read a shared object, and a
/// collection on any thread sees it. Its value is still dropped on the thread
/// that allocated it. Share mutable state between threads with
/// [`GcMutex`](crate::GcMutex) or [`GcRwLock`](crate::GcRwLock).
///
/// # Examples
///
/// ```
/// use rudo_gc::{Gc, GcCell, Trace};
///
/// #[derive(Trace)]
/// struct Node {
///     name: String,
///     next: GcCell<Option<Gc<Node>>>,
/// }
///
/// let a = Gc::new(Node { name: "a".into(), next: GcCell::new(None) });
/// let b = Gc::new(Node { name: "b".into(), next: GcCell::new(Some(a.clone())) });
/// *a.next.borrow_mut() = Some(b.clone()); // a cycle: a -> b -> a
/// assert_eq!(a.next.borrow().as_ref().unwrap().name, "b");
/// drop((a, b));
/// rudo_gc::collect(); // both nodes are freed
/// ```
pub struct Gc<T: ?Sized + 'static> {
    ptr: NonNull<GcBox<T>>,
    _owns: PhantomData<GcBox<T>>,
}

// SAFETY: like `Arc<T>`: a `Gc` gives shared access to `T` from any thread
// holding it (hence `T: Sync`) and may be the last handle through which the
// value is reached (hence `T: Send`, although the value itself is dropped on
// its home thread). The counts are atomic, and every count decrement,
// upgrade and allocation is a heap operation synchronised with collections.
unsafe impl<T: ?Sized + Send + Sync + 'static> Send for Gc<T> {}
// SAFETY: as above; `&Gc<T>` only clones (an atomic increment) and derefs.
unsafe impl<T: ?Sized + Send + Sync + 'static> Sync for Gc<T> {}

impl<T: Trace> Gc<T> {
    /// Moves `value` into the GC heap.
    ///
    /// May then run a collection, if this thread has allocated its budget
    /// (see [`GcConfig`](crate::GcConfig)), and drop dead values that earlier
    /// collections left for this thread. Their destructors never make this
    /// call fail: a panicking destructor is caught and reported to the
    /// drop-panic hook ([`set_drop_panic_hook`](crate::set_drop_panic_hook)),
    /// and `value` is in the heap either way.
    ///
    /// # Panics
    ///
    /// Panics if called from a thread-local destructor after this thread's heap
    /// was destroyed, or from inside `Trace::trace`; and resumes the panic of a
    /// `Trace::trace` impl that panicked in the collection this allocation
    /// started (the new `Gc` is then dropped by the unwinding).
    #[inline]
    pub fn new(value: T) -> Gc<T> {
        with_sized_slot::<T, _>(move |slot| {
            let ptr = box_ptr::<T>(&slot);
            // SAFETY: the slot is reserved for us, unpublished, and sized and
            // aligned for `GcBox<T>` (`with_sized_slot`). Moving the value in
            // runs no user code.
            unsafe {
                GcHeader::init(slot.ptr, &SizedVTable::<T>::VTABLE, 1, 0, false);
                (&raw mut (*ptr.as_ptr()).value).write(value);
            }
            slot.publish(T::NEEDS_DROP);
            Gc {
                ptr,
                _owns: PhantomData,
            }
        })
    }

    /// Builds a value that holds a weak reference to itself.
    ///
    /// `data_fn` receives a [`Weak`] to the object being built; upgrading it
    /// returns `None` until `new_cyclic` returns. As with
    /// [`Rc::new_cyclic`](std::rc::Rc::new_cyclic).
    ///
    /// # Examples
    ///
    /// ```
    /// use rudo_gc::{Gc, Trace, Weak};
    ///
    /// #[derive(Trace)]
    /// struct Me {
    ///     me: Weak<Me>,
    /// }
    ///
    /// let me = Gc::new_cyclic(|weak| Me { me: weak.clone() });
    /// assert!(Gc::ptr_eq(&me.me.upgrade().unwrap(), &me));
    /// ```
    pub fn new_cyclic<F: FnOnce(&Weak<T>) -> T>(data_fn: F) -> Gc<T> {
        // The object is published `DEAD` (so collections leave it alone and
        // upgrades fail) with two weak counts: one for the `Weak` handed to
        // `data_fn`, one held by construction so that the slot survives even
        // if `data_fn` drops every `Weak`. Its `drop` bit stays clear until
        // the value exists.
        let ptr = with_sized_slot::<T, _>(|slot| {
            let ptr = box_ptr::<T>(&slot);
            // SAFETY: as in `new`.
            unsafe { GcHeader::init(slot.ptr, &SizedVTable::<T>::VTABLE, 0, 2, true) };
            slot.publish(false);
            // SAFETY: `ptr` is the slot's raw pointer, with the page's provenance.
            unsafe { GcHeader::note_weak(ptr.cast()) };
            ptr
        });
        // SAFETY: the header is initialised and allocated.
        let header = unsafe { GcHeader::from_ptr(ptr.cast()) };

        /// If `data_fn` unwinds: gives back construction's weak count and
        /// hands the valueless slot to the collector as a pending object, to
        /// be freed once the last `Weak` is gone.
        struct Construction<'a>(&'a GcHeader, NonNull<u8>);
        impl Drop for Construction<'_> {
            fn drop(&mut self) {
                crate::mutator::op(true, || {
                    // SAFETY: the slot is allocated (it holds our header).
                    let page = unsafe { PagePtr::of_object(self.1) };
                    page.set_pending_bit(page.slot_index(self.1));
                    self.0.dec_weak();
                });
            }
        }

        let construction = Construction(header, ptr.cast());
        let weak = Weak::from_box(ptr);
        let value = data_fn(&weak);
        core::mem::forget(construction);
        crate::mutator::op(false, || {
            // SAFETY: the slot is ours; nobody reads the value while `DEAD`,
            // and collections leave the object alone until `set_built`.
            unsafe { (&raw mut (*ptr.as_ptr()).value).write(value) };
            // SAFETY: the slot is allocated, with the page's provenance.
            let page = unsafe { PagePtr::of_object(ptr.cast()) };
            if T::NEEDS_DROP {
                page.set_drop_bit(page.slot_index(ptr.cast()));
            }
            header.set_built();
            header.dec_weak();
        });
        drop(weak);
        Gc {
            ptr,
            _owns: PhantomData,
        }
    }
}

impl<T: Trace> Gc<[T]> {
    /// Moves the elements of `vec` into a GC slice.
    fn from_vec(mut vec: Vec<T>) -> Gc<[T]> {
        let len = vec.len();
        let layout = GcBox::<[T]>::layout_with_trailer(len).unwrap_or_else(|| {
            panic!("rudo-gc: a Gc<[T]> of {len} elements does not fit in the address space")
        });
        let fat = with_layout_slot(layout, |slot| {
            let fat = core::ptr::slice_from_raw_parts_mut(slot.ptr.as_ptr().cast::<T>(), len)
                as *mut GcBox<[T]>;
            // SAFETY: the slot is reserved for us and large enough for the box
            // and the trailer (`layout_with_trailer`); the elements are moved
            // out of the vector, whose length is then set to zero so it frees
            // only its buffer (after the operation).
            unsafe {
                GcHeader::init(slot.ptr, &SliceVTable::<T>::VTABLE, 1, 0, false);
                write_len(slot.ptr.cast(), slot.size(), len);
                core::ptr::copy_nonoverlapping(
                    vec.as_ptr(),
                    (&raw mut (*fat).value).cast::<T>(),
                    len,
                );
                vec.set_len(0);
            }
            slot.publish(T::NEEDS_DROP);
            fat
        });
        Gc::from_counted(NonNull::new(fat).expect("slot addresses are never null"))
    }
}

impl Gc<str> {
    fn from_str(s: &str) -> Gc<str> {
        let len = s.len();
        let layout = GcBox::<[u8]>::layout_with_trailer(len).unwrap_or_else(|| {
            panic!("rudo-gc: a Gc<str> of {len} bytes does not fit in the address space")
        });
        let fat = with_layout_slot(layout, |slot| {
            let bytes = core::ptr::slice_from_raw_parts_mut(slot.ptr.as_ptr(), len);
            let fat = bytes as *mut GcBox<str>;
            // SAFETY: as in `from_vec`; `s` is valid UTF-8, so the copied
            // bytes are.
            unsafe {
                GcHeader::init(slot.ptr, &STR_VTABLE, 1, 0, false);
                write_len(slot.ptr.cast(), slot.size(), len);
                core::ptr::copy_nonoverlapping(
                    s.as_ptr(),
                    (&raw mut (*fat).value).cast::<u8>(),
                    len,
                );
            }
            slot.publish(false);
            fat
        });
        Gc::from_counted(NonNull::new(fat).expect("slot addresses are never null"))
    }
}

impl<T: ?Sized + 'static> Gc<T> {
    /// Creates a [`Weak`] pointer to this object.
    pub fn downgrade(this: &Gc<T>) -> Weak<T> {
        this.header().inc_weak();
        // SAFETY: `this.ptr` is the object's raw pointer, with the page's
        // provenance.
        unsafe { GcHeader::note_weak(this.ptr.cast()) };
        Weak::from_box(this.ptr)
    }

    /// Whether two `Gc`s point to the same object (like [`Rc::ptr_eq`](std::rc::Rc::ptr_eq)).
    pub fn ptr_eq(this: &Gc<T>, other: &Gc<T>) -> bool {
        this.ptr.cast::<u8>() == other.ptr.cast::<u8>()
    }

    /// The address of the value. Identity only: the pointer must not be used
    /// to reach the value once every `Gc` to it is gone.
    pub fn as_ptr(this: &Gc<T>) -> *const T {
        // SAFETY: the box is allocated while `this` exists.
        unsafe { &raw const (*this.ptr.as_ptr()).value }
    }

    /// Number of `Gc`s pointing to this object.
    pub fn ref_count(this: &Gc<T>) -> usize {
        this.header().strong() as usize
    }

    /// Number of [`Weak`]s pointing to this object.
    pub fn weak_count(this: &Gc<T>) -> usize {
        this.header().weak() as usize
    }

    /// The object's box pointer (with the page's provenance).
    pub(crate) fn box_ptr(this: &Gc<T>) -> NonNull<GcBox<T>> {
        this.ptr
    }

    /// A new `Gc` to the live object at `ptr`, counting one more reference.
    pub(crate) fn from_box(ptr: NonNull<GcBox<T>>) -> Gc<T> {
        // SAFETY: callers pass the box of a live (rooted) object.
        unsafe { GcHeader::from_ptr(ptr.cast()) }.inc_strong();
        Gc::from_counted(ptr)
    }

    /// Wraps a pointer whose strong count the caller already incremented.
    pub(crate) fn from_counted(ptr: NonNull<GcBox<T>>) -> Gc<T> {
        Gc {
            ptr,
            _owns: PhantomData,
        }
    }

    #[inline(always)]
    pub(crate) fn header(&self) -> &GcHeader {
        // SAFETY: a `Gc` keeps its object allocated.
        unsafe { GcHeader::from_ptr(self.ptr.cast()) }
    }

    #[inline(always)]
    pub(crate) fn header_ptr(&self) -> NonNull<GcHeader> {
        self.ptr.cast()
    }
}

impl<T: ?Sized + 'static> core::ops::Deref for Gc<T> {
    type Target = T;

    /// # Panics
    ///
    /// Panics if the object is dead: only possible from the `Drop` impl of a
    /// `#[gc(unsafe_drop)]` type whose `Gc` field points to an object that
    /// died in the same collection (checked in every build).
    #[inline(always)]
    #[track_caller]
    fn deref(&self) -> &T {
        self.header().assert_alive();
        // SAFETY: a `Gc` keeps its object allocated. The value is initialised
        // unless a collection found the object dead, and every dead object a
        // `Gc` can still reach is flagged `DEAD` before its value is dropped
        // (`header` rule 2), which the check above turned into a panic.
        unsafe { &(*self.ptr.as_ptr()).value }
    }
}

impl<T: ?Sized + 'static> Clone for Gc<T> {
    #[inline]
    fn clone(&self) -> Gc<T> {
        self.header().inc_strong();
        Gc {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T: ?Sized + 'static> Drop for Gc<T> {
    #[inline]
    fn drop(&mut self) {
        // A heap operation: a collection must not see the count between its
        // snapshot and its fix-up change under it. On a thread whose record
        // is gone, the count leaks (`mutator::current`, "An exited thread's
        // releases leak").
        mutator::release(|| self.header().dec_strong());
    }
}

impl<T: Trace> From<Vec<T>> for Gc<[T]> {
    fn from(vec: Vec<T>) -> Self {
        Gc::from_vec(vec)
    }
}

impl<T: Trace + Clone> From<&[T]> for Gc<[T]> {
    fn from(slice: &[T]) -> Self {
        Gc::from_vec(slice.to_vec())
    }
}

impl<T: Trace> FromIterator<T> for Gc<[T]> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Gc::from_vec(iter.into_iter().collect())
    }
}

impl From<&str> for Gc<str> {
    fn from(s: &str) -> Self {
        Gc::from_str(s)
    }
}

impl From<String> for Gc<str> {
    fn from(s: String) -> Self {
        Gc::from_str(&s)
    }
}

impl<T: Trace> From<T> for Gc<T> {
    fn from(value: T) -> Self {
        Gc::new(value)
    }
}

impl<T: Trace + Default> Default for Gc<T> {
    fn default() -> Self {
        Gc::new(T::default())
    }
}
