//! The thread's side of mutator sections (`roots::MutatorSection`): the
//! nesting depth, entering and leaving the section flag of the handshake,
//! and suspending it while the thread itself collects or waits for a
//! collection.
//!
//! Rules:
//!
//! 1. `DEPTH` counts the thread's live `MutatorSection`s; the section flag
//!    (`OpFlag::in_section`) is set while `DEPTH > 0`, except while
//!    [`Suspended`]: only around a collection the thread runs itself, or its
//!    wait at a safepoint for another thread's (no user code runs
//!    meanwhile, except `Trace::trace`, which cannot enter sections).
//! 2. Only the outermost section sets and clears the flag; inner ones only
//!    count. Dropping out of order keeps the flag set until every section is
//!    gone (so the regions of the sections still alive stay protected) and
//!    is reported by the caller.
//! 3. The record's exit (`current::Record::drop`) clears the flag for good
//!    before it leaves the registry, so no collector waits for a thread that
//!    will never reach a safepoint again; sections that outlive the record
//!    (in late thread-locals) only count down.

use core::cell::Cell;

use super::WORLD;
use super::current::{Role, current};
use super::record::Mutator;

thread_local! {
    /// Live sections of this thread (rule 1).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Enters a section on the calling thread, or nests in the current one;
/// returns the new depth (the section's level).
///
/// # Panics
///
/// From `Trace::trace` (the thread holds the world stopped), and once the
/// thread's record is gone (thread-local destructors running).
pub(crate) fn enter() -> u32 {
    if Role::Tracing.is_set() {
        panic!(
            "rudo-gc: a MutatorSection was entered while the collector was tracing the heap; \
             `Trace::trace` must not use the heap"
        );
    }
    let depth = DEPTH.with(Cell::get);
    if depth == 0 {
        let entered = current(|m| {
            while !WORLD.try_enter_section(&m.flag, m.light_fence()) {
                super::wait_for_world();
            }
        });
        if entered.is_none() {
            panic!(
                "rudo-gc: cannot enter a MutatorSection on this thread because its heap has \
                 already been destroyed (thread-local destructors are running); enter it \
                 before thread exit"
            );
        }
    }
    let level = depth
        .checked_add(1)
        .expect("rudo-gc: sections nested 2^32 deep");
    DEPTH.with(|d| d.set(level));
    level
}

/// Leaves the section of `level`; returns false if it was not the innermost
/// one (rule 2: the caller panics, the state stays consistent).
pub(crate) fn leave(level: u32) -> bool {
    let depth = DEPTH.with(Cell::get);
    debug_assert!(depth > 0, "rudo-gc: more sections left than entered");
    DEPTH.with(|d| d.set(depth - 1));
    if depth == 1 {
        // After the record's exit the flag is already clear (rule 3) and
        // the record may be gone: nothing to do then.
        current(|m| WORLD.exit_section(&m.flag));
    }
    level >= depth
}

/// Whether the calling thread holds a section.
pub(crate) fn depth() -> u32 {
    DEPTH.with(Cell::get)
}

/// The section flag, lifted for a while (rule 1); set again when dropped,
/// waiting first for any collection that is stopping the world.
pub(crate) struct Suspended<'a>(&'a Mutator);

/// Lifts `m`'s section flag if it is set (`m` is the calling thread's record).
pub(crate) fn suspend(m: &Mutator) -> Option<Suspended<'_>> {
    WORLD.in_section(&m.flag).then(|| {
        WORLD.exit_section(&m.flag);
        Suspended(m)
    })
}

impl Drop for Suspended<'_> {
    fn drop(&mut self) {
        while !WORLD.try_enter_section(&self.0.flag, self.0.light_fence()) {
            super::wait_for_world();
        }
    }
}

/// Runs `f` (a collection the calling thread runs) with its section, if
/// any, suspended: the thread counts as at a safepoint meanwhile, and does
/// not wait for itself.
pub(crate) fn while_suspended<R>(f: impl FnOnce() -> R) -> R {
    if depth() == 0 {
        return f();
    }
    let mut f = Some(f);
    let ran = current(|m| {
        let _suspended = suspend(m);
        (f.take().expect("called once"))()
    });
    match ran {
        Some(r) => r,
        None => (f.take().expect("not called: no record"))(),
    }
}

/// A safepoint inside a section: lets a collection another thread is
/// stopping the world for run, and returns once it released the world.
pub(crate) fn yield_to_collector() {
    current(|m| drop(suspend(m)));
}
