//! Misuse catalogue (`docs/misuse.md`): the rows whose outcome no other test
//! checks. Each test checks exactly the outcome the catalogue states.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use common::{Counted, collect_now, panic_message};
use rudo_gc::{Gc, Trace, Visitor, collect};

/// While set, `VisitsTwice` visits its child twice.
static BROKEN: AtomicBool = AtomicBool::new(true);

/// A node whose `Trace` visits its child twice (while `BROKEN`): a broken
/// `unsafe impl`.
struct VisitsTwice {
    child: Gc<Counted>,
}

// SAFETY: deliberately broken (visits `child` twice) to check that the
// collector catches it; the test keeps the case where it is caught.
unsafe impl Trace for VisitsTwice {
    fn trace(&self, v: &mut Visitor) {
        self.child.trace(v);
        if BROKEN.load(SeqCst) {
            self.child.trace(v);
        }
    }
}

#[test]
fn a_trace_that_visits_a_gc_twice_is_caught_when_the_visits_exceed_its_count() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    // The child's only reference is the parent's: one strong count, two
    // visits.
    let parent = Gc::new(VisitsTwice {
        child: Gc::new(Counted(1, &DROPS)),
    });
    let caught = std::panic::catch_unwind(collect).expect_err("the double visit is caught");
    let message = panic_message(&*caught);
    assert!(
        message.contains("visited a `Gc<") && message.contains("more often than it owns one"),
        "{message}"
    );
    assert!(
        message.contains("Counted"),
        "names the target type: {message}"
    );
    assert_eq!(DROPS.load(SeqCst), 0, "nothing was freed");
    assert_eq!(parent.child.0, 1, "the child is intact");
    // Fixed, the same objects collect normally.
    BROKEN.store(false, SeqCst);
    drop(parent);
    collect_now();
    assert_eq!(DROPS.load(SeqCst), 1);
}
