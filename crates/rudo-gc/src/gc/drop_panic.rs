//! Panics in destructors the collector runs.
//!
//! The policy, one rule for every place dead values are dropped (a thread's
//! next allocation, [`collect`](crate::collect), [`sweep_pending`](crate::sweep_pending),
//! a thread's exit, a sweep of orphaned values):
//!
//! 1. The panic is caught where the value is dropped. The rest of the value
//!    (the fields the panicking `Drop` did not get to) is dropped by the
//!    unwinding drop glue, its slot is freed as usual, and every other dead
//!    value of the batch is still dropped.
//! 2. The panic is reported to the *drop-panic hook* with the type of the
//!    value being destroyed ([`DropPanic`]), on the thread that dropped it,
//!    outside any heap operation. The default hook prints one line to
//!    stderr (after std's own panic message, like a panicking thread's).
//! 3. It is never resumed. The operation that happened to run the sweep
//!    (allocating, collecting, exiting a thread) is unrelated to the value,
//!    so making it fail would lose the caller's own value (`Gc::new(x)`),
//!    and at thread exit or during unwinding it would abort the process.
//!
//! A panicking hook is caught too, and reported on stderr.

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use parking_lot::RwLock;

use crate::sync::raw::{AtomicU64, Ordering::Relaxed};

/// A panic caught in the destructor of a value the collector dropped, as the
/// drop-panic hook receives it (see [`set_drop_panic_hook`]).
pub struct DropPanic<'a> {
    type_name: &'static str,
    payload: &'a (dyn Any + Send),
}

impl<'a> DropPanic<'a> {
    /// `core::any::type_name` of the value whose destructor panicked (the
    /// type of the GC object, even when the panic came from one of its
    /// fields).
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// The panic's payload, as `std::panic::catch_unwind` returns it.
    pub fn payload(&self) -> &'a (dyn Any + Send) {
        self.payload
    }

    /// The panic message, when the payload is a string (as `panic!` makes it).
    pub fn message(&self) -> Option<&'a str> {
        message_of(self.payload)
    }
}

impl fmt::Debug for DropPanic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DropPanic")
            .field("type_name", &self.type_name)
            .field("message", &self.message())
            .finish_non_exhaustive()
    }
}

impl fmt::Display for DropPanic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the destructor of a `{}` dropped by the garbage collector panicked",
            self.type_name
        )?;
        match self.message() {
            Some(message) => write!(f, ": {message}"),
            None => Ok(()),
        }
    }
}

/// The message of a panic payload, when it is a string.
pub(crate) fn message_of(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

type Hook = Arc<dyn Fn(&DropPanic<'_>) + Send + Sync + 'static>;

/// The installed hook; `None` is the default one.
static HOOK: RwLock<Option<Hook>> = RwLock::new(None);
/// Destructor panics caught so far (`GcStats::destructor_panics`).
static CAUGHT: AtomicU64 = AtomicU64::new(0);

/// Installs the function called for every panic caught in a destructor the
/// collector runs, replacing the previous one (like
/// [`std::panic::set_hook`]).
///
/// The collector never lets such a panic escape: the thread that happened to
/// drop the value (at an allocation, a [`collect`](crate::collect), a
/// [`sweep_pending`](crate::sweep_pending), or its exit) carries on, and
/// every other dead value is still dropped. The hook is how a program learns
/// of it, for example to log it or to count it as an error. It runs on the
/// thread that dropped the value, right after the destructor, and may use the
/// heap. The default hook prints a line naming the type to stderr.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use rudo_gc::{DropPanic, Gc, Trace};
///
/// static PANICS: AtomicUsize = AtomicUsize::new(0);
/// rudo_gc::set_drop_panic_hook(|report: &DropPanic<'_>| {
///     assert!(report.type_name().ends_with("Fragile"));
///     PANICS.fetch_add(1, Ordering::Relaxed);
/// });
///
/// #[derive(Trace)]
/// #[gc(unsafe_drop)]
/// struct Fragile;
/// impl Drop for Fragile {
///     fn drop(&mut self) {
///         panic!("cannot flush");
///     }
/// }
///
/// drop(Gc::new(Fragile));
/// rudo_gc::collect(); // does not panic
/// assert_eq!(PANICS.load(Ordering::Relaxed), 1);
/// # drop(rudo_gc::take_drop_panic_hook());
/// ```
pub fn set_drop_panic_hook(hook: impl Fn(&DropPanic<'_>) + Send + Sync + 'static) {
    *HOOK.write() = Some(Arc::new(hook));
}

/// Removes the installed drop-panic hook, restoring the default one, and
/// returns it (like [`std::panic::take_hook`]). With no hook installed, it
/// returns the default hook.
pub fn take_drop_panic_hook() -> Box<dyn Fn(&DropPanic<'_>) + Send + Sync + 'static> {
    match HOOK.write().take() {
        Some(hook) => Box::new(move |report: &DropPanic<'_>| hook(report)),
        None => Box::new(default_hook),
    }
}

/// The number of destructor panics caught so far.
pub(crate) fn caught() -> u64 {
    CAUGHT.load(Relaxed)
}

/// Reports a panic caught in the destructor of a `type_name` value (rule 2).
/// Call outside any heap operation.
pub(crate) fn report(type_name: &'static str, payload: &(dyn Any + Send)) {
    CAUGHT.fetch_add(1, Relaxed);
    let report = DropPanic { type_name, payload };
    // Cloned out of the lock, so that the hook may replace itself.
    let hook = HOOK.read().clone();
    let result = catch_unwind(AssertUnwindSafe(|| match hook {
        Some(hook) => hook(&report),
        None => default_hook(&report),
    }));
    if result.is_err() {
        eprintln!(
            "rudo-gc: the drop-panic hook panicked while reporting that {report}; both panics \
             were caught"
        );
    }
}

fn default_hook(report: &DropPanic<'_>) {
    eprintln!(
        "rudo-gc: {report}; the panic was caught, the rest of the value and every other dead \
         value were dropped (set a handler with rudo_gc::set_drop_panic_hook)"
    );
}
