//! Handle slots stay roots for as long as a handle to them can exist, whatever
//! the state of the thread that made them: after it exited (a leaked scope), in
//! its late thread-local destructors, and when its control block outlives it.

mod common;

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::thread;

use common::collect_now;
use rudo_gc::handles::HandleScope;
use rudo_gc::heap::{ThreadControlBlock, current_thread_control_block, find_gc_box};
use rudo_gc::{Gc, Trace, Visitor, collect, sweep_pending};

/// A `!Send` value that must be dropped on the thread that made it, if ever.
struct HomeBound {
    value: u64,
    home: thread::ThreadId,
    drops: Arc<AtomicUsize>,
    /// Makes the type `!Send`, like a value holding an `Rc`.
    _not_send: core::marker::PhantomData<*const ()>,
}

impl HomeBound {
    fn new(value: u64, drops: &Arc<AtomicUsize>) -> Gc<HomeBound> {
        Gc::new(HomeBound {
            value,
            home: thread::current().id(),
            drops: drops.clone(),
            _not_send: core::marker::PhantomData,
        })
    }
}

impl Drop for HomeBound {
    fn drop(&mut self) {
        // Counted first: a drop on the wrong thread is caught by the
        // collector and reported, so the count is what the tests check.
        if thread::current().id() == self.home {
            self.drops.fetch_add(1, SeqCst);
        } else {
            self.drops.fetch_add(1_000, SeqCst);
        }
    }
}

// SAFETY: owns no `Gc`.
unsafe impl Trace for HomeBound {
    fn trace(&self, _: &mut Visitor) {}
}

/// What a test leaks on purpose, kept reachable from a static so that
/// Miri's leak checker does not report it.
struct Leaked(#[allow(dead_code)] *const ());

// SAFETY: only ever stored, never dereferenced.
unsafe impl Send for Leaked {}

static LEAKED: std::sync::Mutex<Vec<Leaked>> = std::sync::Mutex::new(Vec::new());

/// `Box::leak`, reachable from `LEAKED`.
fn leak<T>(value: T) -> &'static T {
    let leaked: &'static T = Box::leak(Box::new(value));
    LEAKED
        .lock()
        .unwrap()
        .push(Leaked((leaked as *const T).cast()));
    leaked
}

/// Churns the heap so that a freed slot would be reused.
fn churn() {
    if !cfg!(miri) {
        collect_now();
    }
    let n = if cfg!(miri) { 8 } else { 64 };
    let garbage: Vec<Gc<String>> = (0..n).map(|i| Gc::new(format!("churn {i}"))).collect();
    drop(garbage);
    collect_now();
    sweep_pending();
}

/// The reproduction: a leaked scope yields a `&'static String` that
/// crosses threads; the thread exits; collections must still see the slot.
#[test]
fn a_leaked_scope_roots_its_handles_after_its_thread_exits() {
    let (tx, rx) = mpsc::channel::<&'static String>();
    thread::spawn(move || {
        let tcb: &'static Arc<ThreadControlBlock> = leak(current_thread_control_block().unwrap());
        let scope: &'static HandleScope<'static> = leak(HandleScope::new(tcb));
        tx.send(scope.handle(&Gc::new(String::from("x"))).get())
            .unwrap();
    })
    .join()
    .unwrap();
    let r = rx.recv().unwrap();
    churn();
    let info = find_gc_box((r as *const String).cast()).expect("the handle's object is alive");
    assert!(info.type_name.contains("String"), "{}", info.type_name);
    assert_eq!(r, "x");
}

thread_local! {
    /// Touched before the thread's first heap operation, so destroyed after
    /// the thread's record: its destructor runs in the thread's teardown.
    static EARLY: RefCell<Option<Teardown>> = const { RefCell::new(None) };
}

/// Runs a closure when `EARLY` is destroyed.
struct Teardown(Option<Box<dyn FnOnce()>>);

impl Drop for Teardown {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

/// A handle created by a thread-local destructor after the thread's record is
/// gone roots its object, and the `Gc` that destructor releases stays
/// counted: nothing of it may be freed while the handle reads it.
#[test]
fn a_handle_created_during_thread_teardown_roots_its_object() {
    // What the teardown saw: the object's address, whether a lookup still
    // found it after two collections, and what the handle read. (Asserting
    // inside a thread-local destructor would abort the process.)
    let (tx, rx) = mpsc::channel::<(usize, bool, [u64; 4])>();
    thread::spawn(move || {
        EARLY.with(|e| assert!(e.borrow().is_none())); // registered first
        let tcb = current_thread_control_block().unwrap();
        let gc = Gc::new([7_u64; 4]);
        EARLY.with(|e| {
            *e.borrow_mut() = Some(Teardown(Some(Box::new(move || {
                let scope = HandleScope::new(&tcb);
                let h = scope.handle(&gc);
                drop(gc);
                collect();
                collect();
                let addr = h.get() as *const [u64; 4];
                let alive = find_gc_box(addr.cast()).is_some();
                tx.send((addr as usize, alive, *h)).unwrap();
            }))));
        });
    })
    .join()
    .unwrap();
    let (addr, alive, read) = rx.recv().unwrap();
    assert!(alive, "the handle's object was freed during teardown");
    assert_eq!(read, [7; 4]);
    churn();
    // The late release kept its count (an exited thread's releases leak), so
    // the object is still there.
    assert!(find_gc_box(core::ptr::without_provenance(addr)).is_some());
}

/// A scope that was forgotten keeps its slots; when its control block is
/// finally dropped (here on another thread, after the owner exited), the
/// objects those slots rooted are leaked, never dropped off their home thread.
#[test]
fn a_forgotten_scope_leaks_its_objects_when_its_control_block_goes() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let (tx, rx) = mpsc::channel::<Arc<ThreadControlBlock>>();
    let weak_addr = thread::spawn(move || {
        let tcb = current_thread_control_block().unwrap();
        let object = HomeBound::new(5, &d);
        let addr = Gc::as_ptr(&object) as usize;
        let scope = HandleScope::new(&tcb);
        let _ = scope.handle(&object);
        core::mem::forget(scope);
        drop(object);
        tx.send(tcb).unwrap();
        addr
    })
    .join()
    .unwrap();
    let tcb = rx.recv().unwrap();
    churn();
    assert!(
        find_gc_box(core::ptr::without_provenance(weak_addr)).is_some(),
        "the control block is alive, so its slots are roots"
    );
    drop(tcb);
    churn();
    churn();
    assert_eq!(drops.load(SeqCst), 0, "leaked, not dropped elsewhere");
    assert!(find_gc_box(core::ptr::without_provenance(weak_addr)).is_some());
}

thread_local! {
    static EARLY_SCOPE: RefCell<Option<HandleScope<'static>>> = const { RefCell::new(None) };
}

/// A scope held by a thread-local that outlives the thread's record closes in
/// the thread's teardown; the objects only its handles rooted must not then
/// die and be dropped on another thread.
#[test]
fn a_scope_closed_during_thread_teardown_leaks_what_it_rooted() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let addr = thread::spawn(move || {
        EARLY_SCOPE.with(|s| assert!(s.borrow().is_none())); // registered first
        let tcb: &'static Arc<ThreadControlBlock> = leak(current_thread_control_block().unwrap());
        let scope = HandleScope::new(tcb);
        let object = HomeBound::new(9, &d);
        let h = scope.handle(&object);
        assert_eq!(h.value, 9);
        let addr = h.get() as *const HomeBound as usize;
        drop(object); // only the handle roots it now
        EARLY_SCOPE.with(|s| *s.borrow_mut() = Some(scope));
        addr
    })
    .join()
    .unwrap();
    churn();
    churn();
    assert_eq!(drops.load(SeqCst), 0, "never dropped off its home thread");
    let info = find_gc_box(core::ptr::without_provenance(addr)).expect("leaked, still allocated");
    assert!(info.type_name.contains("HomeBound"));
}

/// Handle slots of a thread that is alive but blocked stay roots, and once
/// its scope closes normally its objects die and are dropped at home.
#[test]
fn handles_of_a_live_thread_are_roots_of_other_threads_collections() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let worker = thread::spawn(move || {
        let tcb = current_thread_control_block().unwrap();
        {
            let scope = HandleScope::new(&tcb);
            let h = scope.handle(&HomeBound::new(3, &d));
            ready_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            assert_eq!(h.value, 3);
        }
        collect();
        d.load(SeqCst)
    });
    ready_rx.recv().unwrap();
    churn();
    assert_eq!(drops.load(SeqCst), 0);
    go_tx.send(()).unwrap();
    assert_eq!(
        worker.join().unwrap(),
        1,
        "dropped once, on its home thread"
    );
}
