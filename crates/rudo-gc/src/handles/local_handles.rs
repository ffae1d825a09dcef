//! `LocalHandles`: a thread's handle slots, in blocks of 256, V8 style.
//!
//! ```text
//!  blocks: [ B0: 256 slots ][ B1: 256 slots ][ B2: ... next ...... limit ]
//!            all live          all live        live | free
//!  data: HandleScopeData { next, limit, level }
//! ```
//!
//! Rules:
//!
//! 1. The live slots are every slot of every block but the last, plus the
//!    last block's slots below `next`. The collector treats each as a root.
//! 2. Creating a handle writes the next slot and bumps `next`: O(1). A full
//!    block makes the next one current (from the spare list when possible).
//! 3. A scope saves `data` when it opens and restores it when it closes,
//!    freeing the blocks opened since into the spare list. Scopes close in LIFO
//!    order, checked with `level`: a scope that closes out of order panics and
//!    is only recorded as abandoned; it really closes when the scopes opened
//!    after it have closed. So no slot another scope still uses is ever reused
//!    (never a dangling handle).
//! 4. Only the owning thread touches these structures (scopes are `!Send`),
//!    inside heap operations (`ThreadControlBlock::with_handles`); a
//!    collector on any thread reads them with the world stopped.
//! 5. A scope that closes after its thread's record is gone (it lived in a
//!    thread-local destroyed after the record) does not release its slots'
//!    objects: each becomes a permanent strong count instead, because a
//!    `!Send` value of the exited thread must never die (`mutator::current`,
//!    "An exited thread's releases leak"). Likewise for the slots still live
//!    when the control block itself is dropped (`heap::tcb` rule 2).

use core::ptr::NonNull;

use crate::ptr::header::GcHeader;

/// Slots per block.
pub(crate) const BLOCK_SLOTS: usize = 256;
/// Most blocks one thread may hold live: 4,194,304 handles.
pub(crate) const MAX_BLOCKS: usize = 16_384;
/// Spare blocks kept for reuse after scopes close.
const MAX_SPARE: usize = 16;

/// One rooted object pointer (`None` when unused or reserved).
pub(crate) type HandleSlot = Option<NonNull<GcHeader>>;

/// A block of slots.
pub(crate) struct HandleBlock {
    slots: [HandleSlot; BLOCK_SLOTS],
}

/// The bump state a scope saves and restores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HandleScopeData {
    /// Where the next handle goes, in the last block (null before the first).
    pub(crate) next: *mut HandleSlot,
    /// One past the last block's last slot (null before the first block).
    pub(crate) limit: *mut HandleSlot,
    /// Number of blocks in use.
    pub(crate) blocks: usize,
    /// Depth of open scopes.
    pub(crate) level: usize,
}

/// A thread's handle slots.
///
/// Blocks are kept as raw pointers from `Box::into_raw` and only ever
/// accessed through them, so a slot pointer handed out earlier (an escape
/// slot) stays valid while later handles are written to the same block.
pub(crate) struct LocalHandles {
    blocks: Vec<NonNull<HandleBlock>>,
    spare: Vec<NonNull<HandleBlock>>,
    pub(crate) data: HandleScopeData,
    /// Saved states of scopes dropped out of order, innermost last.
    abandoned: Vec<HandleScopeData>,
    /// Scope level at which handle creation is sealed (debug builds), and
    /// where the seal was created.
    pub(crate) sealed: Option<(usize, &'static core::panic::Location<'static>)>,
}

impl LocalHandles {
    pub(crate) const fn new() -> Self {
        LocalHandles {
            blocks: Vec::new(),
            spare: Vec::new(),
            data: HandleScopeData {
                next: core::ptr::null_mut(),
                limit: core::ptr::null_mut(),
                blocks: 0,
                level: 0,
            },
            abandoned: Vec::new(),
            sealed: None,
        }
    }

    /// Opens a scope: returns the state to restore when it closes.
    pub(crate) fn open(&mut self) -> HandleScopeData {
        let saved = self.data;
        self.data.level += 1;
        saved
    }

    /// Closes the scope that `open` returned `saved` for.
    ///
    /// # Panics
    ///
    /// Panics if another scope opened after it is still open (rule 3). The
    /// scope is then recorded as abandoned and closed for real as soon as the
    /// scopes opened after it have closed: its handles are gone (the compiler
    /// saw it dropped), but the inner scopes' slots must not be reused first.
    /// While the thread is already unwinding, the scope is recorded the same
    /// way without the panic: a second panic would abort the process.
    pub(crate) fn close(&mut self, saved: HandleScopeData) {
        if self.data.level != saved.level + 1 {
            let open = self.data.level;
            self.abandoned.push(saved);
            if std::thread::panicking() {
                return;
            }
            panic!(
                "rudo-gc: a HandleScope was dropped while a scope opened after it is still open \
                 (level {open} is open, this scope is level {}); handle scopes must be dropped \
                 in reverse order of creation. Drop the inner scope first, or let both go out of \
                 scope normally. This scope's slots are released when the inner scopes close.",
                saved.level + 1
            );
        }
        self.restore(saved);
        // Scopes abandoned out of order close once they are innermost again.
        while let Some(&pending) = self.abandoned.last() {
            if pending.level + 1 != self.data.level {
                break;
            }
            self.abandoned.pop();
            self.restore(pending);
        }
        // Fewer roots: the next collection must not be skipped, and what
        // only the handles held may be acyclic garbage now.
        crate::mutator::mark_root_released();
    }

    fn restore(&mut self, saved: HandleScopeData) {
        if crate::mutator::exited() {
            // Rule 5. Under the collection lock (the operation of an exited
            // thread), so no collection sees the slot gone and the count not
            // yet taken.
            self.for_each_root_since(&saved, |object| {
                // SAFETY: a live slot roots a live object of the heap.
                unsafe { GcHeader::from_ptr(object.cast()) }.inc_strong();
            });
        }
        while self.blocks.len() > saved.blocks {
            let block = self.blocks.pop().expect("counted above");
            if self.spare.len() < MAX_SPARE {
                self.spare.push(block);
            } else {
                // SAFETY: the block came from `Box::leak` in `grow` and is no
                // longer listed anywhere.
                drop(unsafe { Box::from_raw(block.as_ptr()) });
            }
        }
        self.data = saved;
        if let Some((level, _)) = self.sealed
            && level > self.data.level
        {
            self.sealed = None;
        }
    }

    /// Stores `object` in the next slot (rule 2); `None` reserves it.
    ///
    /// # Panics
    ///
    /// Panics if the thread already holds the maximum number of handles.
    #[inline(always)]
    pub(crate) fn push(&mut self, object: HandleSlot) -> NonNull<HandleSlot> {
        if self.data.next == self.data.limit {
            self.grow();
        }
        let slot = self.data.next;
        // SAFETY: `next < limit`, so `slot` is an unused slot of the last
        // block, which is allocated and only accessed through raw pointers
        // derived from its `Box::leak` pointer.
        unsafe {
            slot.write(object);
            self.data.next = slot.add(1);
            NonNull::new_unchecked(slot)
        }
    }

    #[cold]
    fn grow(&mut self) {
        assert!(
            self.blocks.len() < MAX_BLOCKS,
            "rudo-gc: more than {} handles are alive on this thread; a loop probably creates \
             handles without a HandleScope inside it. Open a HandleScope per iteration (or use \
             rudo_gc::handles::scope) so that each iteration's handles are released.",
            MAX_BLOCKS * BLOCK_SLOTS
        );
        let block = self.spare.pop().unwrap_or_else(|| {
            NonNull::from(Box::leak(Box::new(HandleBlock {
                slots: [None; BLOCK_SLOTS],
            })))
        });
        self.blocks.push(block);
        // SAFETY: the block is allocated; no reference is created.
        let first = unsafe { (&raw mut (*block.as_ptr()).slots).cast::<HandleSlot>() };
        self.data.blocks = self.blocks.len();
        self.data.next = first;
        // SAFETY: one past the end of the block's slot array.
        self.data.limit = unsafe { first.add(BLOCK_SLOTS) };
    }

    /// Live slots of the last block.
    fn live_in_last(&self) -> usize {
        match self.blocks.last() {
            None => 0,
            // SAFETY: `next` points into (or one past) the last block.
            Some(&last) => unsafe {
                self.data
                    .next
                    .offset_from((&raw const (*last.as_ptr()).slots).cast::<HandleSlot>())
                    as usize
            },
        }
    }

    /// Calls `f` with every rooted object (rule 1).
    pub(crate) fn for_each_root(&self, mut f: impl FnMut(NonNull<GcHeader>)) {
        let Some((&last, full)) = self.blocks.split_last() else {
            return;
        };
        let mut scan = |block: NonNull<HandleBlock>, live: usize| {
            for i in 0..live {
                // SAFETY: `i < BLOCK_SLOTS`; blocks in use are allocated;
                // slots below `live` were written by `push`.
                if let Some(object) = unsafe { (&raw const (*block.as_ptr()).slots[i]).read() } {
                    f(object);
                }
            }
        };
        for &block in full {
            scan(block, BLOCK_SLOTS);
        }
        scan(last, self.live_in_last());
    }

    /// Calls `f` with every object rooted by the slots a scope that saved
    /// `saved` releases when it closes: those from `saved.next` on.
    fn for_each_root_since(&self, saved: &HandleScopeData, mut f: impl FnMut(NonNull<GcHeader>)) {
        let in_use = self.blocks.len();
        for b in saved.blocks.saturating_sub(1)..in_use {
            let block = self.blocks[b];
            // SAFETY: the block is allocated; no reference is created.
            let first = unsafe { (&raw const (*block.as_ptr()).slots).cast::<HandleSlot>() };
            let start = if b + 1 == saved.blocks {
                // SAFETY: `saved.next` points into (or one past) block
                // `saved.blocks - 1`, which is this one.
                unsafe { saved.next.cast_const().offset_from(first) as usize }
            } else {
                0
            };
            let end = if b + 1 == in_use {
                // SAFETY: `data.next` points into (or one past) the last block.
                unsafe { self.data.next.cast_const().offset_from(first) as usize }
            } else {
                BLOCK_SLOTS
            };
            for i in start..end {
                // SAFETY: `i < BLOCK_SLOTS`; slots below `next` were written.
                if let Some(object) = unsafe { first.add(i).read() } {
                    f(object);
                }
            }
        }
    }

    /// Number of live handle slots.
    pub(crate) fn live(&self) -> usize {
        self.blocks.len().saturating_sub(1) * BLOCK_SLOTS + self.live_in_last()
    }

    /// Blocks allocated (in use and spare), for tests of the no-allocation
    /// steady state.
    #[cfg(test)]
    pub(crate) fn allocated_blocks(&self) -> usize {
        self.blocks.len() + self.spare.len()
    }
}

impl Drop for LocalHandles {
    fn drop(&mut self) {
        for block in self.blocks.drain(..).chain(self.spare.drain(..)) {
            // SAFETY: every block came from `Box::leak` in `grow` and is listed
            // once.
            drop(unsafe { Box::from_raw(block.as_ptr()) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object() -> NonNull<GcHeader> {
        NonNull::dangling()
    }

    #[test]
    fn a_scope_loop_allocates_no_blocks_after_warm_up() {
        let mut h = LocalHandles::new();
        let outer = h.open();
        for _ in 0..3 {
            let s = h.open();
            for _ in 0..8 {
                h.push(Some(object()));
            }
            h.close(s);
        }
        let warm = h.allocated_blocks();
        for _ in 0..100 {
            let s = h.open();
            for _ in 0..8 {
                h.push(Some(object()));
            }
            h.close(s);
        }
        assert_eq!(h.allocated_blocks(), warm);
        h.close(outer);
    }

    #[test]
    fn closing_restores_the_live_count_across_blocks() {
        let mut h = LocalHandles::new();
        let outer = h.open();
        h.push(Some(object()));
        let inner = h.open();
        for _ in 0..3 * BLOCK_SLOTS {
            h.push(Some(object()));
        }
        assert_eq!(h.live(), 1 + 3 * BLOCK_SLOTS);
        let mut roots = 0;
        h.for_each_root(|_| roots += 1);
        assert_eq!(roots, h.live());
        h.close(inner);
        assert_eq!(h.live(), 1);
        h.close(outer);
        assert_eq!(h.live(), 0);
    }

    #[test]
    fn the_slots_a_scope_releases_are_exactly_those_pushed_since_it_opened() {
        // Inner scopes opening at the start, the middle and the very end of a
        // block, each with handles spanning block boundaries.
        for before in [0, 1, BLOCK_SLOTS - 1, BLOCK_SLOTS, BLOCK_SLOTS + 7] {
            for inside in [0, 1, BLOCK_SLOTS, 2 * BLOCK_SLOTS + 3] {
                let mut h = LocalHandles::new();
                let outer = h.open();
                for _ in 0..before {
                    h.push(Some(object()));
                }
                let inner = h.open();
                for i in 0..inside {
                    // Reserved slots among them root nothing.
                    h.push(if i % 5 == 0 { None } else { Some(object()) });
                }
                let mut released = 0;
                h.for_each_root_since(&inner, |_| released += 1);
                let expected = (0..inside).filter(|i| i % 5 != 0).count();
                assert_eq!(released, expected, "{before} then {inside}");
                h.close(inner);
                assert_eq!(h.live(), before);
                h.close(outer);
            }
        }
    }

    #[test]
    fn reserved_slots_are_live_but_root_nothing() {
        let mut h = LocalHandles::new();
        let s = h.open();
        h.push(None);
        let mut roots = 0;
        h.for_each_root(|_| roots += 1);
        assert_eq!((h.live(), roots), (1, 0));
        h.close(s);
    }

    #[test]
    fn closing_out_of_order_panics_and_changes_nothing() {
        let mut h = LocalHandles::new();
        let outer = h.open();
        h.push(Some(object()));
        let inner = h.open();
        h.push(Some(object()));
        let before = h.data;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h.close(outer)));
        let message = *result.unwrap_err().downcast::<String>().unwrap();
        assert!(message.contains("reverse order of creation"), "{message}");
        assert_eq!(
            h.data, before,
            "nothing released while the inner scope is open"
        );
        assert_eq!(h.live(), 2);
        h.close(inner);
        // The abandoned outer scope closed with it.
        assert_eq!((h.live(), h.data.level), (0, 0));
    }

    #[test]
    #[cfg_attr(miri, ignore = "four million handles are too slow under Miri")]
    fn runaway_growth_panics_naming_the_limit() {
        let mut h = LocalHandles::new();
        let _scope = h.open();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for _ in 0..=MAX_BLOCKS * BLOCK_SLOTS {
                h.push(Some(object()));
            }
        }));
        let message = *result.unwrap_err().downcast::<String>().unwrap();
        assert!(message.contains("more than 4194304 handles"), "{message}");
        assert!(message.contains("HandleScope"), "{message}");
    }
}
