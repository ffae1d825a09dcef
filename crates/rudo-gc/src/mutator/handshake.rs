//! The heap-operation handshake between mutators and the collector
//! (architecture, section 4), as a state machine.
//!
//! ```text
//!  mutator                                   collector (one at a time)
//!  -------                                   ---------
//!  IDLE                                      RUNNING
//!   | enter: in_op = 1; FENCE                 | stop: collecting = 1; FENCE
//!   |        collecting?  -- yes --> WAIT      |       for each mutator: wait until in_op == 0
//!   |                                  |       v
//!   v                                  |     STOPPED: no mutator is in an operation,
//!  IN_OP: a few instructions,          |       none can enter one; the collector
//!   |     never user code, never       |       reads and writes counts, bitmaps,
//!   |     blocking on a user lock      |       handle slots and thread heaps
//!   | exit: in_op = 0 (Release)        |       | release: collecting = 0 (Release);
//!   v                                  |       |          open the gate
//!  IDLE   <-- gate opens, retry enter -+       v
//!                                            RUNNING
//! ```
//!
//! Why it is safe: the two FENCEs form a Dekker pair (`SeqCst` fences, or a
//! compiler fence on the mutator's side paired with `membarrier` on the
//! collector's; see `sync::barrier`). Either the collector's load sees
//! `in_op == 1` and waits for the operation to finish, or the mutator's load
//! sees `collecting == 1` and backs out before touching anything. So no heap
//! operation overlaps the collector's STOPPED phase.
//!
//! Visibility: a mutator's `in_op = 0` (Release) is read by the collector's
//! wait (Acquire), so everything an operation wrote is visible to the
//! collector; the collector's `collecting = 0` (Release) is read by the
//! mutator's check (Acquire), so everything the collector wrote is visible to
//! the next operation.
//!
//! Progress: an operation never blocks on anything a collector holds while
//! it waits (operations take only internal locks the collector takes after
//! the wait, never user locks), so the collector's wait is bounded by the
//! length of one operation per thread.
//!
//! **Mutator sections** (`roots::MutatorSection`) are a second, long
//! operation: `in_section` is entered and left with the same protocol as
//! `in_op` (same fences, same Dekker pair), and the collector waits for both
//! flags. While `in_section` is set, the thread's own operations cannot
//! find the world stopped (a collector waits for the section), so when
//! `try_enter` fails because a collector is stopping the world they enter
//! anyway ([`enter_in_section`](World::enter_in_section)) instead of waiting
//! for a collector that waits for them. The collector's wait is then bounded
//! by the thread's next safepoint, not by one operation: that is the cost a
//! section documents.

use crate::sync::{AtomicBool, Gate, Ordering, backoff, barrier};

/// A mutator's half of the handshake: whether it is inside a heap operation.
pub(crate) struct OpFlag {
    in_op: AtomicBool,
    /// Inside a mutator section (module docs); only its thread writes it.
    in_section: AtomicBool,
}

impl OpFlag {
    /// A mutator outside any operation.
    #[cfg(not(loom))]
    pub(crate) const fn new() -> OpFlag {
        OpFlag {
            in_op: AtomicBool::new(false),
            in_section: AtomicBool::new(false),
        }
    }

    /// A mutator outside any operation (`loom` model).
    #[cfg(loom)]
    pub(crate) fn new() -> OpFlag {
        OpFlag {
            in_op: AtomicBool::new(false),
            in_section: AtomicBool::new(false),
        }
    }
}

/// The collector's half: the `collecting` flag and the gate mutators wait at
/// while it is set.
pub(crate) struct World {
    collecting: AtomicBool,
    gate: Gate,
    /// Mutators inside [`wait`](World::wait): the collector paces itself
    /// when it blocked some (`gc::collector::pace`).
    #[cfg(not(loom))]
    waiting: crate::sync::raw::AtomicUsize,
}

impl World {
    /// A running world (usable in a `static`).
    #[cfg(not(loom))]
    pub(crate) const fn new() -> World {
        World {
            collecting: AtomicBool::new(false),
            gate: Gate::new(),
            waiting: crate::sync::raw::AtomicUsize::new(0),
        }
    }

    /// A running world (`loom` model).
    #[cfg(loom)]
    pub(crate) fn new() -> World {
        World {
            collecting: AtomicBool::new(false),
            gate: Gate::new(),
        }
    }

    /// Tries to enter a heap operation; false if a collection is stopping or
    /// has stopped the world (call [`wait`](World::wait), then retry).
    /// `light` selects the mutator fence (`sync::barrier`).
    #[inline(always)]
    pub(crate) fn try_enter(&self, flag: &OpFlag, light: bool) -> bool {
        debug_assert!(
            !flag.in_op.load(Ordering::Relaxed),
            "rudo-gc: heap operations do not nest"
        );
        self.try_raise(&flag.in_op, light)
    }

    /// The mutator's half of the Dekker pair, on `in_op` or `in_section`:
    /// raise the flag, fence, back out if a collector is stopping the world.
    #[inline(always)]
    fn try_raise(&self, raised: &AtomicBool, light: bool) -> bool {
        raised.store(true, Ordering::Relaxed);
        barrier::mutator_fence(light);
        // Ordering: Acquire pairs with the Release in `release`: the
        // operation sees everything the last collection wrote.
        if self.collecting.load(Ordering::Acquire) {
            raised.store(false, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Enters a heap operation while the thread is inside a section
    /// (`in_section` set by [`try_enter_section`](World::try_enter_section)
    /// and not left since), without looking at `collecting`: no collector
    /// can have stopped the world, since it waits for the section.
    #[inline]
    pub(crate) fn enter_in_section(&self, flag: &OpFlag) {
        debug_assert!(
            flag.in_section.load(Ordering::Relaxed),
            "rudo-gc: enter_in_section outside a section"
        );
        flag.in_op.store(true, Ordering::Relaxed);
    }

    /// Whether the calling thread, owner of `flag`, is inside a section
    /// (only the owner writes the flag, so Relaxed reads its own value).
    #[inline]
    pub(crate) fn in_section(&self, flag: &OpFlag) -> bool {
        flag.in_section.load(Ordering::Relaxed)
    }

    /// Tries to enter a mutator section: the protocol of
    /// [`try_enter`](World::try_enter), on the section flag. False if a
    /// collection is stopping or has stopped the world (wait, then retry).
    pub(crate) fn try_enter_section(&self, flag: &OpFlag, light: bool) -> bool {
        debug_assert!(
            !flag.in_op.load(Ordering::Relaxed) && !flag.in_section.load(Ordering::Relaxed),
            "rudo-gc: a section is entered outside operations and sections"
        );
        self.try_raise(&flag.in_section, light)
    }

    /// Leaves a mutator section.
    pub(crate) fn exit_section(&self, flag: &OpFlag) {
        // Ordering: Release pairs with the Acquire in `wait_idle`: the
        // collector sees every store the section made (its regions' words).
        flag.in_section.store(false, Ordering::Release);
    }

    /// Whether `flag`'s mutator is inside a section (collector side, after
    /// `begin_stop`: Acquire, as in `wait_idle`).
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn sees_section(&self, flag: &OpFlag) -> bool {
        flag.in_section.load(Ordering::Acquire)
    }

    /// Leaves a heap operation.
    #[inline(always)]
    pub(crate) fn exit(&self, flag: &OpFlag) {
        // Ordering: Release pairs with the Acquire in `wait_idle`: the
        // collector sees everything the operation wrote.
        flag.in_op.store(false, Ordering::Release);
    }

    /// Mutators waiting for the world to be released (a snapshot).
    #[cfg(not(loom))]
    pub(crate) fn waiters(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Blocks until the running collection releases the world.
    #[cold]
    pub(crate) fn wait(&self) {
        #[cfg(not(loom))]
        self.waiting.fetch_add(1, Ordering::Relaxed);
        self.gate
            .wait_while(|| self.collecting.load(Ordering::Acquire));
        #[cfg(not(loom))]
        self.waiting.fetch_sub(1, Ordering::Relaxed);
    }

    /// Starts stopping the world: from here on no mutator can enter an
    /// operation. The caller must be the only collector (it holds the
    /// collection lock), then call [`wait_idle`](World::wait_idle) for every
    /// registered mutator, and finally [`release`](World::release).
    ///
    /// Mutators registered after this call cannot be in an operation: their
    /// first attempt sees `collecting`.
    pub(crate) fn begin_stop(&self) {
        let was = self.collecting.swap(true, Ordering::Relaxed);
        assert!(!was, "rudo-gc: two collectors stopped the world at once");
        barrier::collector_fence();
    }

    /// Waits until `flag`'s mutator is outside any operation and section.
    pub(crate) fn wait_idle(&self, flag: &OpFlag) {
        let mut round = 0;
        // Ordering: Acquire pairs with the Release in `exit` and
        // `exit_section`.
        while flag.in_op.load(Ordering::Acquire) || flag.in_section.load(Ordering::Acquire) {
            backoff(&mut round);
        }
    }

    /// Releases the world: waiting mutators retry their operations.
    pub(crate) fn release(&self) {
        // Ordering: Release pairs with the Acquire in `try_enter`.
        self.collecting.store(false, Ordering::Release);
        self.gate.open();
    }
}
