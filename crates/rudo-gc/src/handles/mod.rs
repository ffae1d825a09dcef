//! V8-style handle scopes: rooted references with no reference-count traffic,
//! scoped by the compiler.
//!
//! A [`HandleScope`] owns a region of the thread's handle slots. Creating a
//! [`Handle`] in it is a bump of a pointer (no count is touched), and the
//! object stays alive until the scope closes, even if no `Gc` to it remains.
//! A handle borrows its scope, so it cannot outlive it; an
//! [`EscapeableHandleScope`] lets exactly one handle out to its parent.
//! [`SealedHandleScope`] forbids creating handles (in debug builds), to catch
//! code that would leak handles into a long-lived scope.
//!
//! For async code, [`AsyncHandleScope`] makes [`AsyncHandle`]s: `'static`,
//! `Send` handles that may cross `.await` points and threads, checked at
//! run time instead of by the compiler.
//!
//! Rules (the full protocol is in `local_handles`):
//!
//! 1. Every live handle slot of the thread is a root of every collection.
//! 2. Scopes close in reverse order of creation; closing one out of order
//!    panics and releases nothing.
//! 3. Handles are neither `Send` nor `Sync`, and scopes only open on their own
//!    thread's control block.
//!
//! # Examples
//!
//! ```
//! use rudo_gc::{Gc, collect, handles};
//!
//! let sum = handles::scope(|scope| {
//!     let a = scope.handle(&Gc::new(2));
//!     let b = scope.handle(&Gc::new(3));
//!     collect(); // both objects are rooted by their handles only
//!     *a + *b
//! });
//! assert_eq!(sum, 5);
//! ```

mod async_scope;
mod escape;
mod handle;
pub(crate) mod local_handles;
mod scope;
mod sealed;

pub use async_scope::{ASYNC_SCOPE_CAPACITY, AsyncHandle, AsyncHandleScope};
pub use escape::EscapeableHandleScope;
pub use handle::{Handle, MaybeHandle};
pub use scope::{HandleScope, scope};
pub use sealed::SealedHandleScope;
