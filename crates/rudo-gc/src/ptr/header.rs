//! The 16-byte object header every GC object starts with.
//!
//! ```text
//!  GcBox<T> (repr(C), 16-aligned slot)
//!  +----------------------+--------------+---------------------+----------------+
//!  | vtable: *const VTable | strong: u32  | weak_flags: u32     | value: T ...   |
//!  +----------------------+--------------+---------------------+----------------+
//!  0                      8              12                    16 (or align_of::<T>())
//!
//!  weak_flags:  bit 31        DEAD  (value dropped or being dropped, or never built)
//!               bits 0..=30   weak count
//! ```
//!
//! Mark, young and allocated state live in page bitmaps, not here.
//!
//! Counting rules (see `docs/architecture.md`, "Roots"):
//!
//! 1. Every `Gc<T>` value holds one unit of `strong`; every `Weak<T>` one unit
//!    of the weak count. Reaching zero frees nothing: only a collection frees.
//! 2. `DEAD` is set by a collection (on every object it found unreachable,
//!    before any value is dropped) and by `Gc::new_cyclic` while the value is
//!    under construction. A `DEAD` object is never traced, never upgraded and
//!    never dropped twice. Its slot is kept while the weak count is non-zero.

use core::ptr::NonNull;

use super::vtable::VTable;
use crate::sync::raw::{AtomicPtr, AtomicU32, Ordering::Relaxed};

/// `weak_flags` bit: the object is dead (see rule 2).
const DEAD: u32 = 1 << 31;
/// Mask of the weak count in `weak_flags`.
const WEAK_MASK: u32 = DEAD - 1;
/// Counts above this abort the process, as `Rc`/`Arc` do on overflow.
const MAX_COUNT: u32 = WEAK_MASK - 1;

/// The object header.
#[repr(C)]
pub(crate) struct GcHeader {
    vtable: AtomicPtr<VTable>,
    strong: AtomicU32,
    weak_flags: AtomicU32,
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
        self.strong.load(Relaxed)
    }

    /// Adds one strong reference.
    ///
    /// Relaxed: like `Arc::clone`, the new reference is derived from an
    /// existing one, so no other memory needs to be ordered with it; a
    /// collection synchronises with mutators through the heap operation
    /// protocol, not through the counts.
    #[inline(always)]
    pub(crate) fn inc_strong(&self) {
        let old = self.strong.fetch_add(1, Relaxed);
        if old > MAX_COUNT {
            count_overflow();
        }
    }

    /// Removes one strong reference (never frees; rule 1).
    #[inline(always)]
    pub(crate) fn dec_strong(&self) {
        let old = self.strong.fetch_sub(1, Relaxed);
        debug_assert!(old > 0, "rudo-gc: strong count underflow");
    }

    /// Sets the strong count (construction only).
    pub(crate) fn set_strong(&self, n: u32) {
        self.strong.store(n, Relaxed);
    }

    /// Weak count.
    #[inline(always)]
    pub(crate) fn weak(&self) -> u32 {
        self.weak_flags.load(Relaxed) & WEAK_MASK
    }

    /// Adds one weak reference.
    #[inline]
    pub(crate) fn inc_weak(&self) {
        let old = self.weak_flags.fetch_add(1, Relaxed);
        if old & WEAK_MASK > MAX_COUNT {
            count_overflow();
        }
    }

    /// Removes one weak reference.
    #[inline]
    pub(crate) fn dec_weak(&self) {
        let old = self.weak_flags.fetch_sub(1, Relaxed);
        debug_assert!(old & WEAK_MASK > 0, "rudo-gc: weak count underflow");
    }

    /// Whether the object is dead (rule 2).
    #[inline(always)]
    pub(crate) fn is_dead(&self) -> bool {
        self.weak_flags.load(Relaxed) & DEAD != 0
    }

    /// Flags the object dead.
    pub(crate) fn set_dead(&self) {
        self.weak_flags.fetch_or(DEAD, Relaxed);
    }

    /// Clears the dead flag (end of `Gc::new_cyclic`).
    pub(crate) fn clear_dead(&self) {
        self.weak_flags.fetch_and(!DEAD, Relaxed);
    }

    /// Writes a fresh header into an allocated slot with atomic stores (a
    /// concurrent lookup may read the slot's previous header).
    ///
    /// # Safety
    ///
    /// `slot` must be a reserved, unpublished slot of at least 16 bytes,
    /// 16-aligned, that the caller may write.
    #[inline(always)]
    pub(crate) unsafe fn init(slot: NonNull<u8>, vtable: &'static VTable, strong: u32, weak: u32, dead: bool) {
        let p = slot.cast::<GcHeader>().as_ptr();
        // SAFETY: caller contract; `from_ptr` gives atomic access to the field
        // memory, which is aligned and inside the slot.
        unsafe {
            AtomicPtr::from_ptr(&raw mut (*p).vtable as *mut *mut VTable)
                .store(vtable as *const VTable as *mut VTable, Relaxed);
            AtomicU32::from_ptr(&raw mut (*p).strong as *mut u32).store(strong, Relaxed);
            AtomicU32::from_ptr(&raw mut (*p).weak_flags as *mut u32)
                .store(weak | if dead { DEAD } else { 0 }, Relaxed);
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

#[cold]
#[inline(never)]
fn count_overflow() -> ! {
    // Like `Rc` and `Arc`: a count this large means references are being
    // leaked in a loop (`mem::forget`), and wrapping would free live objects.
    eprintln!("rudo-gc: reference count overflow; aborting");
    std::process::abort()
}
