//! The 16-byte object header every GC object starts with.
//!
//! ```text
//!  GcBox<T> (repr(C), in a slot aligned to 8 or to T)
//!  +-----------------------+-------------------+-------------+----------------+
//!  | vtable: *const VTable | strong_flags: u32 | weak: u32   | value: T ...   |
//!  +-----------------------+-------------------+-------------+----------------+
//!  0                       8                   12            16 (or align_of::<T>())
//!
//!  strong_flags:  bit 31        DEAD  (value dropped or being dropped, or never built)
//!                 bits 0..=30   strong count
//! ```
//!
//! Mark, young and allocated state live in page bitmaps, not here.
//!
//! Counting rules (see `docs/architecture.md`, "Roots"):
//!
//! 1. Every `Gc<T>` value holds one unit of `strong`; every `Weak<T>` one unit
//!    of the weak count. Reaching zero frees nothing: only a collection frees.
//! 2. `DEAD` is set by a collection, before any value is dropped, on every
//!    object it found unreachable that anything could still reach: a dead
//!    object a `Weak` was ever made to (page bit `weak`), or one that a dead
//!    object with a destructor refers to (that destructor may touch it). The
//!    other dead objects are reachable by nothing at all. `Gc::new_cyclic`
//!    also sets it while the value is under construction. A `DEAD` object is
//!    never traced, never upgraded and never dropped twice; dereferencing,
//!    cloning or rooting it in a handle is a checked panic in every build
//!    ([`dead_object_panic`]). Its slot is kept while a count is non-zero.
//! 3. `DEAD` shares a word with the strong count because nothing else writes
//!    that word of a dead object: a `Gc` held anywhere outside the dead set
//!    would have made it a root. So the collector sets the flag with a plain
//!    store, and upgrades test it with the same load that reads the count.

use core::ptr::NonNull;

use super::vtable::VTable;
use crate::heap::page::PagePtr;
use crate::sync::raw::{AtomicPtr, AtomicU32, Ordering::Relaxed};

/// `strong_flags` bit: the object is dead (see rule 2).
const DEAD: u32 = 1 << 31;
/// Mask of the strong count in `strong_flags`.
const STRONG_MASK: u32 = DEAD - 1;
/// Counts above this abort the process, as `Rc`/`Arc` do on overflow.
const MAX_COUNT: u32 = STRONG_MASK - 1;

/// The object header.
#[repr(C)]
pub(crate) struct GcHeader {
    vtable: AtomicPtr<VTable>,
    strong_flags: AtomicU32,
    weak: AtomicU32,
}

const _: () = assert!(core::mem::size_of::<GcHeader>() == 16);

impl GcHeader {
    /// The object's vtable.
    #[inline(always)]
    pub(crate) fn vtable(&self) -> &'static VTable {
        // SAFETY: the field is only ever set from a `&'static VTable` (in `new`).
        unsafe { &*self.vtable.load(Relaxed) }
    }

    /// Strong count.
    #[inline(always)]
    pub(crate) fn strong(&self) -> u32 {
        self.strong_flags.load(Relaxed) & STRONG_MASK
    }

    /// Adds one strong reference.
    ///
    /// Relaxed: like `Arc::clone`, the new reference is derived from an
    /// existing one, so no other memory needs to be ordered with it; a
    /// collection synchronises with mutators through the heap operation
    /// protocol, not through the counts.
    ///
    /// # Panics
    ///
    /// Panics if the object is `DEAD` (rule 2), after taking the reference
    /// back. One comparison covers both that and the overflow check, since
    /// `DEAD` is the top bit.
    #[inline(always)]
    pub(crate) fn inc_strong(&self) {
        let old = self.strong_flags.fetch_add(1, Relaxed);
        if old > MAX_COUNT {
            self.inc_strong_failed(old);
        }
    }

    #[cold]
    #[inline(never)]
    fn inc_strong_failed(&self, old: u32) -> ! {
        if old & DEAD != 0 {
            self.strong_flags.fetch_sub(1, Relaxed);
            dead_object_panic();
        }
        count_overflow()
    }

    /// Panics if the object is `DEAD` (rule 2): the check every
    /// dereference makes, in every build.
    #[inline(always)]
    pub(crate) fn assert_alive(&self) {
        if self.is_dead() {
            dead_object_panic();
        }
    }

    /// Removes one strong reference (never frees; rule 1). Returns whether
    /// that was the last one (the scheduling hint of `gc::config`,
    /// "Evidence of acyclic garbage").
    #[inline(always)]
    pub(crate) fn dec_strong(&self) -> bool {
        let old = self.strong_flags.fetch_sub(1, Relaxed);
        debug_assert!(old & STRONG_MASK > 0, "rudo-gc: strong count underflow");
        old & STRONG_MASK == 1
    }

    /// Removes `n` strong references at once (the collector giving back what
    /// dead objects held).
    #[inline]
    pub(crate) fn sub_strong(&self, n: u32) {
        let old = self.strong_flags.fetch_sub(n, Relaxed);
        debug_assert!(old & STRONG_MASK >= n, "rudo-gc: strong count underflow");
    }

    /// Finishes `Gc::new_cyclic`: one strong reference, not dead. Nothing
    /// else writes the word meanwhile (rule 3: upgrades fail while `DEAD`).
    pub(crate) fn set_built(&self) {
        self.strong_flags.store(1, Relaxed);
    }

    /// Weak count.
    #[inline(always)]
    pub(crate) fn weak(&self) -> u32 {
        self.weak.load(Relaxed)
    }

    /// Adds one weak reference.
    #[inline]
    pub(crate) fn inc_weak(&self) {
        let old = self.weak.fetch_add(1, Relaxed);
        if old > MAX_COUNT {
            count_overflow();
        }
    }

    /// Removes one weak reference.
    #[inline]
    pub(crate) fn dec_weak(&self) {
        let old = self.weak.fetch_sub(1, Relaxed);
        debug_assert!(old > 0, "rudo-gc: weak count underflow");
    }

    /// Records in the page that the object at `object` has a weak reference
    /// (so that a collection that finds it dead flags it and checks its weak
    /// count).
    ///
    /// Takes the raw object pointer, not `&self`: the page header lies outside
    /// a reference's borrow, so it must be reached with the allocation's own
    /// provenance.
    ///
    /// # Safety
    ///
    /// `object` must point to a live object header in a heap page, with the
    /// provenance of the page's allocation.
    #[inline]
    pub(crate) unsafe fn note_weak(object: NonNull<u8>) {
        // SAFETY: caller contract.
        let page = unsafe { PagePtr::of_object(object) };
        page.set_weak_bit(page.slot_index(object));
    }

    /// Whether the object is dead (rule 2).
    #[inline(always)]
    pub(crate) fn is_dead(&self) -> bool {
        self.strong_flags.load(Relaxed) & DEAD != 0
    }

    /// Flags an object the collector found dead. A plain store (rule 3).
    #[inline(always)]
    pub(crate) fn set_dead(&self) {
        let v = self.strong_flags.load(Relaxed);
        self.strong_flags.store(v | DEAD, Relaxed);
    }

    /// Writes a fresh header into an allocated slot with atomic stores (a
    /// concurrent lookup may read the slot's previous header).
    ///
    /// # Safety
    ///
    /// `slot` must be a reserved, unpublished slot of at least 16 bytes,
    /// 8-aligned, that the caller may write.
    #[inline(always)]
    pub(crate) unsafe fn init(
        slot: NonNull<u8>,
        vtable: &'static VTable,
        strong: u32,
        weak: u32,
        dead: bool,
    ) {
        let p = slot.cast::<GcHeader>().as_ptr();
        // SAFETY: caller contract; `from_ptr` gives atomic access to the field
        // memory, which is aligned and inside the slot.
        unsafe {
            AtomicPtr::from_ptr(&raw mut (*p).vtable as *mut *mut VTable)
                .store(vtable as *const VTable as *mut VTable, Relaxed);
            AtomicU32::from_ptr(&raw mut (*p).strong_flags as *mut u32)
                .store(strong | if dead { DEAD } else { 0 }, Relaxed);
            AtomicU32::from_ptr(&raw mut (*p).weak as *mut u32).store(weak, Relaxed);
        }
    }

    /// The header at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to an initialised object header that stays allocated
    /// for `'a`.
    #[inline(always)]
    pub(crate) unsafe fn from_ptr<'a>(ptr: NonNull<u8>) -> &'a GcHeader {
        // SAFETY: caller contract; the header consists of atomics only, so a
        // shared reference is valid even while other threads update it.
        unsafe { ptr.cast::<GcHeader>().as_ref() }
    }
}

/// The panic for a use of an object the collector found dead (rule 2).
#[cold]
#[inline(never)]
#[track_caller]
pub(crate) fn dead_object_panic() -> ! {
    panic!(
        "rudo-gc: a Gc to an object the collector found dead was dereferenced, cloned or put \
         in a handle. This happens in the `Drop` impl of a `#[gc(unsafe_drop)]` type that uses \
         a `Gc` field whose target died in the same collection (the objects of a garbage cycle \
         are destroyed in no particular order); a destructor may drop its `Gc` fields, but not \
         use them."
    )
}

#[cold]
#[inline(never)]
fn count_overflow() -> ! {
    // Like `Rc` and `Arc`: a count this large means references are being
    // leaked in a loop (`mem::forget`), and wrapping would free live objects.
    eprintln!("rudo-gc: reference count overflow; aborting");
    std::process::abort()
}
