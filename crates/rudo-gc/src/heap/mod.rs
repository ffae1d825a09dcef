//! The BiBOP heap: chunks, pages, size classes, large objects, interior
//! pointer lookup and thread-local allocation.
//!
//! Public here: [`find_gc_box`] and [`GcBoxInfo`] (interior-pointer lookup).

pub(crate) mod chunk;
pub(crate) mod local;
mod lookup;
pub(crate) mod page;
pub(crate) mod page_map;
pub(crate) mod size_class;
mod tcb;

use core::cell::{OnceCell, RefCell};
use std::sync::Arc;

pub use lookup::{GcBoxInfo, find_gc_box};
pub use tcb::{ThreadControlBlock, current_thread_control_block};

use self::local::{LocalHeap, Slot};
use crate::gc::collector::{self as collect, Trigger};

/// A thread's heap and control block, with the thread-exit behaviour of
/// section 5 of the architecture: collect, then hand what is still alive to
/// the orphan list.
pub(crate) struct HeapCell {
    heap: RefCell<LocalHeap>,
    /// Created on first use; kept here (not only in user `Arc`s) so that the
    /// collection at thread exit still sees the thread's handles.
    tcb: OnceCell<Arc<ThreadControlBlock>>,
}

impl HeapCell {
    fn tcb(&self) -> Option<&ThreadControlBlock> {
        self.tcb.get().map(|t| &**t)
    }
}

thread_local! {
    static HEAP: HeapCell = const {
        HeapCell { heap: RefCell::new(LocalHeap::new()), tcb: OnceCell::new() }
    };
}

/// Runs `f` with the calling thread's control block (created on first use);
/// `None` during thread teardown.
fn with_tcb<R>(f: impl FnOnce(&Arc<ThreadControlBlock>) -> R) -> Option<R> {
    HEAP.try_with(|cell| f(cell.tcb.get_or_init(|| Arc::new(ThreadControlBlock::new()))))
        .ok()
}

/// Pages of exited threads that still hold live objects.
static ORPHANS: parking_lot::Mutex<Vec<page::PagePtr>> = parking_lot::Mutex::new(Vec::new());

impl Drop for HeapCell {
    fn drop(&mut self) {
        // The thread's own garbage dies on its own thread.
        collect::run(&self.heap, self.tcb(), Trigger::ThreadExit);
        let heap = &mut *self.heap.borrow_mut();
        heap.reset_caches();
        let empty = heap.after_major();
        chunk::release_pages(&empty);
        let remaining: Vec<_> = heap.small.drain(..).chain(heap.large.drain(..)).collect();
        if !remaining.is_empty() {
            // Objects still alive are referenced from memory that outlives
            // this thread (leaked boxes, thread-locals destroyed after this
            // one). Their pages are kept, owned by no thread.
            for page in &remaining {
                page.set_owner(0);
            }
            ORPHANS.lock().extend(remaining);
        }
    }
}

fn teardown_panic() -> ! {
    panic!(
        "rudo-gc: cannot allocate a Gc on this thread because its heap has already been \
         destroyed (thread-local destructors are running); allocate before thread exit"
    )
}

/// Allocates a slot of size class `class` on this thread's heap.
#[inline(always)]
pub(crate) fn alloc_small(class: usize) -> Slot {
    let fast = HEAP.try_with(|cell| match cell.heap.try_borrow_mut() {
        Ok(mut heap) => heap.alloc_fast(class),
        Err(_) => None,
    });
    match fast {
        Ok(Some(slot)) => slot,
        _ => alloc_small_slow(class),
    }
}

#[cold]
#[inline(never)]
fn alloc_small_slow(class: usize) -> Slot {
    HEAP.try_with(|cell| {
        maybe_collect(cell);
        busy_heap(&cell.heap).alloc_slow(class)
    })
    .unwrap_or_else(|_| teardown_panic())
}

/// Allocates a large object on this thread's heap.
#[cold]
pub(crate) fn alloc_large(size: usize, align: usize) -> Slot {
    HEAP.try_with(|cell| {
        maybe_collect(cell);
        busy_heap(&cell.heap).alloc_large(size, align)
    })
    .unwrap_or_else(|_| teardown_panic())
}

fn busy_heap(cell: &RefCell<LocalHeap>) -> core::cell::RefMut<'_, LocalHeap> {
    cell.try_borrow_mut().unwrap_or_else(|_| {
        panic!(
            "rudo-gc: the heap was used while the collector was tracing it; \
             `Trace::trace` must not allocate, drop or upgrade GC pointers"
        )
    })
}

fn maybe_collect(cell: &HeapCell) {
    let wants = cell
        .heap
        .try_borrow()
        .map(|h| h.wants_collection())
        .unwrap_or(false);
    if wants {
        collect::run(&cell.heap, cell.tcb(), Trigger::Budget);
    }
}

/// Runs a collection of this thread's heap (no-op during thread teardown).
pub(crate) fn collect_current_thread(trigger: Trigger) {
    let _ = HEAP.try_with(|cell| collect::run(&cell.heap, cell.tcb(), trigger));
}

/// Test helper: the number of pages of this thread's heap, checking that each
/// is owned by it.
#[cfg(test)]
fn current_heap_pages() -> usize {
    HEAP.with(|cell| {
        let mut heap = cell.heap.borrow_mut();
        let id = heap.id();
        let pages: Vec<_> = heap
            .small
            .iter()
            .chain(heap.large.iter())
            .copied()
            .collect();
        assert!(pages.iter().all(|p| p.owner() == id));
        pages.len()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Gc, collect};

    #[test]
    fn pages_are_owned_by_their_thread_and_released_when_empty() {
        let before = current_heap_pages();
        let objects: Vec<Gc<[u64; 8]>> = (0..2_000).map(|i| Gc::new([i; 8])).collect();
        let grown = current_heap_pages();
        assert!(grown > before);
        drop(objects);
        collect();
        assert!(
            current_heap_pages() < grown,
            "empty pages go back to the pool"
        );
    }

    #[test]
    fn large_objects_get_their_own_page_and_are_released() {
        let before = current_heap_pages();
        let big = Gc::new([7_u8; 20_000]);
        assert_eq!(current_heap_pages(), before + 1);
        drop(big);
        collect();
        assert_eq!(current_heap_pages(), before);
    }
}
