//! Walking the heap with the world stopped, for `heap::census` and
//! `heap::write_snapshot`: every page with objects, and every object on a
//! page that no collection has found dead.

use core::ptr::NonNull;

use super::page::{PageKind, PagePtr};
use crate::gc::collector::StoppedHeap;
use crate::ptr::header::GcHeader;
use crate::sync::raw::Ordering::Relaxed;

/// Every page with objects: each running thread's, then the orphans.
pub(crate) fn all_pages<'a>(world: &'a StoppedHeap<'_>) -> impl Iterator<Item = PagePtr> + 'a {
    world
        .heaps
        .iter()
        .flat_map(|h| h.small.iter().chain(&h.large))
        .chain(&world.orphans.small)
        .chain(&world.orphans.large)
        .copied()
}

/// Calls `f` with the slot and header of every object of `page` that is
/// allocated and not pending (found dead, waiting to be dropped or freed).
/// The world must be stopped (`StoppedHeap` is the proof callers hold).
pub(crate) fn for_each_live(page: PagePtr, mut f: impl FnMut(NonNull<u8>, &GcHeader)) {
    let words = if page.kind() == PageKind::Large {
        1
    } else {
        page.bitmap_words()
    };
    for w in 0..words {
        // Ordering: Relaxed; with the world stopped no one else writes the
        // bitmaps, and the handshake ordered their last writes before us.
        let mut live = page.alloc_word(w).load(Relaxed) & !page.pending_word(w).load(Relaxed);
        while live != 0 {
            let slot = page.slot(w * 64 + live.trailing_zeros() as usize);
            live &= live - 1;
            // SAFETY: an allocated slot holds an initialised header (the bit
            // is published after it is written), and with the world stopped
            // nothing frees it meanwhile.
            f(slot, unsafe { GcHeader::from_ptr(slot) });
        }
    }
}
