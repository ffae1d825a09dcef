//! Orphaned pages: what is left of the heaps of exited threads.
//!
//! When a thread exits it collects (so its own garbage dies on its own
//! thread), drops its dead values and releases its empty pages. Its other
//! pages become orphans: owned by no running thread (they keep the exited
//! thread's id), never allocated into, collected by every major collection.
//!
//! Whose values may another thread drop? Every value that dies here. An
//! object still alive after the exit collection is referenced from another
//! thread (so its type is `Send + Sync`: a `Gc<T>` crosses threads only
//! then), leaked, or held by the exited thread's leftovers (a thread-local
//! destroyed *after* its record, or a handle slot of its control block).
//! Only the last kind may be `!Send`, and it never dies: the leftovers'
//! releases leak (`mutator::current`, "An exited thread's releases leak").
//! So whatever does die on an orphan page is `Send` and any thread may drop
//! it (`gc::sweep`).
//!
//! Access rule: the lists are locked only inside a heap operation or by a
//! collector while the world is stopped, so the lock is never held across a
//! wait for the world.

use super::chunk;
use super::local::LocalHeap;
use super::page::{PageFlag, PagePtr};

/// The pages of exited threads.
pub(crate) struct Orphans {
    /// Small pages holding objects.
    pub(crate) small: Vec<PagePtr>,
    /// Large pages.
    pub(crate) large: Vec<PagePtr>,
    /// Pages with dead values to drop.
    pub(crate) pending: Vec<PagePtr>,
}

/// The orphan lists (access rule above).
pub(crate) static ORPHANS: parking_lot::Mutex<Orphans> = parking_lot::Mutex::new(Orphans {
    small: Vec::new(),
    large: Vec::new(),
    pending: Vec::new(),
});

/// Turns an exiting thread's heap into orphans. Call inside a heap operation
/// of the owner thread; `pending` are its pages with values still to drop.
pub(crate) fn orphan_heap(heap: &mut LocalHeap, pending: Vec<PagePtr>) {
    heap.reset_caches();
    heap.take_young();
    let empty = heap.after_major();
    chunk::release_pages(&empty);
    for list in heap.avail_lists() {
        list.clear();
    }
    let small: Vec<PagePtr> = heap.small.drain(..).collect();
    let large: Vec<PagePtr> = heap.large.drain(..).collect();
    if small.is_empty() && large.is_empty() {
        return;
    }
    for &page in small.iter().chain(&large) {
        for flag in [PageFlag::Available, PageFlag::Young] {
            page.set_flag(flag, false);
        }
        page.set_flag(PageFlag::Orphan, true);
    }
    let mut orphans = ORPHANS.lock();
    orphans.small.extend(small);
    orphans.large.extend(large);
    if !pending.is_empty() {
        orphans.pending.extend(pending);
        crate::gc::sweep::note_orphans_pending();
    }
}

/// Leaks an exiting thread's heap whose exit collection was abandoned (a
/// panic in `Trace::trace`; see `gc::thread_exit`). Call inside a heap
/// operation of the owner thread.
///
/// Its garbage was not found, so some of its values may be dead and
/// `!Send`; orphaned, they would be dropped on another thread. So the pages
/// are listed nowhere: no collection sees them again, and nothing on them is
/// ever freed or dropped. That is safe: an object no collection visits is
/// never in the collected set, and the edges it holds are never subtracted,
/// so everything it references stays alive too (a leak, by the same argument
/// as a `Trace` impl that visits too little). The memory stays allocated, so
/// other threads' `Gc`s to objects on these pages stay valid.
pub(crate) fn abandon_heap(heap: &mut LocalHeap, pending: Vec<PagePtr>) {
    heap.reset_caches();
    heap.take_young();
    for list in heap.avail_lists() {
        list.clear();
    }
    heap.small.clear();
    heap.large.clear();
    drop(pending);
}
