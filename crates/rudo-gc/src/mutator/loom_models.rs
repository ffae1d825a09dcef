//! `loom` models of the heap-operation handshake (`cargo xtask loom`).
//!
//! Each model runs the real [`World`]/[`OpFlag`] code against a miniature
//! heap whose data lives in `loom` cells, so `loom` reports any interleaving
//! in which a mutator and a stopped-world collector touch it at once, or in
//! which the collector frees an object a mutator still holds.

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, AtomicUsize};
use loom::sync::{Arc, Mutex};
use loom::thread;

use super::handshake::{OpFlag, World};
use crate::sync::Ordering::{Acquire, Relaxed, Release};

/// One object: its strong count, and the state only heap operations and a
/// stopped-world collector may touch.
struct Object {
    strong: AtomicUsize,
    /// `dead` (written by the collector, read by upgrades).
    dead: UnsafeCell<bool>,
    /// A cell inside the object: its borrow flag and contents.
    writing: AtomicBool,
    contents: UnsafeCell<usize>,
}

impl Object {
    fn new() -> Object {
        Object {
            strong: AtomicUsize::new(1),
            dead: UnsafeCell::new(false),
            writing: AtomicBool::new(false),
            contents: UnsafeCell::new(0),
        }
    }
}

/// Runs `f` as a heap operation of `flag` (the loop of `mutator::op`).
fn op<R>(world: &World, flag: &OpFlag, f: impl FnOnce() -> R) -> R {
    while !world.try_enter(flag, false) {
        world.wait();
    }
    let r = f();
    world.exit(flag);
    r
}

/// A collection: stop the world, wait for `flags`, run `f`, release.
fn collect<R>(world: &World, flags: &[&OpFlag], f: impl FnOnce() -> R) -> R {
    world.begin_stop();
    for flag in flags {
        world.wait_idle(flag);
    }
    let r = f();
    world.release();
    r
}

/// The collector's view of the object: dead iff no strong reference (no
/// internal references in this heap); reads the cell unless borrowed.
fn trace(object: &Object) {
    let strong = object.strong.load(Relaxed);
    if strong == 0 {
        object.dead.with_mut(|d| unsafe { *d = true });
    }
    if !object.writing.load(Acquire) {
        // SAFETY (model): no mutable borrow exists and none can start while
        // the world is stopped; `loom` checks it.
        object.contents.with(|c| unsafe { c.read() });
    }
}

#[test]
fn mutator_drops_upgrades_and_borrows_against_a_collector() {
    loom::model(|| {
        let world = Arc::new(World::new());
        let object = Arc::new(Object::new());
        let flag = Arc::new(OpFlag::new());
        let mutator = {
            let (world, object, flag) = (world.clone(), object.clone(), flag.clone());
            thread::spawn(move || {
                // Mutably borrow the cell and write it outside the operation.
                op(&world, &flag, || object.writing.store(true, Relaxed));
                object.contents.with_mut(|c| unsafe { *c += 1 });
                object.writing.store(false, Release);
                // Upgrade a weak reference, then drop the original `Gc`.
                let upgraded = op(&world, &flag, || {
                    let dead = object.dead.with(|d| unsafe { *d });
                    if !dead {
                        object.strong.fetch_add(1, Relaxed);
                    }
                    !dead
                });
                op(&world, &flag, || object.strong.fetch_sub(1, Relaxed));
                // Whatever the mutator still holds is alive.
                if upgraded {
                    let dead = op(&world, &flag, || object.dead.with(|d| unsafe { *d }));
                    assert!(!dead, "the collector freed an object a mutator holds");
                    op(&world, &flag, || object.strong.fetch_sub(1, Relaxed));
                }
            })
        };
        collect(&world, &[&flag], || trace(&object));
        mutator.join().unwrap();
        // A final collection finds the object dead: every reference is gone.
        collect(&world, &[&flag], || trace(&object));
        assert!(object.dead.with(|d| unsafe { *d }));
    });
}

/// Enters a mutator section of `flag` (the loop of `section::enter`).
fn enter_section(world: &World, flag: &OpFlag) {
    while !world.try_enter_section(flag, false) {
        world.wait();
    }
}

/// A heap operation inside a section (`mutator::op` and its slow path):
/// when a collector is stopping the world, it enters anyway.
fn op_in_section<R>(world: &World, flag: &OpFlag, f: impl FnOnce() -> R) -> R {
    if !world.try_enter(flag, false) {
        assert!(world.in_section(flag));
        world.enter_in_section(flag);
    }
    let r = f();
    world.exit(flag);
    r
}

#[test]
fn a_section_keeps_what_its_words_point_to_until_it_clears_them() {
    loom::model(|| {
        let world = Arc::new(World::new());
        let object = Arc::new(Object::new());
        // A conservative region of one word: 1 while it holds the object.
        let word = Arc::new(AtomicUsize::new(0));
        let flag = Arc::new(OpFlag::new());
        let mutator = {
            let (world, object, word, flag) =
                (world.clone(), object.clone(), word.clone(), flag.clone());
            thread::spawn(move || {
                enter_section(&world, &flag);
                // Push the raw word (a plain store), drop the count.
                word.store(1, Relaxed);
                op_in_section(&world, &flag, || object.strong.fetch_sub(1, Relaxed));
                let dead = op_in_section(&world, &flag, || object.dead.with(|d| unsafe { *d }));
                assert!(!dead, "collected between safepoints of a section");
                // A safepoint (`section::yield_to_collector`): a waiting
                // collection runs here and must see the word.
                world.exit_section(&flag);
                enter_section(&world, &flag);
                let dead = op_in_section(&world, &flag, || object.dead.with(|d| unsafe { *d }));
                assert!(!dead, "the word did not keep the object alive");
                // Pop the word and leave.
                word.store(0, Relaxed);
                world.exit_section(&flag);
            })
        };
        // The collector: dead iff no count and no word points at it.
        collect(&world, &[&flag], || {
            if object.strong.load(Relaxed) == 0 && word.load(Relaxed) == 0 {
                object.dead.with_mut(|d| unsafe { *d = true });
            }
        });
        mutator.join().unwrap();
        collect(&world, &[&flag], || {
            if object.strong.load(Relaxed) == 0 && word.load(Relaxed) == 0 {
                object.dead.with_mut(|d| unsafe { *d = true });
            }
        });
        assert!(
            object.dead.with(|d| unsafe { *d }),
            "no word and no count: dead"
        );
    });
}

#[test]
fn two_threads_request_a_collection_at_once() {
    loom::model(|| {
        let world = Arc::new(World::new());
        // The collection lock, and how many collections ran.
        let lock = Arc::new(Mutex::new(0_usize));
        let object = Arc::new(Object::new());
        let flags: Vec<Arc<OpFlag>> = (0..2).map(|_| Arc::new(OpFlag::new())).collect();
        let threads: Vec<_> = (0..2)
            .map(|i| {
                let (world, lock, object) = (world.clone(), lock.clone(), object.clone());
                let flags = flags.clone();
                thread::spawn(move || {
                    // A heap operation, then a collection request.
                    op(&world, &flags[i], || object.strong.fetch_add(1, Relaxed));
                    let mut runs = lock.lock().unwrap();
                    let all: Vec<&OpFlag> = flags.iter().map(|f| &**f).collect();
                    collect(&world, &all, || trace(&object));
                    *runs += 1;
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*lock.lock().unwrap(), 2);
        assert!(
            !object.dead.with(|d| unsafe { *d }),
            "three references remain"
        );
    });
}

#[test]
fn thread_exit_during_a_collection() {
    loom::model(|| {
        let world = Arc::new(World::new());
        // Registered mutators, each with its "pages"; and the orphan list.
        let registry: Arc<Mutex<Vec<(Arc<OpFlag>, Arc<UnsafeCell<Vec<u32>>>)>>> =
            Arc::new(Mutex::new(Vec::new()));
        let orphans = Arc::new(Mutex::new(Vec::<u32>::new()));
        let flag = Arc::new(OpFlag::new());
        let pages = Arc::new(UnsafeCell::new(vec![1, 2]));
        registry.lock().unwrap().push((flag.clone(), pages.clone()));
        let exiting = {
            let (world, registry, orphans) = (world.clone(), registry.clone(), orphans.clone());
            thread::spawn(move || {
                // The record's destructor: orphan the pages in one heap
                // operation, then leave the registry. (Leaving inside the
                // operation lets a collector that stops the world meanwhile
                // miss both the operation and the pages: this model found
                // that.)
                op(&world, &flag, || {
                    let mine = pages.with_mut(|p| unsafe { core::mem::take(&mut *p) });
                    orphans.lock().unwrap().extend(mine);
                });
                registry
                    .lock()
                    .unwrap()
                    .retain(|(f, _)| !Arc::ptr_eq(f, &flag));
            })
        };
        // A collection sees every page exactly once: in a registered heap or
        // in the orphans, never both, never neither.
        world.begin_stop();
        let snapshot: Vec<_> = registry.lock().unwrap().clone();
        for (f, _) in &snapshot {
            world.wait_idle(f);
        }
        let mut seen: Vec<u32> = orphans.lock().unwrap().clone();
        for (_, p) in &snapshot {
            seen.extend(p.with(|p| unsafe { (*p).clone() }));
        }
        world.release();
        seen.sort_unstable();
        assert_eq!(seen, vec![1, 2]);
        exiting.join().unwrap();
    });
}

/// One page of the sweep protocol (`gc::sweep`): its `Pending` flag, the
/// `pending` and `drop` bits of its two objects, and each value's drop count.
/// Only heap operations and a stopped-world collector touch the bits, the
/// flag and the owner's pending list (`loom` checks that).
struct SweptPage {
    flag: UnsafeCell<bool>,
    pending: UnsafeCell<u8>,
    drop: UnsafeCell<u8>,
    /// The owner's pending list (entries of this one page).
    listed: UnsafeCell<usize>,
    /// A sweep holds the page between its steps 1 and 3.
    in_batch: UnsafeCell<bool>,
    /// Times each value was dropped (step 2, outside any operation).
    dropped: [UnsafeCell<u32>; 2],
    /// Object 1's strong count: one `Gc`, held by the second thread.
    strong: AtomicUsize,
}

impl SweptPage {
    /// Object 0 dead with a value to drop, its page listed and flagged;
    /// object 1 alive.
    fn new() -> SweptPage {
        SweptPage {
            flag: UnsafeCell::new(true),
            pending: UnsafeCell::new(0b01),
            drop: UnsafeCell::new(0b11),
            listed: UnsafeCell::new(1),
            in_batch: UnsafeCell::new(false),
            dropped: [UnsafeCell::new(0), UnsafeCell::new(0)],
            strong: AtomicUsize::new(1),
        }
    }

    /// The owner's sweep, steps 1-3, until its list is empty.
    fn sweep(&self, world: &World, flag: &OpFlag) {
        loop {
            // Step 1: take the list, snapshot `pending & drop`. The page
            // keeps its flag.
            // SAFETY (model, all `with`/`with_mut` here): inside a heap
            // operation of the owner; `loom` checks the exclusion.
            let batch = op(world, flag, || unsafe {
                let taken = self.listed.with_mut(|l| core::mem::take(&mut *l));
                if taken == 0 {
                    return None;
                }
                assert_eq!(taken, 1, "the page is listed twice");
                self.in_batch.with_mut(|b| *b = true);
                Some(self.pending.with(|p| *p) & self.drop.with(|d| *d))
            });
            let Some(bits) = batch else { return };
            // Step 2, outside any operation: drop the values.
            for (i, dropped) in self.dropped.iter().enumerate() {
                if bits & (1 << i) != 0 {
                    // SAFETY (model): only this sweep drops the page's values.
                    dropped.with_mut(|d| unsafe { *d += 1 });
                }
            }
            // Step 3: clear the dropped values' `drop` bits; list the page
            // again if a collection found more values to drop meanwhile.
            op(world, flag, || unsafe {
                self.in_batch.with_mut(|b| *b = false);
                self.drop.with_mut(|d| *d &= !bits);
                let remaining = self.pending.with(|p| *p) & self.drop.with(|d| *d) != 0;
                if remaining {
                    self.listed.with_mut(|l| *l += 1);
                } else {
                    self.flag.with_mut(|f| *f = false);
                }
            });
        }
    }

    /// A collection's step 5 for this page: object 1 dies once its count
    /// is zero; the page is listed unless flagged.
    fn collect(&self) {
        // SAFETY (model): the world is stopped; `loom` checks the exclusion.
        unsafe {
            if self.strong.load(Relaxed) == 0 {
                self.pending.with_mut(|p| *p |= 0b10);
            }
            let has_values = self.pending.with(|p| *p) & self.drop.with(|d| *d) != 0;
            if has_values && !self.flag.with(|f| *f) {
                assert!(
                    !self.in_batch.with(|b| *b),
                    "a collection listed a page a sweep holds"
                );
                self.flag.with_mut(|f| *f = true);
                self.listed.with_mut(|l| *l += 1);
            }
        }
    }
}

#[test]
fn a_sweep_and_a_collection_share_a_page() {
    loom::model(|| {
        let world = Arc::new(World::new());
        let page = Arc::new(SweptPage::new());
        let (owner, other) = (Arc::new(OpFlag::new()), Arc::new(OpFlag::new()));
        let killer = {
            let (world, page, owner, other) =
                (world.clone(), page.clone(), owner.clone(), other.clone());
            thread::spawn(move || {
                // Drops the last `Gc` to object 1, then collects.
                op(&world, &other, || page.strong.fetch_sub(1, Relaxed));
                collect(&world, &[&owner, &other], || page.collect());
            })
        };
        page.sweep(&world, &owner);
        killer.join().unwrap();
        // The owner's next sweep (its next allocation) drops what is left.
        page.sweep(&world, &owner);
        // SAFETY (model): every thread is joined.
        unsafe {
            let dropped: Vec<u32> = page.dropped.iter().map(|d| d.with(|d| *d)).collect();
            assert_eq!(dropped, [1, 1], "each value is dropped exactly once");
            assert!(!page.flag.with(|f| *f), "nothing is left to drop");
        }
    });
}
