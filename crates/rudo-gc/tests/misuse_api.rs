//! Misuse catalogue (`docs/misuse.md`): API misuse whose outcome no other
//! test checks: cell and lock misuse, handle-scope misuse, values the heap
//! cannot hold, a wrong `NEEDS_DROP`, and heap use during thread teardown.
//! Each test checks exactly the outcome the catalogue states.

mod common;

use std::cell::RefCell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use common::{Counted, collect_now, panic_message};
use rudo_gc::handles::{self, EscapeableHandleScope, HandleScope, MaybeHandle, SealedHandleScope};
use rudo_gc::heap::current_thread_control_block;
use rudo_gc::roots::{ConservativeRegion, MutatorSection};
use rudo_gc::{Gc, GcCell, GcMutex, Trace, Visitor};

/// The message `f` panics with (it must panic).
fn caught(f: impl FnOnce()) -> String {
    let payload =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).expect_err("the misuse panics");
    panic_message(&*payload)
}

#[test]
fn borrowing_a_gc_cell_mutably_while_borrowed_panics_with_its_message() {
    let cell = Gc::new(GcCell::new(1));
    let shared = cell.borrow();
    let message = caught(|| drop(cell.borrow_mut()));
    assert_eq!(
        message,
        "GcCell already borrowed: drop every GcRef/GcRefMut before borrowing mutably"
    );
    for (name, f) in [
        (
            "replace",
            Box::new(|| {
                let _ = cell.replace(2);
            }) as Box<dyn Fn()>,
        ),
        (
            "replace_with",
            Box::new(|| {
                let _ = cell.replace_with(|v| *v + 1);
            }),
        ),
        (
            "take",
            Box::new(|| {
                let _ = cell.take();
            }),
        ),
        ("swap", Box::new(|| cell.swap(&GcCell::new(3)))),
    ] {
        let message = caught(f);
        assert!(
            message.starts_with("GcCell already borrowed"),
            "{name}: {message}"
        );
    }
    drop(shared);
    assert_eq!(*cell.borrow(), 1, "nothing changed");
}

#[test]
fn borrowing_a_gc_cell_while_mutably_borrowed_panics_with_its_message() {
    let cell = Gc::new(GcCell::new(1));
    let mut exclusive = cell.borrow_mut();
    *exclusive = 2;
    let message = caught(|| drop(cell.borrow()));
    assert_eq!(
        message,
        "GcCell already mutably borrowed: drop the GcRefMut before borrowing again"
    );
    drop(exclusive);
    assert_eq!(*cell.borrow(), 2);
}

#[test]
fn a_gc_mutex_is_not_reentrant() {
    // `lock` on the thread that holds the lock would deadlock ("like
    // `std`'s mutex", documented on `lock`): the lock is held, which
    // `try_lock` shows without waiting.
    let mutex = Gc::new(GcMutex::new(1));
    let guard = mutex.lock();
    assert!(mutex.try_lock().is_none(), "the holder cannot lock again");
    drop(guard);
    assert_eq!(*mutex.try_lock().expect("free again"), 1);
}

#[test]
fn an_escapeable_scope_needs_the_innermost_scope_as_its_parent() {
    let tcb = current_thread_control_block().unwrap();
    let outer = HandleScope::new(&tcb);
    let inner = HandleScope::new(&tcb);
    let message = caught(|| drop(EscapeableHandleScope::new(&outer)));
    assert_eq!(
        message,
        "rudo-gc: EscapeableHandleScope::new needs the innermost open scope as its parent"
    );
    drop(inner);
    // Innermost again, `outer` works as a parent.
    let escapeable = EscapeableHandleScope::new(&outer);
    let h = escapeable.handle(&Gc::new(4));
    let escaped = escapeable.escape(h);
    drop(escapeable);
    assert_eq!(*escaped, 4);
}

#[test]
#[cfg(debug_assertions)]
fn a_sealed_scope_on_another_threads_block_panics_in_debug_builds() {
    let tcb = current_thread_control_block().unwrap();
    let message = std::thread::spawn(move || caught(|| drop(SealedHandleScope::new(&tcb))))
        .join()
        .unwrap();
    assert!(
        message.starts_with(
            "rudo-gc: SealedHandleScope::new on a ThreadControlBlock of another thread"
        ),
        "{message}"
    );
    assert!(
        message.contains("call current_thread_control_block() on the thread that uses the scope"),
        "{message}"
    );
}

#[test]
fn unwrapping_an_empty_maybe_handle_panics_with_its_message() {
    handles::scope(|_| {
        let empty: MaybeHandle<'_, u32> = MaybeHandle::from(None);
        assert!(empty.is_empty());
        let message = caught(|| {
            let _ = empty.unwrap();
        });
        assert_eq!(message, "MaybeHandle::unwrap on an empty MaybeHandle");
    });
}

#[test]
fn a_value_aligned_to_more_than_half_a_page_is_refused_before_allocating() {
    #[repr(align(32768))]
    struct Huge(#[allow(dead_code)] u8);
    // SAFETY: holds no `Gc`.
    unsafe impl Trace for Huge {
        fn trace(&self, _: &mut Visitor) {}
    }
    let before = rudo_gc::stats().heap_bytes;
    let message = caught(|| drop(Gc::new(Huge(1))));
    assert_eq!(
        message,
        "rudo-gc: values aligned to more than 16384 bytes cannot be stored in a Gc"
    );
    assert_eq!(rudo_gc::stats().heap_bytes, before, "nothing was allocated");
    // Half a page is the most, and works.
    #[repr(align(16384))]
    struct Largest(u8);
    // SAFETY: holds no `Gc`.
    unsafe impl Trace for Largest {
        fn trace(&self, _: &mut Visitor) {}
    }
    let largest = Gc::new(Largest(2));
    assert_eq!(largest.0, 2);
    assert_eq!(Gc::as_ptr(&largest) as usize % 16384, 0);
}

#[test]
fn a_wrong_needs_drop_of_false_leaks_what_the_destructor_would_release() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    /// Claims it needs no destructor, but holds one that counts.
    struct Claims(Counted);
    // SAFETY: holds no `Gc`; `NEEDS_DROP = false` is wrong, which is safe
    // (the collector skips the destructor: a leak).
    unsafe impl Trace for Claims {
        const NEEDS_DROP: bool = false;
        fn trace(&self, _: &mut Visitor) {}
    }
    let value = Gc::new(Claims(Counted(1, &DROPS)));
    assert_eq!((value.0).0, 1);
    drop(value);
    collect_now();
    assert_eq!(DROPS.load(SeqCst), 0, "the destructor was skipped: leaked");
    // With the default `NEEDS_DROP`, the same payload is dropped.
    drop(Gc::new(Counted(2, &DROPS)));
    collect_now();
    assert_eq!(DROPS.load(SeqCst), 1);
}

/// Messages of the heap uses a thread-local destructor tried after the
/// heap was destroyed.
static TEARDOWN: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Touched before the thread's first heap use, so it is destroyed after
/// the heap (destructors run in reverse order of registration).
struct LateUser {
    section: Option<MutatorSection>,
}

impl Drop for LateUser {
    fn drop(&mut self) {
        // Nothing may escape a thread-local destructor: every outcome is
        // recorded, a missing panic too.
        fn outcome(f: impl FnOnce()) -> String {
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
                Ok(()) => "(no panic)".to_owned(),
                Err(payload) => panic_message(&*payload),
            }
        }
        let mut messages = vec![
            outcome(|| drop(Gc::new(1_u32))),
            outcome(|| handles::scope(|_| ())),
        ];
        let words = [AtomicUsize::new(0)];
        if let Some(section) = &self.section {
            messages.push(outcome(|| {
                drop(ConservativeRegion::register(section, &words))
            }));
        }
        // The section entered while the heap was alive ends quietly; a new
        // one cannot start.
        messages.push(outcome(|| drop(self.section.take())));
        messages.push(outcome(|| drop(MutatorSection::enter())));
        TEARDOWN
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(messages);
    }
}

thread_local! {
    static LATE_USER: RefCell<LateUser> = const { RefCell::new(LateUser { section: None }) };
}

#[test]
fn heap_use_from_a_thread_local_destructor_after_teardown_panics_with_clear_messages() {
    std::thread::spawn(|| {
        LATE_USER.with(|_| {}); // registered before the heap
        drop(Gc::new(0_u8)); // the heap's destructor registers now
        let section = MutatorSection::enter();
        LATE_USER.with(|l| l.borrow_mut().section = Some(section));
    })
    .join()
    .expect("the thread exits cleanly");
    let messages = TEARDOWN.lock().unwrap().clone();
    assert_eq!(
        messages,
        [
            "rudo-gc: cannot allocate a Gc on this thread because its heap has already been \
             destroyed (thread-local destructors are running); allocate before thread exit",
            "rudo-gc: handles::scope called during thread teardown; open scopes before the \
             thread exits",
            "rudo-gc: cannot register a ConservativeRegion during thread teardown (the thread's \
             heap is gone)",
            "(no panic)",
            "rudo-gc: cannot enter a MutatorSection on this thread because its heap has already \
             been destroyed (thread-local destructors are running); enter it before thread exit",
        ]
    );
}

#[test]
fn a_snapshot_to_a_failing_writer_returns_its_error_and_the_heap_works_on() {
    struct Broken;
    impl std::io::Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let kept = Gc::new(3_u8);
    let error = rudo_gc::heap::write_snapshot(Broken).expect_err("the writer fails");
    assert_eq!(error.to_string(), "disk full");
    assert_eq!(*kept, 3);
    collect_now();
    assert_eq!(*Gc::new(4_u8), 4);
}
