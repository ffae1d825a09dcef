//! Handle scopes: rooting, nesting, escaping, sealing, and the LIFO rule.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use rudo_gc::handles::{
    self, EscapeableHandleScope, Handle, HandleScope, MaybeHandle, SealedHandleScope,
};
use rudo_gc::heap::current_thread_control_block;
use rudo_gc::{Gc, GcCell, Trace, Weak, collect, collect_minor};

#[derive(Trace)]
#[gc(unsafe_drop)]
struct Counted {
    value: u64,
    drops: Rc<Cell<usize>>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

fn counted(value: u64, drops: &Rc<Cell<usize>>) -> Gc<Counted> {
    Gc::new(Counted {
        value,
        drops: drops.clone(),
    })
}

fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn handles_keep_objects_alive_without_any_gc() {
    let drops = Rc::new(Cell::new(0));
    let tcb = current_thread_control_block().unwrap();
    let weak;
    {
        let scope = HandleScope::new(&tcb);
        let h = scope.handle(&counted(7, &drops));
        weak = Gc::downgrade(&h.to_gc());
        collect();
        collect_minor();
        collect();
        assert_eq!(h.value, 7);
        assert_eq!(drops.get(), 0);
    }
    // Leaving the scope released the root.
    collect();
    assert_eq!(drops.get(), 1);
    assert!(weak.upgrade().is_none());
}

#[test]
fn ten_thousand_handles_in_one_scope_span_many_blocks() {
    const N: u64 = if cfg!(miri) { 600 } else { 10_000 };
    let drops = Rc::new(Cell::new(0));
    handles::scope(|s| {
        let hs: Vec<Handle<'_, Counted>> = (0..N).map(|i| s.handle(&counted(i, &drops))).collect();
        collect();
        assert_eq!(drops.get(), 0);
        assert_eq!(hs.iter().map(|h| h.value).sum::<u64>(), N * (N - 1) / 2);
    });
    collect();
    assert_eq!(drops.get(), N as usize);
}

#[test]
fn nested_scopes_a_hundred_deep_release_level_by_level() {
    const DEPTH: u64 = if cfg!(miri) { 12 } else { 100 };
    let drops = Rc::new(Cell::new(0));
    let tcb = current_thread_control_block().unwrap();
    fn nest(tcb: &rudo_gc::heap::ThreadControlBlock, depth: u64, drops: &Rc<Cell<usize>>) {
        let scope = HandleScope::new(tcb);
        let h = scope.handle(&counted(depth, drops));
        if depth < DEPTH {
            nest(tcb, depth + 1, drops);
        }
        collect();
        // Everything deeper was released by the inner scopes.
        assert_eq!(drops.get(), (DEPTH - depth) as usize);
        assert_eq!(h.value, depth);
    }
    nest(&tcb, 1, &drops);
    collect();
    assert_eq!(drops.get(), DEPTH as usize);
}

#[test]
fn escaped_handle_survives_the_inner_scope_and_collections() {
    let drops = Rc::new(Cell::new(0));
    let tcb = current_thread_control_block().unwrap();
    let outer = HandleScope::new(&tcb);
    let escaped = {
        let inner = EscapeableHandleScope::new(&outer);
        let temp = inner.handle(&counted(1, &drops));
        let keep = inner.handle(&counted(2, &drops));
        assert_eq!(temp.value, 1);
        inner.escape(keep)
    };
    collect();
    assert_eq!(drops.get(), 1, "the non-escaped handle's object was freed");
    assert_eq!(escaped.value, 2);
    drop(outer);
    collect();
    assert_eq!(drops.get(), 2);
}

#[test]
fn escaping_twice_panics_with_a_clear_message() {
    handles::scope(|outer| {
        let inner = EscapeableHandleScope::new(outer);
        let h = inner.handle(&Gc::new(1));
        let _first = inner.escape(h);
        let message = panic_message(|| {
            inner.escape(h);
        });
        assert!(message.contains("escape called twice"), "{message}");
    });
}

#[test]
fn dropping_an_outer_scope_first_panics_and_releases_it_after_the_inner_one() {
    let drops = Rc::new(Cell::new(0));
    let tcb = current_thread_control_block().unwrap();
    let base = HandleScope::new(&tcb);
    let outer = HandleScope::new(&tcb);
    outer.handle(&counted(1, &drops));
    let inner = HandleScope::new(&tcb);
    let b = inner.handle(&counted(2, &drops));
    let message = panic_message(|| drop(outer));
    assert!(message.contains("reverse order of creation"), "{message}");
    collect();
    // The inner scope's slots were not released: its handle is intact.
    assert_eq!(b.value, 2);
    assert_eq!(drops.get(), 0);
    drop(inner);
    // Both the inner scope and the abandoned outer one are closed now.
    collect();
    assert_eq!(drops.get(), 2);
    drop(base);
}

#[test]
fn scopes_dropped_out_of_order_while_unwinding_do_not_abort() {
    // Fields drop in declaration order: the outer scope goes first. During
    // an unwind that must not panic again (which would abort): the first
    // panic comes through, and both scopes are closed once the inner one is.
    struct Backwards<'tcb> {
        outer: HandleScope<'tcb>,
        inner: HandleScope<'tcb>,
    }
    let drops = Rc::new(Cell::new(0));
    let tcb = current_thread_control_block().unwrap();
    let message = panic_message(|| {
        let scopes = Backwards {
            outer: HandleScope::new(&tcb),
            inner: HandleScope::new(&tcb),
        };
        assert!(format!("{:?}", scopes.outer).contains("level"));
        scopes.inner.handle(&counted(1, &drops));
        panic!("the first panic");
    });
    assert_eq!(message, "the first panic");
    collect();
    assert_eq!(drops.get(), 1, "both scopes closed, the handle released");
    // The thread's scopes work as before.
    handles::scope(|s| assert_eq!(s.handle(&Gc::new(5)).get(), &5));
}

#[test]
fn creating_a_handle_in_an_outer_scope_while_an_inner_is_open_panics() {
    let tcb = current_thread_control_block().unwrap();
    let outer = HandleScope::new(&tcb);
    let _inner = HandleScope::new(&tcb);
    let message = panic_message(|| {
        outer.handle(&Gc::new(1));
    });
    assert!(message.contains("innermost scope"), "{message}");
}

#[test]
fn scopes_only_open_on_their_own_thread() {
    let tcb = current_thread_control_block().unwrap();
    let message = std::thread::spawn(move || panic_message(|| drop(HandleScope::new(&tcb))))
        .join()
        .unwrap();
    assert!(message.contains("another thread"), "{message}");
}

#[test]
#[cfg(debug_assertions)]
fn sealed_scope_panics_on_handle_creation_naming_itself() {
    let tcb = current_thread_control_block().unwrap();
    let outer = HandleScope::new(&tcb);
    let sealed = SealedHandleScope::new(&tcb);
    let message = panic_message(|| {
        outer.handle(&Gc::new(1));
    });
    assert!(
        message.contains("SealedHandleScope created at"),
        "{message}"
    );
    assert!(message.contains("handles_scope.rs"), "{message}");
    {
        let inner = HandleScope::new(&tcb);
        assert_eq!(
            *inner.handle(&Gc::new(5)),
            5,
            "a new scope inside is allowed"
        );
    }
    drop(sealed);
    assert_eq!(*outer.handle(&Gc::new(6)), 6, "unsealed again");
}

#[test]
#[cfg(not(debug_assertions))]
fn sealed_scope_is_a_zero_sized_no_op_in_release() {
    assert_eq!(std::mem::size_of::<SealedHandleScope<'_>>(), 0);
    let tcb = current_thread_control_block().unwrap();
    let outer = HandleScope::new(&tcb);
    let _sealed = SealedHandleScope::new(&tcb);
    assert_eq!(*outer.handle(&Gc::new(6)), 6);
}

#[test]
fn handles_root_young_objects_in_minor_collections() {
    let drops = Rc::new(Cell::new(0));
    handles::scope(|s| {
        let h = s.handle(&counted(3, &drops));
        collect_minor();
        assert_eq!((h.value, drops.get()), (3, 0));
    });
    collect_minor();
    collect();
    assert_eq!(drops.get(), 1);
}

#[test]
fn handle_to_a_cycle_keeps_the_whole_cycle() {
    #[derive(Trace)]
    struct Node {
        next: GcCell<Option<Gc<Node>>>,
    }
    let watch: Weak<Node> = handles::scope(|s| {
        let a = Gc::new(Node {
            next: GcCell::new(None),
        });
        let b = Gc::new(Node {
            next: GcCell::new(Some(a.clone())),
        });
        *a.next.borrow_mut() = Some(b.clone());
        let watch = Gc::downgrade(&b);
        let h = s.handle(&a);
        drop((a, b));
        collect();
        assert!(watch.upgrade().is_some());
        assert!(h.next.borrow().is_some());
        watch
    });
    collect();
    assert!(watch.upgrade().is_none());
}

#[test]
fn handle_api_delegates_and_converts() {
    handles::scope(|s| {
        let a = s.handle(&Gc::new(String::from("x")));
        let b = a; // Copy
        assert_eq!(a, b);
        assert!(Handle::ptr_eq(&a, &b));
        assert_eq!(format!("{a} {b:?}"), "x \"x\"");
        assert_eq!(a.get().len(), 1);
        let gc = a.to_gc();
        assert_eq!(Gc::ref_count(&gc), 1);
        let maybe: MaybeHandle<'_, String> = MaybeHandle::default();
        assert!(maybe.is_empty());
        let full = MaybeHandle::from(a);
        assert_eq!(*full.unwrap(), "x");
        let s2: Gc<str> = Gc::from("unsized");
        assert_eq!(&*s.handle(&s2), "unsized");
    });
}
