//! Derive macros for [`rudo-gc`](https://docs.rs/rudo-gc): `#[derive(Trace)]`
//! and `#[derive(GcFree)]`.
//!
//! Use them through `rudo_gc`, which re-exports both under the names of the
//! traits they implement (as `serde` does):
//!
//! ```
//! use rudo_gc::{Gc, GcFree, Trace};
//!
//! #[derive(Trace)]
//! struct Node {
//!     name: String,
//!     children: Vec<Gc<Node>>,
//! }
//!
//! #[derive(Trace, GcFree)]
//! enum Colour {
//!     Red,
//!     Rgb(u8, u8, u8),
//! }
//! ```
//!
//! # Why a derive
//!
//! `Trace` is an `unsafe trait`: the collector frees objects based on what
//! `trace` reports, so visiting a `Gc` twice could free a live object. The
//! derive is the safe way to implement it. It visits every field exactly once,
//! and the few things that could make a derived impl unsound (a `Drop` impl
//! that reads a `Gc` field, a union) are rejected at compile time unless you
//! opt in.
//!
//! # Options
//!
//! Both derives read the `#[gc(...)]` attribute:
//!
//! | option | where | meaning |
//! | --- | --- | --- |
//! | `crate = "path"` | type | where `rudo_gc` is reachable, if renamed or re-exported |
//! | `bound = "T: Trace, ..."` | type | replaces the inferred `where` predicates (`""` for none) |
//! | `bound(trace = "...", gc_free = "...")` | type | the same, per derive, for types deriving both |
//! | `unsafe_drop` | type | `Trace` only: allows a `Drop` impl (see [`Trace`](macro@Trace)) |
//! | `skip` | field | `Trace` only: the field is not traced (see [`Trace`](macro@Trace)) |
//!
//! Mistakes are reported at the option, all at once, with the valid options
//! listed; the type still gets a (no-op) impl, so no second wave of errors
//! follows from the first.
//!
//! # Bounds
//!
//! Each type parameter gets `T: 'static` (both traits require `'static`).
//! Each field whose type mentions a type parameter is bounded by its own
//! type (`Vec<T>: Trace`, not `T: Trace`), except `Gc<..>` and `Weak<..>`,
//! which are `Trace` for every `T`, and fields whose type names the deriving
//! type itself. Fields with concrete types get no bound; they are checked in
//! the generated body instead. If inference produces bounds rustc cannot
//! prove (it reports "overflow evaluating the requirement"), replace them
//! with `#[gc(bound = "...")]`.

mod attr;
mod bound;
mod entry;
mod errors;
mod expand_gc_free;
mod expand_trace;
mod root;
mod spawn_with_gc;
mod validate;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `rudo_gc::Trace`: the generated `trace` visits every field.
///
/// Works on structs (named, tuple, unit) and enums (any variants, including
/// none), with type and const parameters. Unions and lifetime parameters are
/// rejected: the collector cannot know which union field is active, and a
/// GC object can outlive any borrow.
///
/// ```
/// use rudo_gc::{Gc, Trace, Weak};
///
/// #[derive(Trace)]
/// struct Tree<T: 'static> {
///     value: T,
///     children: Vec<Gc<Tree<T>>>,
///     parent: Option<Weak<Tree<T>>>,
/// }
///
/// #[derive(Trace)]
/// enum Expr {
///     Literal(i64),
///     Add(Gc<Expr>, Gc<Expr>),
///     Call { name: String, args: Vec<Gc<Expr>> },
/// }
/// ```
///
/// A type whose values can own no `Gc` at all (a unit struct, an enum with no
/// variants, every field skipped) gets `const NEEDS_TRACE: bool = false`, so
/// the collector never scans it. Otherwise `NEEDS_TRACE` keeps its default,
/// `true`.
///
/// Every traced field must be `Trace`; a field that is not reports the error
/// at the field.
///
/// # `#[gc(skip)]`
///
/// A field marked `#[gc(skip)]` is neither traced nor bounded, so its type
/// need not be `Trace` (a handle into a foreign library, say). This is always
/// memory-safe, but note what it means for a `Gc` inside the field: the
/// collector never sees it, so it treats it as an external reference. Its
/// target stays alive as long as the owner does, and is released only when
/// the owner's destructor drops the field: a cycle that runs through a skipped
/// field is never collected (a leak), and nothing is ever freed early.
///
/// ```
/// # use rudo_gc::Trace;
/// #[derive(Trace)]
/// struct Window {
///     title: String,
///     #[gc(skip)]
///     native_handle: usize,
/// }
/// ```
///
/// # `Drop` and `#[gc(unsafe_drop)]`
///
/// A type deriving `Trace` may not implement `Drop`: when the collector frees
/// a garbage cycle it drops all of its objects in one pass, so a `Drop` impl
/// could read a `Gc` field whose target is already destroyed. The derive
/// enforces this with an impl that conflicts with any `Drop` impl; the error
/// reads "conflicting implementations of trait
/// `Trace_derive_forbids_Drop__add_gc_unsafe_drop_to_opt_in`".
///
/// `#[gc(unsafe_drop)]` lifts the restriction. The `Drop` impl must then not
/// *use* the type's `Gc` fields: their targets may have died in the same
/// collection. It is still sound if it does: every use of an object the
/// collector found dead (dereferencing, cloning, rooting it in a handle, and
/// so also reading a `Gc` moved out and stored elsewhere) is a checked panic
/// in every build, which the collector catches and reports
/// (`rudo_gc::set_drop_panic_hook`),
/// and upgrading a `Weak` to it returns `None`. Dropping the `Gc` fields,
/// using the other fields, closing files, and logging are fine. (The name
/// says `unsafe` because the obligation is the user's; breaking it panics,
/// it never reads a dropped value.)
///
/// ```
/// # use rudo_gc::{Gc, Trace};
/// #[derive(Trace)]
/// #[gc(unsafe_drop)]
/// struct TempFile {
///     path: String,
///     owner: Option<Gc<String>>,
/// }
///
/// impl Drop for TempFile {
///     fn drop(&mut self) {
///         // Touches `path` only, never `*self.owner`.
///         let _ = std::fs::remove_file(&self.path);
///     }
/// }
/// ```
///
/// # `#[gc(bound = "...")]`
///
/// Replaces the inferred bounds, for types where inference cannot work:
///
/// ```
/// # use rudo_gc::{Gc, Trace};
/// #[derive(Trace)]
/// #[gc(bound = "T: Trace")]
/// struct Forest<T: 'static> {
///     trees: Vec<(T, Box<Forest<T>>)>,
/// }
/// ```
///
/// # `#[gc(crate = "...")]`
///
/// The generated code names the crate by absolute path, `::rudo_gc` by
/// default. If you depend on it under another name or re-export it, say where
/// it is:
///
/// ```
/// mod my_gc {
///     pub use rudo_gc::*;
/// }
///
/// #[derive(my_gc::Trace)]
/// #[gc(crate = "crate::my_gc")]
/// struct Node {
///     next: Option<my_gc::Gc<Node>>,
/// }
/// # fn main() {}
/// ```
#[proc_macro_derive(Trace, attributes(gc))]
pub fn derive_trace(input: TokenStream) -> TokenStream {
    expand_trace::derive(&parse_macro_input!(input as DeriveInput)).into()
}

/// Derives `rudo_gc::GcFree`: the type holds no `Gc`, checked field by field.
///
/// `GcFree` is what allows a type inside `Rc`, `Arc`, `Cell`, `RefCell`,
/// `Mutex` and friends in the GC heap. The derive asserts at compile time that
/// every field's type is `GcFree`, so a `Gc` (or anything holding one) in any
/// field is a compile error at that field. For that reason `#[gc(skip)]` is
/// rejected here.
///
/// ```
/// use std::cell::RefCell;
/// use rudo_gc::{GcFree, Trace};
///
/// #[derive(Trace, GcFree)]
/// struct Counter {
///     hits: u64,
///     label: String,
/// }
///
/// #[derive(Trace)]
/// struct Stats {
///     // `RefCell<Counter>` is `Trace` because `Counter` is `GcFree`.
///     counter: RefCell<Counter>,
/// }
/// ```
///
/// Works on structs, enums and unions (every field is checked, whichever is
/// active); lifetime parameters are rejected. Bounds are inferred as for
/// `Trace` (with `GcFree` in place of `Trace`), except that a field type
/// containing `Gc` or `Weak` is never bounded, so it fails the check at once
/// instead of leaving an impl that never applies. `#[gc(crate = "...")]` and
/// `#[gc(bound = "...")]` (or `bound(gc_free = "...")`) work the same way, and
/// `#[gc(unsafe_drop)]` is accepted and ignored, so that one attribute serves a
/// type deriving both.
#[proc_macro_derive(GcFree, attributes(gc))]
pub fn derive_gc_free(input: TokenStream) -> TokenStream {
    expand_gc_free::derive(&parse_macro_input!(input as DeriveInput)).into()
}

/// `#[rudo_gc_tokio::main]`: use it through `rudo_gc_tokio`, which documents
/// it.
#[proc_macro_attribute]
pub fn gc_main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Kind::Main, args.into(), item.into()).into()
}

/// `#[rudo_gc_tokio::test]`: use it through `rudo_gc_tokio`, which documents
/// it.
#[proc_macro_attribute]
pub fn gc_test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Kind::Test, args.into(), item.into()).into()
}

/// `#[rudo_gc_tokio::root]`: use it through `rudo_gc_tokio`, which documents
/// it.
#[proc_macro_attribute]
pub fn gc_root(args: TokenStream, item: TokenStream) -> TokenStream {
    root::expand(args.into(), item.into()).into()
}

/// The expansion of `rudo_gc_tokio::spawn_with_gc!` (which passes its own
/// path first); use that macro.
#[doc(hidden)]
#[proc_macro]
pub fn spawn_with_gc_impl(input: TokenStream) -> TokenStream {
    spawn_with_gc::expand(input.into()).into()
}
