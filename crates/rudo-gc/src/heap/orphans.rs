//! Orphaned pages: what is left of the heaps of exited threads.
//!
//! When a thread exits it collects (so its own garbage dies on its own
//! thread), drops its dead values and releases its empty pages. Its other
//! pages become orphans: owned by no running thread (they keep the exited
//! thread's id), never allocated into, collected by every major collection.
//!
//! Whose values may another thread drop? An object still alive after the
//! exit collection is referenced from another thread (so its type is
//! `Send + Sync`: a `Gc<T>` crosses threads only then), leaked, or held by a
//! thread-local of the exited thread that is destroyed *after* its record
//! (one first used before the thread's first heap operation). Only the last
//! kind may be `!Send`, and it can only die through a release the exited
//! thread performs itself, after its exit. Such a release *taints* the
//! thread's id: dead values on a tainted thread's pages are never dropped
//! (they leak, which is safe); the others are dropped by any thread
//! (`gc::sweep`).
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

/// Ids of exited threads that released a `Gc` after their exit.
static TAINTED: parking_lot::Mutex<Vec<usize>> = parking_lot::Mutex::new(Vec::new());

/// Records that the exited thread `id` released a `Gc` after its exit.
pub(crate) fn taint(id: usize) {
    let mut tainted = TAINTED.lock();
    if !tainted.contains(&id) {
        tainted.push(id);
    }
}

/// Whether values on the orphan page `page` may be dropped by any thread.
pub(crate) fn may_drop_elsewhere(page: PagePtr) -> bool {
    !TAINTED.lock().contains(&page.owner())
}

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
    orphans.pending.extend(pending);
}
