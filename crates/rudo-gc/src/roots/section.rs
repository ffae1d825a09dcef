//! `MutatorSection`: a thread that counts as inside one long heap operation,
//! so the words of its conservative regions change only between its
//! safepoints.

use core::marker::PhantomData;

use crate::mutator::section;

/// While alive, the calling thread counts as inside a heap operation: no
/// collection runs, on any thread, until it reaches a safepoint.
///
/// What it is for: an interpreter whose value stack holds raw heap
/// addresses in a [`ConservativeRegion`](super::ConservativeRegion) (no
/// count traffic per push and pop). Between two safepoints of the section,
/// every object the thread can see stays alive, so it may move raw words
/// between its registers, its stack and its regions with plain stores, and
/// turn them back into `Gc`s with [`Gc::from_interior`](crate::Gc::from_interior).
///
/// Safepoints, where a pending collection (started by any thread) runs or
/// proceeds: [`safepoint`](MutatorSection::safepoint) (or
/// [`rudo_gc::safepoint`](crate::safepoint), the same), and every collection
/// the thread itself starts (an allocation that spends the budget in the
/// default scheduling mode, [`collect`](crate::collect)): the thread leaves
/// the section while it collects. With
/// [`GcConfig::automatic(false)`](crate::GcConfig::automatic) allocation
/// never collects, so the safepoints are exactly where the program calls
/// them.
///
/// Sections nest: an inner one only counts. Dropping the outermost one
/// leaves the section. They must be dropped innermost first; dropping one
/// early panics, naming the rule (the thread stays in the section until
/// every section is dropped, so nothing else changes).
///
/// # The one cost
///
/// Another thread's collection waits for this thread's next safepoint, and
/// so do that thread's heap operations meanwhile. Call
/// [`safepoint`](MutatorSection::safepoint) often (an interpreter: at every
/// backward jump and call), and never block inside a section on something
/// another thread may hold while it allocates (a lock, a channel, a join):
/// that thread may be waiting for this one's collection-to-be, and this one
/// for it. Drop the section (and its regions) around blocking calls and
/// enter a new one after; entering costs about as much as a heap operation
/// and registering a region as an uncontended lock. A section
/// that is leaked (`mem::forget`) blocks other threads' collections until
/// the thread exits.
///
/// `!Send` and `!Sync`: it belongs to the thread that entered it.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
/// use rudo_gc::roots::{ConservativeRegion, MutatorSection};
/// use rudo_gc::Gc;
///
/// let section = MutatorSection::enter();
/// let stack: Vec<AtomicUsize> = (0..4).map(|_| AtomicUsize::new(0)).collect();
/// let region = ConservativeRegion::register(&section, &stack);
///
/// // Push: the raw address goes on the stack, the count goes away.
/// let s = Gc::new(String::from("kept by a raw word"));
/// stack[0].store(Gc::as_ptr(&s) as usize, Relaxed);
/// drop(s);
///
/// rudo_gc::collect(); // a safepoint: the word keeps the string alive
/// let word = stack[0].load(Relaxed) as *const u8;
/// let back: Gc<String> = Gc::from_interior(word).expect("alive");
/// assert_eq!(*back, "kept by a raw word");
/// drop(region); // before the section it borrows
/// drop(section);
/// ```
pub struct MutatorSection {
    /// This section's depth (1 for the outermost).
    level: u32,
    /// `!Send + !Sync`: the section flag is the entering thread's.
    _thread: PhantomData<*const ()>,
}

impl MutatorSection {
    /// Enters a section on the calling thread (or nests in its current one).
    /// Waits first if a collection is stopping the world.
    ///
    /// # Panics
    ///
    /// From `Trace::trace`, and during thread teardown once the thread's heap
    /// is gone.
    #[must_use = "the section ends when this value is dropped"]
    pub fn enter() -> MutatorSection {
        MutatorSection {
            level: section::enter(),
            _thread: PhantomData,
        }
    }

    /// A safepoint: if another thread's collection waits for this one, it
    /// runs now (this call returns when it released the world), and the
    /// collection due on this thread, if any, runs too, as
    /// [`rudo_gc::safepoint`](crate::safepoint) does. One load and a branch
    /// when nothing waits.
    #[inline]
    pub fn safepoint(&self) {
        crate::safepoint();
    }

    /// How deeply the calling thread's sections nest (0: in none).
    pub fn depth() -> u32 {
        section::depth()
    }
}

impl Drop for MutatorSection {
    fn drop(&mut self) {
        let innermost = section::leave(self.level);
        if !innermost && !std::thread::panicking() {
            panic!(
                "rudo-gc: a MutatorSection was dropped before a section nested inside it; \
                 sections nest, so drop the innermost first (the thread stays in the section \
                 until all of them are dropped)"
            );
        }
    }
}

impl core::fmt::Debug for MutatorSection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MutatorSection")
            .field("level", &self.level)
            .finish()
    }
}
