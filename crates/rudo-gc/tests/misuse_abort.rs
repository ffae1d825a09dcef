//! Misuse catalogue (`docs/misuse.md`): the two misuses that abort the
//! process. Each test runs itself again as a child process (the same test
//! binary, this one test, an environment variable telling it to misbehave)
//! and checks that the child aborted with the catalogue's message.
#![cfg(not(miri))] // Miri cannot start processes.

use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use rudo_gc::{Gc, Trace, Visitor, Weak, collect};

/// Set in the child: the name of the test that should misbehave.
const CHILD: &str = "RUDO_GC_MISUSE_ABORT_CHILD";

/// Whether this process is the child for `test`.
fn is_child(test: &str) -> bool {
    std::env::var(CHILD).is_ok_and(|t| t == test)
}

/// Runs `test` as a child and returns what it did.
fn run_child(test: &str) -> Output {
    Command::new(std::env::current_exe().expect("the test binary"))
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, test)
        .output()
        .expect("the test binary runs")
}

/// Checks that the child aborted (SIGABRT) after printing `message`.
fn assert_aborted_with(output: &Output, message: &str) {
    use std::os::unix::process::ExitStatusExt;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.signal(),
        Some(6),
        "the child aborts (status {:?}); its stderr:\n{stderr}",
        output.status
    );
    assert!(
        stderr.contains(message),
        "the message is printed; stderr:\n{stderr}"
    );
}

/// Calls of `FixUpPanics::trace`.
static TRACED: AtomicUsize = AtomicUsize::new(0);

/// A value whose destructor the collector skips (`NEEDS_DROP = false`) and
/// that owns a `Weak`: when it dies, the collector traces it a second time
/// to release the `Weak` (the fix-up). That second trace panics.
struct FixUpPanics {
    weak: Weak<u32>,
}

// SAFETY: visits its one `Weak` once; deliberately panics on its second
// trace, which the collector answers with an abort.
unsafe impl Trace for FixUpPanics {
    const NEEDS_DROP: bool = false;
    fn trace(&self, v: &mut Visitor) {
        if TRACED.fetch_add(1, SeqCst) >= 1 {
            panic!("the second trace panics");
        }
        self.weak.trace(v);
    }
}

#[test]
fn a_panic_in_the_fix_up_trace_aborts_with_its_message() {
    const TEST: &str = "a_panic_in_the_fix_up_trace_aborts_with_its_message";
    if is_child(TEST) {
        let target = Gc::new(1_u32);
        drop(Gc::new(FixUpPanics {
            weak: Gc::downgrade(&target),
        }));
        collect();
        unreachable!("the fix-up panic aborts the process");
    }
    let output = run_child(TEST);
    assert_aborted_with(
        &output,
        "rudo-gc: `Trace::trace` of a `misuse_abort::FixUpPanics` panicked while the collector \
         was releasing a dead object's references; the heap's reference counts can no longer be \
         kept consistent, so the process aborts. `trace` must not panic (see the safety section \
         of `Trace`).",
    );
}

/// 2^31 increments: release builds only (seconds there, minutes in debug).
#[test]
#[cfg(not(debug_assertions))]
fn overflowing_a_reference_count_aborts_with_its_message() {
    const TEST: &str = "overflowing_a_reference_count_aborts_with_its_message";
    if is_child(TEST) {
        let value = Gc::new(1_u8);
        loop {
            std::mem::forget(value.clone());
        }
    }
    let output = run_child(TEST);
    assert_aborted_with(&output, "rudo-gc: reference count overflow; aborting");
}
