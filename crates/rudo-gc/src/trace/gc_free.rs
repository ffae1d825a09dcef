//! The `GcFree` marker: "values of this type hold no `Gc`".

/// Marks types that can never own a [`Gc`](crate::Gc) or [`Weak`](crate::Weak).
///
/// `GcFree` is what lets `Rc`, `Arc`, `Cell`, `RefCell`, `Mutex`, `RwLock`,
/// `OnceCell` and `OnceLock` be [`Trace`](crate::Trace): around contents that
/// hold no `Gc` there is nothing to visit and nothing for the collector to race
/// with. Derive it with `#[derive(GcFree)]`, which checks every field.
///
/// # Safety
///
/// No value of the implementing type may own, directly or indirectly, a `Gc`
/// or a `Weak`. (A false claim does not free anything early, since an unvisited
/// `Gc` is treated as an external root, but it silently leaks and lets a `Gc`
/// be mutated where the collector's protocol does not expect it.)
#[diagnostic::on_unimplemented(
    message = "`{Self}` may hold a `Gc`, so it cannot sit inside `Rc`, `Arc`, `Cell`, `RefCell`, `Mutex`, `RwLock` or `OnceCell` in the GC heap",
    label = "`{Self}` is not known to be free of `Gc` pointers",
    note = "share GC objects with `Gc<T>` (not `Rc<Gc<T>>`/`Arc<Gc<T>>`), and mutate them through `GcCell`, `GcMutex` or `GcRwLock` (not `Cell`/`RefCell`/`Mutex`/`RwLock`)",
    note = "if `{Self}` really holds no `Gc`, add `#[derive(GcFree)]` to it"
)]
pub unsafe trait GcFree: 'static {}
