//! A hint to the processor that a slot is about to be written.
//!
//! The allocation fast path writes a header into a slot that was freed by
//! the last collection without being touched (bitmap operations only), so
//! by the time it is handed out again its line has usually left the core's
//! caches: `perf annotate` on binary-trees put 45% of the allocation path's
//! samples on the first store of the header. Handing out a slot therefore
//! asks for the line `PREFETCH_AHEAD` (256) bytes further on, a few
//! allocations ahead, so that its miss overlaps the work the program does
//! in between. Asking for the exact next free slot was tried: one
//! allocation ahead is too late to hide the miss (the kept distance ran
//! binary-trees in 0.95x its time; command and figures in
//! `docs/benchmarks.md`, "Third session"). The address may lie past the
//! page or a free slot's line may hold live objects: either is harmless for
//! a hint.
//!
//! The hint is `T0` (into every cache level), not the write-intent
//! `PREFETCHW`: that one is not part of the x86-64 baseline. The line
//! arrives shared and the store still upgrades it, which costs far less
//! than the miss.
//!
//! A prefetch is not a memory access: it cannot fault, reads nothing the
//! program sees, and is ignored where the target has no such instruction
//! (and under Miri, which does not model it).

/// Asks for the cache line holding `ptr`, to be written soon.
#[inline(always)]
pub(crate) fn for_write(ptr: *const u8) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    // SAFETY: `_mm_prefetch` only hints the cache; it is defined for every
    // address, mapped or not, and SSE is part of the x86-64 baseline.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(ptr.cast());
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    let _ = ptr;
}
