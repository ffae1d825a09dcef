//! The BiBOP heap: chunks, pages, size classes, large objects, interior
//! pointer lookup, thread-local allocation and orphaned pages.
//!
//! Public here: [`find_gc_box`] and [`GcBoxInfo`] (interior-pointer lookup),
//! and the thread control block handle scopes open on.

pub(crate) mod census;
pub(crate) mod chunk;
pub(crate) mod local;
pub(crate) mod lookup;
pub(crate) mod orphans;
pub(crate) mod page;
pub(crate) mod page_map;
pub(crate) mod poison;
pub(crate) mod prefetch;
pub(crate) mod size_class;
pub(crate) mod snapshot;
pub(crate) mod tcb;
pub(crate) mod walk;

pub use census::{Census, TypeCensus, census};
pub use lookup::{GcBoxInfo, find_gc_box};
pub(crate) use orphans::orphan_heap;
pub use snapshot::{SnapshotSummary, write_snapshot};
pub use tcb::{ThreadControlBlock, current_thread_control_block};

use self::local::Slot;
use self::page::PAGE_SIZE;
use crate::gc::config;
use crate::mutator::{self, BUDGET_SPENT, COLLECTION_DUE};

/// Allocates a slot of size class `class` on this thread's heap and runs
/// `init` on it, all in one heap operation: `init` must write the header,
/// move the value in and publish the slot, without running user code.
///
/// Afterwards (outside the operation) runs a collection if the thread spent
/// its allocation budget, and drops the thread's pending dead values.
///
/// # Panics
///
/// Panics if the thread's heap is already destroyed (thread teardown).
#[inline(always)]
pub(crate) fn allocate_small<R>(class: usize, init: impl FnOnce(Slot) -> R) -> R {
    let (result, attention) = mutator::heap_op(|m| {
        // SAFETY: inside a heap operation on the owner thread (access rule
        // of `mutator::record`); no other reference to the heap is alive.
        let heap = unsafe { m.heap() };
        let slot = match heap.alloc_fast(class) {
            Some(slot) => slot,
            None => {
                let slot = heap.alloc_slow(class);
                m.publish(heap);
                if heap.wants_collection() {
                    m.request(budget_spent());
                }
                slot
            }
        };
        (init(slot), m.needs_attention())
    });
    if attention {
        after_allocation();
    }
    result
}

/// Allocates a large object of `size` bytes aligned to `align`, like
/// [`allocate_small`].
///
/// # Panics
///
/// Panics if `align` exceeds half a page or the size overflows, before
/// anything is allocated.
#[cold]
pub(crate) fn allocate_large<R>(size: usize, align: usize, init: impl FnOnce(Slot) -> R) -> R {
    // Checked before the operation: nothing inside one may panic.
    assert!(
        align <= PAGE_SIZE / 2,
        "rudo-gc: values aligned to more than {} bytes cannot be stored in a Gc",
        PAGE_SIZE / 2
    );
    let total = page::LARGE_FIRST_SLOT
        .next_multiple_of(align)
        .checked_add(size.next_multiple_of(16))
        .filter(|&t| core::alloc::Layout::from_size_align(t, PAGE_SIZE).is_ok());
    if total.is_none() {
        panic!("rudo-gc: cannot allocate a {size}-byte object: the size overflows a Layout");
    }
    let (result, attention) = mutator::heap_op(|m| {
        // SAFETY: as in `allocate_small`.
        let heap = unsafe { m.heap() };
        let slot = heap.alloc_large(size, align);
        m.publish(heap);
        if heap.wants_collection() {
            m.request(budget_spent());
        }
        (init(slot), m.needs_attention())
    });
    if attention {
        after_allocation();
    }
    result
}

/// The request for a thread that spent its budget: a collection after this
/// allocation, or, in safepoint-only mode, one at its next `safepoint()`.
#[inline]
fn budget_spent() -> u32 {
    if config::automatic() {
        BUDGET_SPENT
    } else {
        COLLECTION_DUE
    }
}

/// The work an allocation found requested: a collection, or dead values to
/// drop. In safepoint-only mode, neither: it is left for the next
/// `safepoint()`.
#[cold]
#[inline(never)]
fn after_allocation() {
    if !config::automatic() {
        mutator::current(|m| m.defer_to_safepoint());
        return;
    }
    crate::gc::safepoint::run_requested();
}

/// Test helper: the number of pages of this thread's heap, checking that each
/// is owned by it.
#[cfg(test)]
fn current_heap_pages() -> usize {
    mutator::heap_op(|m| {
        // SAFETY: inside a heap operation on the owner thread.
        let heap = unsafe { m.heap() };
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
