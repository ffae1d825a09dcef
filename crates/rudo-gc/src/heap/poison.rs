//! AddressSanitizer poisoning of free slots.
//!
//! ASan sees the heap's chunks as single `malloc`ed blocks: a read of a
//! freed slot inside a live chunk would look like an ordinary access. Built
//! with `--cfg rudo_asan` (what `cargo xtask sanitize` does, together with
//! `-Zsanitizer=address`), the heap tells ASan which bytes are free slots:
//! a fresh small page's slots are poisoned, a slot is unpoisoned when it is
//! handed out and poisoned again when it is freed, and a page is unpoisoned
//! whole before it is cut for another size class or returned to the system.
//! Any access to a free slot is then reported as a use-after-poison, with
//! the stack of the access.
//!
//! Without the cfg every function here is empty and compiles away.
//!
//! Rule: poisoning follows the allocated bit. A slot is poisoned exactly
//! when it is in a small page and its allocated bit is clear (a slot handed
//! out by a cache but not published yet is unpoisoned: its header is being
//! written).

#[cfg(rudo_asan)]
mod asan {
    use core::ffi::c_void;

    // SAFETY: the ASan runtime's public interface
    // (`sanitizer/asan_interface.h`), linked in by `-Zsanitizer=address`;
    // these signatures are the header's.
    unsafe extern "C" {
        pub(super) fn __asan_poison_memory_region(addr: *const c_void, size: usize);
        pub(super) fn __asan_unpoison_memory_region(addr: *const c_void, size: usize);
    }
}

/// Marks `len` bytes at `ptr` as free: ASan reports any access to them.
#[inline(always)]
pub(crate) fn poison(ptr: *const u8, len: usize) {
    #[cfg(rudo_asan)]
    // SAFETY: poisoning only changes ASan's shadow memory; `ptr..ptr + len`
    // lies in a chunk the heap owns (callers pass slots and pages).
    unsafe {
        asan::__asan_poison_memory_region(ptr.cast(), len);
    }
    #[cfg(not(rudo_asan))]
    let _ = (ptr, len);
}

/// Marks `len` bytes at `ptr` as usable again.
#[inline(always)]
pub(crate) fn unpoison(ptr: *const u8, len: usize) {
    #[cfg(rudo_asan)]
    // SAFETY: as for `poison`.
    unsafe {
        asan::__asan_unpoison_memory_region(ptr.cast(), len);
    }
    #[cfg(not(rudo_asan))]
    let _ = (ptr, len);
}
