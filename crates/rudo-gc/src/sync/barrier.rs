//! The two halves of the handshake's Dekker pair: the fence a mutator runs
//! when it enters a heap operation, and the one a collector runs when it
//! stops the world.
//!
//! Portable version: both sides run a `SeqCst` fence. Linux version (not
//! under Miri or `loom`): the process registers for
//! `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` once; then a mutator only
//! needs a *compiler* fence, because the collector's `membarrier` call makes
//! every running thread of the process execute a full memory barrier (the
//! asymmetric fence of Linux RCU and folly's `asymmetricHeavyBarrier`). The
//! mutator's fence is the hot one: it runs on every `Gc` drop and allocation.
//!
//! Rule: the collector always runs the heavy barrier the process registered
//! for, so a mutator may use either fence at any time (the full fence is
//! never wrong). The choice is made once per process ([`light_available`])
//! and cached per mutator.

use super::{Ordering, compiler_fence, fence};

/// Whether the light mutator fence may be used: `membarrier` registration
/// succeeded. Decided once, by the first caller.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn light_available() -> bool {
    #[cfg(all(target_os = "linux", not(miri), not(loom)))]
    {
        static LIGHT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *LIGHT.get_or_init(|| {
            std::env::var_os("RUDO_GC_NO_MEMBARRIER").is_none()
                && linux::registered_early().unwrap_or_else(linux::register)
        })
    }
    #[cfg(not(all(target_os = "linux", not(miri), not(loom))))]
    {
        false
    }
}

/// Whether the process registered for `membarrier` before `main` (false
/// where it does not use it, or registered on first use instead).
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn registered_before_main() -> bool {
    #[cfg(all(target_os = "linux", not(miri), not(loom)))]
    {
        linux::registered_early() == Some(true)
    }
    #[cfg(not(all(target_os = "linux", not(miri), not(loom))))]
    {
        false
    }
}

/// The mutator's half: orders its `in_op` store before its `collecting` load.
#[inline(always)]
pub(crate) fn mutator_fence(light: bool) {
    if light {
        compiler_fence(Ordering::SeqCst);
    } else {
        fence(Ordering::SeqCst);
    }
}

/// The collector's half: orders its `collecting` store before its `in_op`
/// loads, for mutators using either fence.
pub(crate) fn collector_fence() {
    fence(Ordering::SeqCst);
    #[cfg(all(target_os = "linux", not(miri), not(loom)))]
    if light_available() {
        linux::heavy_barrier();
    }
}

#[cfg(all(target_os = "linux", not(miri), not(loom)))]
mod linux {
    use core::sync::atomic::{AtomicU8, Ordering::Relaxed};

    /// `MEMBARRIER_CMD_PRIVATE_EXPEDITED` (Linux 4.14, `linux/membarrier.h`).
    const CMD_PRIVATE_EXPEDITED: libc::c_int = 1 << 3;
    /// `MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED`.
    const CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_int = 1 << 4;

    fn membarrier(cmd: libc::c_int) -> libc::c_long {
        // SAFETY: `membarrier(cmd, flags = 0, cpu_id = 0)` takes no pointers;
        // an unsupported command fails with an error code.
        unsafe {
            libc::syscall(
                libc::SYS_membarrier,
                cmd,
                0 as libc::c_uint,
                0 as libc::c_int,
            )
        }
    }

    /// Registers the process for expedited private barriers; false when the
    /// kernel (or a seccomp filter) refuses.
    pub(super) fn register() -> bool {
        membarrier(CMD_REGISTER_PRIVATE_EXPEDITED) == 0
    }

    /// What the registration before `main` found: 0 did not run (or was
    /// skipped by `RUDO_GC_NO_MEMBARRIER`), 1 registered, 2 refused.
    /// Relaxed: written once before `main`, before any thread exists, and
    /// thread creation orders it before every later read.
    static EARLY: AtomicU8 = AtomicU8::new(0);

    /// The outcome of the registration before `main`, if it ran.
    pub(super) fn registered_early() -> Option<bool> {
        match EARLY.load(Relaxed) {
            1 => Some(true),
            2 => Some(false),
            _ => None,
        }
    }

    /// Registration costs microseconds while the process has one thread and
    /// a grace period (`synchronize_rcu`, 8-15 ms measured) once it has
    /// more: a tokio runtime's workers usually exist before the first heap
    /// operation. So the process registers before `main`, from its
    /// constructor list, while it is still single-threaded (about 20 us,
    /// paid by every process that links the crate; `light_available` falls
    /// back to registering on first use where constructors do not run).
    extern "C" fn register_early() {
        // SAFETY: a NUL-terminated name; before `main` no other thread can
        // be changing the environment.
        let opted_out = !unsafe { libc::getenv(c"RUDO_GC_NO_MEMBARRIER".as_ptr()) }.is_null();
        if !opted_out {
            EARLY.store(if register() { 1 } else { 2 }, Relaxed);
        }
    }

    // SAFETY (of the attribute): `.init_array` entries are called once, with
    // the C calling convention, before `main` (or when a shared object is
    // loaded); `register_early` has that signature (the arguments the loader
    // passes may be ignored), touches only an atomic and a syscall, and
    // cannot unwind.
    #[used]
    #[unsafe(link_section = ".init_array")]
    static REGISTER_EARLY: extern "C" fn() = register_early;

    /// A full memory barrier on every running thread of the process.
    pub(super) fn heavy_barrier() {
        if membarrier(CMD_PRIVATE_EXPEDITED) != 0 {
            // Registration succeeded, so this cannot fail short of a kernel
            // bug; mutators rely on it, so continuing would be unsound.
            eprintln!("rudo-gc: membarrier(PRIVATE_EXPEDITED) failed after registration; aborting");
            std::process::abort();
        }
    }
}
