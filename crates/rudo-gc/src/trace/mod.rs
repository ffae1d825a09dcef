//! Tracing: how the collector learns which `Gc`s an object owns.
//!
//! # The contract, in one rule
//!
//! `Trace::trace` must call [`Visitor::visit`] **at most once** for every
//! [`Gc`](crate::Gc) the value owns (and [`Visitor::visit_weak`] at most once for
//! every [`Weak`](crate::Weak)). Visiting fewer is safe: the collector cannot see
//! the missed reference from inside the heap, so it counts it as an external
//! root and the target stays alive (a leak). Visiting more is unsound: the
//! target's reference count would be explained away twice and a live object
//! could be freed. That is why `Trace` is an `unsafe trait` and why
//! `#[derive(Trace)]` is the normal way to implement it.
//!
//! # What is not `Trace`
//!
//! Shared-ownership and interior-mutability types from `std` (`Rc`, `Arc`,
//! `Cell`, `RefCell`, `Mutex`, `RwLock`, `OnceCell`, `OnceLock`) are `Trace`
//! only around [`GcFree`] contents. An `Rc<Gc<T>>` would be visited once per
//! owner, and a `RefCell<Gc<T>>` could be mutated behind the collector's back;
//! use `Gc` for sharing and [`GcCell`](crate::GcCell) for mutation.

mod gc_free;
mod impls;
pub(crate) mod visitor;

pub use gc_free::GcFree;
pub use visitor::Visitor;

/// A type whose values can live in the garbage-collected heap.
///
/// Derive it with `#[derive(Trace)]`; implement it by hand only for types the
/// derive cannot handle (for example a custom collection).
///
/// # Safety
///
/// An implementation must guarantee that:
///
/// 1. `trace` calls [`Visitor::visit`] at most once for each `Gc` that `self`
///    owns, and [`Visitor::visit_weak`] at most once for each `Weak` it owns.
///    Owning means: dropping `self` would drop that `Gc` or `Weak`. A `Gc`
///    reached through shared ownership (an `Rc`, a `&`, a raw pointer) is not
///    owned and must not be visited.
/// 2. `trace` does not use the heap: it runs while a collection holds the heap
///    in an intermediate state. Allocating, dropping a `Gc` or `Weak`,
///    upgrading a `Weak`, opening a handle scope, and borrowing a `GcCell`,
///    `GcMutex` or `GcRwLock` mutably are caught in every build: they panic
///    with a message naming this rule, and the collection is abandoned as
///    for any panic in `trace` (`tests/misuse_trace.rs`). What stays
///    undefined behaviour is heap use the checks cannot see, such as
///    writing to an object through a raw pointer. A collection asked for
///    from `trace` is skipped.
/// 3. `trace` visits the same set of pointers every time it is called on a value
///    that has not been mutated in between. (The collector traces a dead object
///    twice; a panic in the second pass aborts the process, because the heap's
///    counts can no longer be kept consistent.)
/// 4. If [`NEEDS_TRACE`](Trace::NEEDS_TRACE) is `false`, `trace` visits nothing
///    and no value of the type can own a `Gc` or `Weak`.
///
/// A panic in `trace` is not undefined behaviour: the collection is abandoned
/// (nothing is freed) and the panic resumes in the code that asked for the
/// collection. In a thread's exit collection it is reported instead, and that
/// thread's heap is leaked. Only a panic in the second trace of a dead object
/// (rule 3) aborts.
///
/// Visiting *fewer* pointers than owned is always safe; it only leaks. A wrong
/// [`NEEDS_DROP`](Trace::NEEDS_DROP) of `false` is safe too: the collector then
/// skips destructors of dead values, which leaks what they would release.
///
/// # Examples
///
/// ```
/// use rudo_gc::{Gc, Trace, Visitor};
///
/// struct Pair {
///     left: Gc<i32>,
///     right: Option<Gc<i32>>,
///     label: String,
/// }
///
/// // SAFETY: visits each owned `Gc` exactly once; `label` owns none.
/// unsafe impl Trace for Pair {
///     fn trace(&self, visitor: &mut Visitor) {
///         self.left.trace(visitor);
///         self.right.trace(visitor);
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored in the GC heap because it does not implement `Trace`",
    label = "`{Self}` does not implement `Trace`",
    note = "add `#[derive(Trace)]` to your type; for `Rc`, `Arc`, `Cell`, `RefCell`, `Mutex`, `RwLock` and `OnceCell` holding a `Gc`, use `Gc`, `GcCell`, `GcMutex` or `GcRwLock` instead"
)]
pub unsafe trait Trace: 'static {
    /// Whether values of this type can own a `Gc` or `Weak` at all.
    ///
    /// When `false`, the collector never calls [`trace`](Trace::trace) on
    /// objects of this type, which makes leaf objects (numbers, strings, byte
    /// buffers) free to scan. Leave the default (`true`) unless the type
    /// provably holds no GC pointers.
    const NEEDS_TRACE: bool = true;

    /// Whether dropping a value does anything besides dropping the `Gc` and
    /// `Weak` pointers it owns.
    ///
    /// When it is `false` (a node of `Option<Gc<Node>>` fields, say), the
    /// collector does not run the destructor of dead values of the type: it
    /// releases the references they hold in bulk, from what it learned while
    /// tracing, and frees them without touching their memory again. The
    /// default, `core::mem::needs_drop::<Self>()`, is always correct;
    /// `#[derive(Trace)]` computes a sharper value from the fields (`false`
    /// for `Gc` and `Weak`).
    const NEEDS_DROP: bool = core::mem::needs_drop::<Self>();

    /// Reports every `Gc` and `Weak` owned by `self` to `visitor`, each at most
    /// once. See the trait's safety section.
    fn trace(&self, visitor: &mut Visitor);
}
