//! Destruction on the home thread (architecture, section 5), and freeing
//! pending slots.
//!
//! A collection leaves dead objects with a destructor *pending* on their
//! pages and lists those pages with their owner (`Mutator::pending`) or with
//! the orphans. The owner drops the values at its next allocation, in
//! [`sweep_pending`], after a collection it ran, and when it exits; orphan
//! values (all `Send + Sync`, see `heap::orphans`) are dropped by whichever
//! thread collects or calls `sweep_pending`.
//!
//! A sweep of one list of pages:
//!
//! 1. in a heap operation, take the list and snapshot `pending & drop` of
//!    each page (exactly the values this sweep drops);
//! 2. outside any operation, drop those values: destructors are user code
//!    and may allocate, clone and drop `Gc`s. The objects are detached from
//!    the live graph, so no collector reads them meanwhile;
//! 3. in a heap operation, clear their `drop` bits, [`reclaim`] the page,
//!    and list it again if a collection found more dead values on it
//!    meanwhile; otherwise clear its `Pending` flag.
//!
//! Rules:
//!
//! - A page's `Pending` flag is set from the moment a collection lists it
//!   until step 3 of the sweep that took it finds no value left to drop. A
//!   collection lists only unflagged pages, so a page is in at most one list
//!   or batch, and a page a sweep holds is never listed behind its back
//!   (a listed page that the sweep then freed or emptied, and a later
//!   collection released to another thread, would be swept as a stranger's).
//! - A flagged page is never released: its values to drop keep slots
//!   allocated, and a large page is freed only in step 3 or by a collection
//!   once its value is gone, when the page is in no list.
//! - Batches of one list never share a page: a thread's own list is swept by
//!   that thread only, and orphans under `ORPHAN_SWEEP`, taken with
//!   `try_lock` so that no thread ever waits for another's destructors. A
//!   destructor may start a sweep of its own thread's list (it allocates,
//!   collects, calls `sweep_pending`): that nested sweep takes only pages
//!   listed since, because the outer batch's pages keep their `Pending`
//!   flag, and so no collection lists them again meanwhile. Nesting stops at
//!   `MAX_NESTED_SWEEPS` (deeper requests are left to the enclosing sweep,
//!   which picks them up when its destructors return), which bounds the
//!   stack; an orphan sweep never nests.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::drop_panic;
use crate::heap::chunk;
use crate::heap::orphans::ORPHANS;
use crate::heap::page::{PageFlag, PageKind, PagePtr};
use crate::mutator::{self, VALUES_DUE, VALUES_PENDING};
use crate::ptr::header::GcHeader;
use crate::sync::raw::{AtomicBool, Ordering::Relaxed};

/// Serialises sweeps of the orphan pages.
static ORPHAN_SWEEP: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

/// Orphan pages may be listed with values to drop: a hint, set after every
/// push to the orphans' pending list and cleared by the sweep that takes it,
/// so that `sweep_pending` costs two loads when there is nothing to do.
static ORPHANS_PENDING: AtomicBool = AtomicBool::new(false);

/// Records that orphan pages were listed with values to drop.
pub(crate) fn note_orphans_pending() {
    ORPHANS_PENDING.store(true, Relaxed);
}

/// How deep sweeps of a thread's own list may nest (see the rules above).
const MAX_NESTED_SWEEPS: u32 = 4;

thread_local! {
    /// Sweeps of this thread's own list in progress.
    static SWEEP_DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// One sweep of the thread's own list in progress; leaves it when dropped
/// (also on unwind).
struct SweepDepth;

impl SweepDepth {
    fn enter() -> Option<SweepDepth> {
        SWEEP_DEPTH.with(|d| {
            (d.get() < MAX_NESTED_SWEEPS).then(|| {
                d.set(d.get() + 1);
                SweepDepth
            })
        })
    }
}

impl Drop for SweepDepth {
    fn drop(&mut self) {
        SWEEP_DEPTH.with(|d| d.set(d.get() - 1));
    }
}

/// What [`reclaim`] freed.
#[derive(Default)]
pub(crate) struct Reclaimed {
    pub(crate) objects: usize,
    pub(crate) bytes: usize,
    /// The page is large and its object was freed: the caller must unlist
    /// it and release its memory.
    pub(crate) large_page_free: bool,
}

impl Reclaimed {
    pub(crate) fn add(&mut self, other: Reclaimed) {
        self.objects += other.objects;
        self.bytes += other.bytes;
        self.large_page_free |= other.large_page_free;
    }
}

/// Frees the pending slots of `page` whose value is gone (or never needed
/// dropping) and whose strong and weak counts are both zero: nothing can
/// touch their headers any more.
///
/// Call inside a heap operation by the page's owner (or orphan sweeper), or
/// as the collector with the world stopped.
pub(crate) fn reclaim(page: PagePtr) -> Reclaimed {
    let mut freed = Reclaimed::default();
    for w in 0..page.bitmap_words() {
        let mut candidates = page.pending_word(w).load(Relaxed) & !page.drop_word(w).load(Relaxed);
        let mut free = 0;
        while candidates != 0 {
            let bit = candidates.trailing_zeros() as usize;
            candidates &= candidates - 1;
            // SAFETY: a pending slot keeps its header until freed here.
            let header = unsafe { GcHeader::from_ptr(page.slot(w * 64 + bit)) };
            if header.strong() == 0 && header.weak() == 0 {
                free |= 1 << bit;
            }
        }
        if free != 0 {
            page.free_bits(w, free);
            freed.objects += free.count_ones() as usize;
            if page.kind() == PageKind::Large {
                freed.large_page_free = true;
            } else {
                freed.bytes += free.count_ones() as usize * page.slot_size();
            }
        }
    }
    freed
}

/// The values one sweep drops: per page, `(word, bits)` of `pending & drop`.
type Batch = Vec<(PagePtr, Vec<(usize, u64)>)>;

/// Takes `pages` (step 1). Call inside a heap operation. The pages keep
/// their `Pending` flag until [`finish`].
fn snapshot(pages: Vec<PagePtr>) -> Batch {
    pages
        .into_iter()
        .map(|page| {
            debug_assert!(
                page.has_flag(PageFlag::Pending),
                "rudo-gc: unflagged page in a pending list"
            );
            let words = (0..page.bitmap_words())
                .filter_map(|w| {
                    let bits = page.pending_word(w).load(Relaxed) & page.drop_word(w).load(Relaxed);
                    (bits != 0).then_some((w, bits))
                })
                .collect();
            (page, words)
        })
        .collect()
}

/// Drops the values of `batch` (step 2). A destructor panic is caught and
/// reported (`gc::drop_panic`), and the batch goes on.
fn drop_values(batch: &Batch) {
    let _span = super::telemetry::DropSpan::enter(|| {
        batch
            .iter()
            .flat_map(|(_, words)| words.iter().map(|&(_, bits)| bits.count_ones() as usize))
            .sum()
    });
    for (page, words) in batch {
        let slot_size = page.slot_size();
        for &(w, mut bits) in words {
            while bits != 0 {
                let index = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let object = page.slot(index);
                // SAFETY: a pending object whose value is not dropped yet (its
                // `drop` bit was set in the snapshot, and only this sweep,
                // which never overlaps another of this list, clears it).
                let header = unsafe { GcHeader::from_ptr(object) };
                if let Some(drop_value) = header.vtable().drop {
                    // SAFETY: each dead value is dropped exactly once, here,
                    // on its home thread (or, for orphans, any thread: they
                    // are `Send + Sync`).
                    let result = catch_unwind(AssertUnwindSafe(|| unsafe {
                        drop_value(object.cast(), slot_size)
                    }));
                    if let Err(payload) = result {
                        drop_panic::report((header.vtable().type_name)(), &*payload);
                    }
                }
            }
        }
    }
}

/// Step 3 for one page of a batch: clears the dropped values' `drop` bits
/// and frees what can be freed. Returns what was freed and whether the page
/// still has values to drop (dead objects a collection found on it during
/// step 2): then it keeps its `Pending` flag and the caller lists it again.
/// Call inside a heap operation.
fn finish(page: PagePtr, words: &[(usize, u64)]) -> (Reclaimed, bool) {
    for &(w, bits) in words {
        let word = page.drop_word(w);
        word.store(word.load(Relaxed) & !bits, Relaxed);
    }
    let freed = reclaim(page);
    let remaining = (0..page.bitmap_words())
        .any(|w| page.pending_word(w).load(Relaxed) & page.drop_word(w).load(Relaxed) != 0);
    if !remaining {
        page.set_flag(PageFlag::Pending, false);
    }
    debug_assert!(!(remaining && freed.large_page_free));
    (freed, remaining)
}

/// Drops the calling thread's pending values. Skipped (and re-requested)
/// when sweeps of this thread already nest `MAX_NESTED_SWEEPS` deep.
pub(crate) fn sweep_current_thread() {
    let Some(_depth) = SweepDepth::enter() else {
        mutator::current(|m| m.request(VALUES_PENDING));
        return;
    };
    loop {
        let batch = mutator::heap_op(|m| {
            // SAFETY: inside an operation on the owner thread (access rule 1).
            let pages = core::mem::take(unsafe { m.pending() });
            debug_assert!(
                pages.iter().all(|p| p.owner() == m.id()),
                "rudo-gc: foreign page in a pending list"
            );
            snapshot(pages)
        });
        if batch.is_empty() {
            return;
        }
        drop_values(&batch);
        mutator::heap_op(|m| {
            // SAFETY: inside an operation on the owner thread (access rule 1);
            // the heap and the list are distinct cells.
            let (heap, pending) = unsafe { (m.heap(), m.pending()) };
            for (page, words) in &batch {
                let (freed, remaining) = finish(*page, words);
                if remaining {
                    pending.push(*page);
                }
                heap.note_freed(freed.bytes, freed.objects);
                if freed.large_page_free {
                    heap.forget_large(*page);
                    // SAFETY: the object is freed and nothing references it;
                    // the heap no longer lists the page.
                    unsafe { chunk::free_large(*page) };
                } else if freed.objects > 0 {
                    heap.make_available(*page);
                }
            }
            m.publish(heap);
        });
    }
}

/// Drops the pending values of orphan pages, unless another thread is at it.
fn sweep_orphans() {
    let Some(_sweeping) = ORPHAN_SWEEP.try_lock() else {
        return;
    };
    loop {
        // Before taking the list: a page listed after the take sets it again.
        ORPHANS_PENDING.store(false, Relaxed);
        let batch = mutator::op(false, || {
            let pages = core::mem::take(&mut ORPHANS.lock().pending);
            snapshot(pages)
        });
        if batch.is_empty() {
            return;
        }
        drop_values(&batch);
        let large_freed = mutator::op(false, || {
            let mut orphans = ORPHANS.lock();
            let mut freed = Vec::new();
            for (page, words) in &batch {
                let (reclaimed, remaining) = finish(*page, words);
                if remaining {
                    orphans.pending.push(*page);
                    note_orphans_pending();
                }
                if reclaimed.large_page_free {
                    orphans.large.retain(|p| p != page);
                    freed.push(*page);
                }
            }
            freed
        });
        for page in large_freed {
            // SAFETY: the object is freed and nothing references it; the
            // orphan list no longer holds the page.
            unsafe { chunk::free_large(page) };
        }
    }
}

/// Drops the calling thread's pending values, if it still has a heap.
pub(crate) fn sweep_own_if_registered() {
    if mutator::current(|_| ()).is_some() {
        sweep_current_thread();
    }
}

/// The sweeps a collecting thread runs after releasing the world: its own
/// pending values, then the orphans'. A thread whose record is gone runs no
/// destructors at all (`mutator::current`, "An exited thread's releases
/// leak": its releases must all be its leftovers').
pub(crate) fn sweep_after_collection() {
    if mutator::current(|_| ()).is_some() {
        sweep_current_thread();
        sweep_orphans();
    }
}

/// Drops the dead values a collection left for the calling thread, and those
/// of exited threads' pages.
///
/// Dead values are dropped on the thread that allocated them: after a
/// collection that thread runs them at its next allocation. A thread that
/// stops allocating (a worker about to park, a thread blocked on a queue)
/// calls this to release them now; the tokio adapter calls it when a worker
/// parks. Called from a destructor the collector runs, it drops the values
/// left since that sweep took its batch (sweeps nest a few levels deep;
/// beyond that, the enclosing sweep drops them when the destructor returns).
///
/// Never panics because of a destructor: a destructor that panics is caught
/// and reported to the drop-panic hook
/// ([`set_drop_panic_hook`](crate::set_drop_panic_hook)), and every other
/// value is still dropped.
///
/// # Examples
///
/// ```
/// use rudo_gc::{Gc, collect, sweep_pending};
///
/// let value = Gc::new(String::from("dropped on this thread"));
/// let handle = std::thread::spawn(move || {
///     drop(value); // the last reference is released on another thread
///     rudo_gc::collect();
/// });
/// handle.join().unwrap();
/// // The `String` is dropped here, on the thread that allocated it.
/// sweep_pending();
/// ```
pub fn sweep_pending() {
    // Cheap when there is nothing to do (an idle worker calls this when it
    // parks): the thread's request bit, then the orphans' hint.
    let Some(own) = mutator::current(|m| m.take_request(VALUES_PENDING | VALUES_DUE)) else {
        return;
    };
    if own {
        sweep_current_thread();
    }
    if ORPHANS_PENDING.load(Relaxed) {
        sweep_orphans();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    use crate::heap::page::PagePtr;
    use crate::{Gc, Trace, Visitor, collect};

    /// A value whose destructor runs a hook, then counts itself.
    struct Hook {
        run: Mutex<Option<Box<dyn FnOnce() + Send>>>,
        dropped: &'static AtomicUsize,
    }

    // SAFETY: owns no `Gc` the collector may see (a `Gc` captured by the hook
    // is not visited: it counts as held from outside, which is allowed).
    unsafe impl Trace for Hook {
        const NEEDS_TRACE: bool = false;
        fn trace(&self, _: &mut Visitor) {}
    }

    impl Drop for Hook {
        fn drop(&mut self) {
            if let Some(run) = self.run.lock().unwrap().take() {
                run();
            }
            self.dropped.fetch_add(1, SeqCst);
        }
    }

    fn page_of<T>(gc: &Gc<T>) -> PagePtr {
        // SAFETY: the box pointer of a live object, with its page's provenance.
        unsafe { PagePtr::of_object(Gc::box_ptr(gc).cast()) }
    }

    /// Regression: a sweep used to clear its pages' `Pending` flag when it
    /// took them, so a collection on another thread during the destructors
    /// listed such a page again; once the sweep had emptied it, a later major
    /// collection could release it to another thread while it was still
    /// listed, and the next sweep here dropped that thread's values.
    #[test]
    fn a_collection_during_a_sweep_does_not_list_the_swept_page_again() {
        static DROPPED: AtomicUsize = AtomicUsize::new(0);
        static LISTED_DURING_SWEEP: Mutex<Option<bool>> = Mutex::new(None);
        let hook = |run: Box<dyn FnOnce() + Send>| {
            Gc::new(Hook {
                run: Mutex::new(Some(run)),
                dropped: &DROPPED,
            })
        };
        // Two objects on one page: allocate until two share one (at worst
        // a fresh page, which holds hundreds).
        let mut objects: Vec<Gc<Hook>> = Vec::new();
        let (i, j) = loop {
            let object = hook(Box::new(|| {}));
            let page = page_of(&object);
            let earlier = objects.iter().position(|o| page_of(o) == page);
            objects.push(object);
            if let Some(i) = earlier {
                break (i, objects.len() - 1);
            }
        };
        let second = objects.swap_remove(j);
        let first_on_page = objects.swap_remove(i);
        let page = page_of(&second);
        drop(objects);
        collect();
        let before = DROPPED.load(SeqCst);

        // `first_on_page` dies; its destructor (step 2 of this thread's
        // sweep, `page` in the batch) lets another thread kill `second` and
        // collect, then looks at this thread's pending list.
        *first_on_page.run.lock().unwrap() = Some(Box::new(move || {
            std::thread::spawn(move || {
                drop(second);
                collect();
            })
            .join()
            .unwrap();
            let listed = crate::mutator::heap_op(|m| {
                // SAFETY: inside an operation on the owner thread.
                unsafe { m.pending() }.contains(&page)
            });
            *LISTED_DURING_SWEEP.lock().unwrap() = Some(listed);
        }));
        drop(first_on_page);
        collect();

        assert_eq!(
            *LISTED_DURING_SWEEP.lock().unwrap(),
            Some(false),
            "the other thread's collection listed a page this sweep held"
        );
        // The sweep listed the page again itself and dropped `second` too,
        // here, in the same `collect()`.
        assert_eq!(DROPPED.load(SeqCst), before + 2);
    }
}
