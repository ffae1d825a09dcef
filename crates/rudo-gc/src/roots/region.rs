//! `ConservativeRegion`: words scanned at every collection; any word that
//! points into a live object keeps it alive.
//!
//! Invariants:
//!
//! 1. A registered region's memory stays valid for reads of `len` words
//!    until its guard unregisters it (the safe form borrows the words for
//!    the guard's lifetime; the raw form makes it the caller's contract).
//! 2. The collector reads the words only while the world is stopped, with
//!    Relaxed atomic loads for `&[AtomicUsize]` regions (any thread may store
//!    to those), plain loads for raw ones. The registering thread is then
//!    outside its section (at a safepoint, or collecting itself) and not
//!    running, so its plain stores never race with them; a raw region's
//!    contract allows no other writer.
//! 3. A word keeps an object alive iff `heap::lookup::live_object` finds it:
//!    any byte of a live object, aligned or not; integers, free slots,
//!    pending objects and addresses outside the heap are ignored, so a stale
//!    word never resurrects or corrupts anything.
//! 4. Entries live in the registering thread's record and are dropped with
//!    it at thread exit (`mutator::current`): an exited thread's regions are
//!    roots no longer.

use core::marker::PhantomData;
use core::ptr::NonNull;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;

use super::section::MutatorSection;
use crate::mutator;

/// One registered region, in its thread's record.
pub(crate) struct RegionEntry {
    /// Unique per thread: the guard finds its own entry by it, so the same
    /// words registered twice are two entries.
    id: u64,
    words: NonNull<usize>,
    len: usize,
    /// Registered as `&[AtomicUsize]`: other threads may store to the
    /// words at any time, so they are read atomically. Otherwise (an FFI
    /// buffer) every write happens while its thread holds the section, so
    /// never during a collection, and the words are read plainly (the
    /// pointer may only grant reads).
    atomic: bool,
}

// SAFETY: the entry only names memory; the collector reads it under
// invariants 1 and 2, from whichever thread collects.
unsafe impl Send for RegionEntry {}

impl RegionEntry {
    /// Calls `f` with every word of the region (invariant 2: only with the
    /// world stopped).
    pub(crate) fn for_each_word(&self, mut f: impl FnMut(usize)) {
        for i in 0..self.len {
            // SAFETY: in bounds of a region valid for reads until it is
            // unregistered (invariant 1); aligned (checked at registration).
            let at = unsafe { self.words.as_ptr().add(i) };
            let word = if self.atomic {
                // SAFETY: as above; registered from `&[AtomicUsize]`, which
                // has `usize`'s layout.
                unsafe { &*at.cast::<AtomicUsize>() }.load(Relaxed)
            } else {
                // SAFETY: as above; no write can happen meanwhile (the
                // `register_raw` contract: writes only while the thread
                // holds its section, which it does not during a collection).
                unsafe { at.read() }
            };
            f(word);
        }
    }
}

/// Words scanned conservatively at every collection, registered for the
/// lifetime of this guard: a word that holds the address of any byte inside
/// a live object keeps that object alive. Every other word (an integer, a
/// NaN-boxed double, the address of a free slot or of memory outside the
/// heap) is ignored.
///
/// Words are read only while the world is stopped and the registering
/// thread is at a safepoint of its [`MutatorSection`], so between
/// safepoints the thread may move addresses in and out of the region freely.
/// A word does not hold a count: it only keeps the object alive. Turn it
/// back into a `Gc` with [`Gc::from_interior`](crate::Gc::from_interior),
/// which never returns an object a collection has found dead.
///
/// The same words may be registered more than once: each registration scans
/// them and unregisters only itself. A region registered by a thread stops
/// being scanned when that thread exits.
///
/// Cost: a collection looks up every word of every region (a few loads in
/// the page map each), so keep regions to the words that may hold addresses.
///
/// # Examples
///
/// A value stack of raw words:
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
/// use rudo_gc::roots::{ConservativeRegion, MutatorSection};
/// use rudo_gc::Gc;
///
/// let section = MutatorSection::enter();
/// let stack: Vec<AtomicUsize> = (0..8).map(|_| AtomicUsize::new(0)).collect();
/// let _region = ConservativeRegion::register(&section, &stack);
/// let pair = Gc::new((1_u64, 2_u64));
/// stack[0].store(&pair.1 as *const u64 as usize, Relaxed); // an interior address
/// stack[1].store(12345, Relaxed); // an integer: ignored
/// drop(pair);
/// rudo_gc::collect();
/// let back: Gc<(u64, u64)> = Gc::from_interior(stack[0].load(Relaxed) as *const u8).unwrap();
/// assert_eq!(*back, (1, 2));
/// ```
pub struct ConservativeRegion<'a> {
    id: u64,
    /// Borrows the section (the region ends before it) and the words.
    _borrows: PhantomData<(&'a MutatorSection, &'a [AtomicUsize])>,
}

impl<'a> ConservativeRegion<'a> {
    /// Registers `words` until the returned guard is dropped.
    #[must_use = "the region is unregistered when this value is dropped"]
    pub fn register(section: &'a MutatorSection, words: &'a [AtomicUsize]) -> Self {
        // The borrow of the section is what matters: the region ends first.
        let _ = section;
        let ptr = NonNull::from(words).cast::<usize>();
        Self::register_entry(ptr, words.len(), true)
    }

    /// Registers `len` words at `ptr` (an FFI buffer) until the returned
    /// guard is dropped.
    ///
    /// # Safety
    ///
    /// Until the guard is dropped: the `len` words at `ptr` must stay
    /// allocated and readable through `ptr` (in Rust terms: later writes
    /// must not invalidate it, so derive them from the same raw pointer),
    /// and every write to them must be made by the calling thread while it
    /// holds a section (never during a collection, which runs only while
    /// this thread is at a safepoint or collecting itself). Words other
    /// threads write must be registered with [`register`](Self::register)
    /// as atomics instead.
    ///
    /// # Panics
    ///
    /// If `ptr` is null (with `len > 0`) or not aligned for `usize`.
    #[must_use = "the region is unregistered when this value is dropped"]
    pub unsafe fn register_raw(section: &'a MutatorSection, ptr: *const usize, len: usize) -> Self {
        let _ = section;
        let words = if len == 0 {
            NonNull::dangling()
        } else {
            let Some(words) = NonNull::new(ptr.cast_mut()) else {
                panic!(
                    "rudo-gc: ConservativeRegion::register_raw got a null pointer for {len} \
                     words; pass a pointer to the buffer, or length 0"
                )
            };
            assert!(
                ptr.is_aligned(),
                "rudo-gc: ConservativeRegion::register_raw got {ptr:p}, not aligned for usize \
                 ({} bytes); register the aligned words that hold addresses",
                align_of::<usize>()
            );
            words
        };
        Self::register_entry(words, len, false)
    }

    /// Adds the entry to the calling thread's record.
    fn register_entry(words: NonNull<usize>, len: usize, atomic: bool) -> Self {
        let id = next_id();
        let entry = RegionEntry {
            id,
            words,
            len,
            atomic,
        };
        let pushed = mutator::current(|m| m.regions.lock().push(entry));
        assert!(
            pushed.is_some(),
            "rudo-gc: cannot register a ConservativeRegion during thread teardown (the thread's \
             heap is gone)"
        );
        ConservativeRegion {
            id,
            _borrows: PhantomData,
        }
    }

    /// How many regions the calling thread has registered.
    pub fn registered() -> usize {
        mutator::current(|m| m.regions.lock().len()).unwrap_or(0)
    }
}

/// A thread-unique region id.
fn next_id() -> u64 {
    thread_local! {
        static NEXT: core::cell::Cell<u64> = const { core::cell::Cell::new(0) };
    }
    NEXT.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    })
}

impl Drop for ConservativeRegion<'_> {
    fn drop(&mut self) {
        // After the thread's exit its record dropped every entry already
        // (invariant 4).
        mutator::current(|m| {
            let mut regions = m.regions.lock();
            if let Some(at) = regions.iter().position(|e| e.id == self.id) {
                regions.swap_remove(at);
                // Fewer roots: the next collection must not be skipped, and
                // what only the region held may be acyclic garbage now.
                m.mark_root_released();
            }
        });
    }
}

impl core::fmt::Debug for ConservativeRegion<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ConservativeRegion")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}
