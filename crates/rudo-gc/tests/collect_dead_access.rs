//! A destructor (of a `#[gc(unsafe_drop)]` type) that reaches an object dying
//! in the same collection gets a checked panic, in every build, whatever it
//! does with it: dereference, clone, stash and read later, downgrade and
//! upgrade, or root it in a handle. Never a read of a dropped value.

use std::cell::RefCell;
use std::sync::Mutex;

use rudo_gc::handles::{self, AsyncHandleScope};
use rudo_gc::{
    DropPanic, Gc, GcCell, GcMutex, Trace, Weak, collect, set_drop_panic_hook, take_drop_panic_hook,
};

mod common;
use common::panic_message;

/// What a `Peer`'s destructor does with the other peer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Action {
    Deref,
    Clone,
    Stash,
    Downgrade,
    Handle,
}

#[derive(Trace)]
#[gc(unsafe_drop)]
struct Peer {
    name: String,
    other: GcCell<Option<Gc<Peer>>>,
    #[gc(skip)]
    action: Action,
}

thread_local! {
    static STASH: RefCell<Vec<Gc<Peer>>> = const { RefCell::new(Vec::new()) };
    static WEAKS: RefCell<Vec<Weak<Peer>>> = const { RefCell::new(Vec::new()) };
}

impl Drop for Peer {
    fn drop(&mut self) {
        if self.other.borrow().is_none() {
            return;
        }
        match self.action {
            Action::Deref => {
                let other = self.other.borrow();
                let len = other.as_ref().unwrap().name.len();
                assert!(len > 0);
            }
            Action::Clone => {
                let clone = self.other.borrow().as_ref().unwrap().clone();
                STASH.with(|s| s.borrow_mut().push(clone));
            }
            Action::Stash => {
                let moved = self.other.borrow_mut().take().unwrap();
                STASH.with(|s| s.borrow_mut().push(moved));
            }
            Action::Downgrade => {
                let weak = Gc::downgrade(self.other.borrow().as_ref().unwrap());
                WEAKS.with(|w| w.borrow_mut().push(weak));
            }
            Action::Handle => handles::scope(|scope| {
                let h = scope.handle(self.other.borrow().as_ref().unwrap());
                assert!(!h.name.is_empty());
            }),
        }
    }
}

/// Two peers in a garbage cycle, each acting on the other when dropped.
fn dead_pair(action: Action) {
    let peer = |name: &str| {
        Gc::new(Peer {
            name: name.repeat(8),
            other: GcCell::new(None),
            action,
        })
    };
    let (a, b) = (peer("a"), peer("b"));
    *a.other.borrow_mut() = Some(b.clone());
    *b.other.borrow_mut() = Some(a.clone());
}

static MESSAGES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The drop-panic hook is process-wide: one test at a time installs it.
static SERIAL: Mutex<()> = Mutex::new(());

/// Kills a pair acting with `action`; returns the destructor panics reported.
fn destructor_panics(action: Action) -> Vec<String> {
    destructor_panics_of(|| dead_pair(action))
}

/// Runs `make_garbage`, collects, and returns the destructor panics
/// reported meanwhile.
fn destructor_panics_of(make_garbage: impl FnOnce()) -> Vec<String> {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    MESSAGES.lock().unwrap().clear();
    set_drop_panic_hook(|report: &DropPanic<'_>| {
        let message = report.message().unwrap_or("").to_owned();
        MESSAGES.lock().unwrap().push(message);
    });
    make_garbage();
    collect();
    drop(take_drop_panic_hook());
    core::mem::take(&mut *MESSAGES.lock().unwrap())
}

fn assert_dead_access(messages: &[String]) {
    assert_eq!(messages.len(), 2, "both destructors panicked: {messages:?}");
    for m in messages {
        assert!(
            m.contains("found dead") && m.contains("unsafe_drop"),
            "a clear message: {m}"
        );
    }
}

#[test]
fn dereferencing_a_dead_object_in_a_destructor_panics_in_every_build() {
    assert_dead_access(&destructor_panics(Action::Deref));
}

#[test]
fn cloning_a_dead_object_in_a_destructor_panics_in_every_build() {
    assert_dead_access(&destructor_panics(Action::Clone));
    assert!(STASH.with(|s| s.borrow().is_empty()), "no clone escaped");
}

#[test]
fn a_dead_object_moved_out_by_a_destructor_panics_when_read_later() {
    assert!(destructor_panics(Action::Stash).is_empty());
    let stashed = STASH.with(|s| core::mem::take(&mut *s.borrow_mut()));
    assert_eq!(stashed.len(), 2);
    for gc in &stashed {
        let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| gc.name.len()))
            .expect_err("a checked panic");
        assert!(panic_message(&*payload).contains("found dead"));
        assert!(Gc::downgrade(gc).upgrade().is_none());
    }
    // Releasing them frees the slots at the next collection.
    drop(stashed);
    collect();
}

#[test]
fn a_weak_made_by_a_destructor_from_a_dead_object_never_upgrades() {
    assert!(destructor_panics(Action::Downgrade).is_empty());
    let weaks = WEAKS.with(|w| core::mem::take(&mut *w.borrow_mut()));
    assert_eq!(weaks.len(), 2);
    assert!(weaks.iter().all(|w| w.upgrade().is_none()));
    assert!(weaks.iter().all(|w| w.strong_count() == 0));
}

#[test]
fn rooting_a_dead_object_in_a_handle_panics_in_every_build() {
    assert_dead_access(&destructor_panics(Action::Handle));
}

/// A `Send + Sync` peer whose destructor roots the other peer in an
/// `AsyncHandleScope`.
#[derive(Trace)]
#[gc(unsafe_drop)]
struct SyncPeer {
    other: GcMutex<Option<Gc<SyncPeer>>>,
}

impl Drop for SyncPeer {
    fn drop(&mut self) {
        let other = self.other.lock();
        if let Some(other) = other.as_ref() {
            let scope = AsyncHandleScope::new();
            let handle = scope.handle(other);
            assert!(handle.get().other.lock().is_some());
        }
    }
}

#[test]
fn rooting_a_dead_object_in_an_async_handle_scope_panics_in_every_build() {
    let messages = destructor_panics_of(|| {
        let a = Gc::new(SyncPeer {
            other: GcMutex::new(None),
        });
        let b = Gc::new(SyncPeer {
            other: GcMutex::new(Some(a.clone())),
        });
        *a.other.lock() = Some(b);
    });
    assert_dead_access(&messages);
}

/// The live part of the heap is unaffected: a survivor that pointed into the
/// dead pair through a `Weak` reads `None`, and new objects work.
#[test]
fn the_heap_works_after_dead_accesses() {
    for action in [Action::Deref, Action::Clone, Action::Handle] {
        assert_eq!(destructor_panics(action).len(), 2);
    }
    let survivor = Gc::new(Peer {
        name: "survivor".into(),
        other: GcCell::new(None),
        action: Action::Deref,
    });
    *survivor.other.borrow_mut() = Some(survivor.clone());
    collect();
    assert_eq!(survivor.other.borrow().as_ref().unwrap().name, "survivor");
    // Break the self-cycle before it dies (its destructor would otherwise
    // dereference itself), and let it die.
    *survivor.other.borrow_mut() = None;
    drop(survivor);
    assert!(destructor_panics(Action::Deref).len() == 2);
}
