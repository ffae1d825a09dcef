//! Mutator sections (issue 10): nesting, out-of-order drops, collections
//! started inside a section, and other threads' collections waiting for the
//! section's safepoint.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use std::sync::{Arc, Barrier};

use common::{Counted, collect_now, panic_message};
use rudo_gc::roots::{ConservativeRegion, MutatorSection};
use rudo_gc::{Gc, Trace, Visitor, collect};

#[test]
fn sections_nest_and_only_the_outermost_leaves() {
    assert_eq!(MutatorSection::depth(), 0);
    let outer = MutatorSection::enter();
    let inner = MutatorSection::enter();
    assert_eq!(MutatorSection::depth(), 2);
    inner.safepoint();
    rudo_gc::safepoint(); // legal anywhere
    drop(inner);
    assert_eq!(MutatorSection::depth(), 1);
    collect_now(); // inside the section: this thread is at a safepoint
    drop(outer);
    assert_eq!(MutatorSection::depth(), 0);
}

#[test]
fn dropping_an_outer_section_first_panics_and_keeps_the_thread_inside() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let outer = MutatorSection::enter();
    let inner = MutatorSection::enter();
    let words: Vec<AtomicUsize> = vec![AtomicUsize::new(0)];
    let region = ConservativeRegion::register(&inner, &words);
    let value = Gc::new(Counted(1, &DROPS));
    words[0].store(Gc::as_ptr(&value) as usize, Relaxed);
    drop(value);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(outer)))
        .expect_err("out of order");
    let message = panic_message(&*caught);
    assert!(message.contains("drop the innermost first"), "{message}");
    assert_eq!(
        MutatorSection::depth(),
        1,
        "still inside until every section is dropped"
    );
    collect_now();
    assert_eq!(
        DROPS.load(SeqCst),
        0,
        "the inner section's region still scans"
    );
    drop(region);
    drop(inner); // no second panic
    assert_eq!(MutatorSection::depth(), 0);
    collect_now();
    assert_eq!(DROPS.load(SeqCst), 1);
}

#[test]
fn allocation_inside_a_section_collects_as_at_a_safepoint() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let section = MutatorSection::enter();
    let words: Vec<AtomicUsize> = vec![AtomicUsize::new(0)];
    let _region = ConservativeRegion::register(&section, &words);
    let kept = Gc::new(Counted(1, &DROPS));
    words[0].store(Gc::as_ptr(&kept) as usize, Relaxed);
    drop(kept);
    let config = rudo_gc::config();
    rudo_gc::set_config(config.young_budget_bytes(16 << 10));
    let before = rudo_gc::stats().collections;
    for i in 0..if cfg!(miri) { 2_000 } else { 20_000 } {
        drop(Gc::new([i as u64; 4])); // spends the budget: collections run
    }
    rudo_gc::set_config(config);
    assert!(
        rudo_gc::stats().collections > before,
        "the budget collected"
    );
    assert_eq!(DROPS.load(SeqCst), 0, "the region kept its object");
}

/// Enters a section from `Trace::trace` (forbidden), the first time only,
/// so that later collections (of every test in this binary) go through.
struct EntersSection;

static ENTERED: AtomicBool = AtomicBool::new(false);

// SAFETY: holds no `Gc`.
unsafe impl Trace for EntersSection {
    fn trace(&self, _: &mut Visitor) {
        if !ENTERED.swap(true, SeqCst) {
            drop(MutatorSection::enter());
        }
    }
}

#[test]
fn entering_a_section_from_trace_panics_with_the_rule() {
    let cyclic = Gc::new(EntersSection);
    drop(cyclic);
    let caught = std::panic::catch_unwind(collect).expect_err("Trace entered a section");
    assert!(panic_message(&*caught).contains("while the collector was tracing"));
    assert_eq!(MutatorSection::depth(), 0);
    collect_now(); // the collection was abandoned; this one goes through
}

#[test]
fn another_threads_collection_waits_for_the_sections_safepoint() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let started = Arc::new(Barrier::new(2));
    let collected = Arc::new(AtomicBool::new(false));
    let collector = {
        let (started, collected) = (started.clone(), collected.clone());
        std::thread::spawn(move || {
            started.wait();
            collect();
            collected.store(true, SeqCst);
        })
    };
    let section = MutatorSection::enter();
    let words: Vec<AtomicUsize> = vec![AtomicUsize::new(0)];
    let region = ConservativeRegion::register(&section, &words);
    let value = Gc::new(Counted(1, &DROPS));
    let word = Gc::as_ptr(&value) as usize;
    drop(value);
    started.wait();
    // Between safepoints nothing can collect the object, even with the
    // word out of the region (a "register" of the interpreter).
    let back: Gc<Counted> = Gc::from_interior(word as *const u8).expect("no safepoint yet");
    words[0].store(word, Relaxed);
    drop(back);
    while !collected.load(SeqCst) {
        section.safepoint();
        std::thread::yield_now();
    }
    assert_eq!(
        DROPS.load(SeqCst),
        0,
        "the region kept it through the collection"
    );
    words[0].store(0, Relaxed);
    drop(region);
    drop(section);
    collector.join().unwrap();
    collect_now();
    assert_eq!(DROPS.load(SeqCst), 1);
}

#[test]
fn two_threads_in_sections_collect_without_deadlock() {
    const ROUNDS: usize = if cfg!(miri) { 3 } else { 200 };
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let threads: Vec<_> = (0..2)
        .map(|_| {
            std::thread::spawn(|| {
                let section = MutatorSection::enter();
                let words: Vec<AtomicUsize> = vec![AtomicUsize::new(0)];
                let region = ConservativeRegion::register(&section, &words);
                let kept = Gc::new(Counted(0, &DROPS));
                words[0].store(Gc::as_ptr(&kept) as usize, Relaxed);
                drop(kept);
                for i in 0..ROUNDS {
                    drop(Gc::new(Counted(i as u64, &DROPS)));
                    if i % 8 == 0 {
                        collect();
                    }
                    section.safepoint();
                }
                let back: Gc<Counted> =
                    Gc::from_interior(words[0].load(Relaxed) as *const u8).expect("kept");
                assert_eq!(back.0, 0);
                drop(region);
                drop(section);
                drop(back);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    collect_now();
    assert_eq!(DROPS.load(SeqCst), 2 * (ROUNDS + 1));
}

#[test]
fn a_leaked_section_ends_with_its_thread() {
    std::thread::spawn(|| {
        core::mem::forget(MutatorSection::enter());
        drop(Gc::new(1_u8));
    })
    .join()
    .unwrap();
    // Would wait forever for the exited thread's safepoint otherwise.
    collect_now();
}
