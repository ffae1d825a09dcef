//! # rudo-gc-tokio
//!
//! The tokio adapter of [`rudo_gc`]. Import it as `gc`:
//!
//! ```
//! use rudo_gc_tokio as gc;
//! ```
//!
//! ## What it is for
//!
//! A [`Gc`](rudo_gc::Gc) inside a future is already a root: its reference
//! count tells the collector it is held from outside the heap, wherever tokio
//! keeps the task. Nothing here is needed for ordinary code to be sound. What
//! the adapter adds is what async services ask of a collector:
//!
//! - **Runtime wiring** ([`runtime::install`], used by [`main`] and [`test`]):
//!   workers drop the dead values waiting for them when they park and stop.
//! - **Tasks** ([`spawn`], [`spawn_local`], [`spawn_blocking`],
//!   [`GcRootScope`]): tokio's, with destruction that keeps pace on workers.
//! - **Explicit roots** ([`GcRootSet`], [`GcRootGuard`],
//!   [`GcTokioExt::root_guard`], [`macro@root`]): objects kept alive by a
//!   registration rather than a `Gc`, counted and observable.
//! - **Async handles** ([`AsyncHandleScope`], [`AsyncHandle`],
//!   [`spawn_with_gc!`]): `'static`, `Send` handles across `.await`s.
//!
//! ## The three ways in
//!
//! The macros on `main` (every option of `#[tokio::main]`):
//!
//! ```
//! use rudo_gc::Gc;
//! use rudo_gc_tokio as gc;
//!
//! #[gc::main(flavor = "multi_thread", worker_threads = 2)]
//! async fn main() {
//!     let doc = Gc::new(String::from("shared"));
//!     let task = gc::spawn_with_gc!(doc => |doc| async move { doc.get().len() });
//!     assert_eq!(task.await.unwrap(), 6);
//! }
//! ```
//!
//! `gc::spawn` in tasks:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use rudo_gc::Gc;
//! use rudo_gc_tokio as gc;
//!
//! let counter = Gc::new(rudo_gc::GcMutex::new(0_u64));
//! let tasks: Vec<_> = (0..4)
//!     .map(|_| {
//!         let counter = counter.clone();
//!         gc::spawn(async move { *counter.lock() += 1 })
//!     })
//!     .collect();
//! for t in tasks {
//!     t.await.unwrap();
//! }
//! assert_eq!(*counter.lock(), 4);
//! # }
//! ```
//!
//! Root guards in libraries that do not own the runtime:
//!
//! ```
//! use rudo_gc::Gc;
//! use rudo_gc_tokio::GcTokioExt;
//!
//! pub fn remember(value: &Gc<String>) -> rudo_gc_tokio::GcRootGuard<String> {
//!     value.root_guard() // alive until the caller drops the guard
//! }
//! # let g = remember(&Gc::new(String::from("x")));
//! # rudo_gc::collect();
//! # assert_eq!(*g.to_gc(), "x");
//! ```

mod guard;
mod root_set;
pub mod runtime;
mod task;

pub use guard::{GcRootGuard, GcTokioExt};
pub use root_set::GcRootSet;
pub use rudo_gc::handles::{ASYNC_SCOPE_CAPACITY, AsyncHandle, AsyncHandleScope};
pub use rudo_gc::roots::{RootTicket, StaleTicket};
pub use task::{GcRootScope, spawn, spawn_blocking, spawn_local, yield_now};

/// Marks `async fn main` to run on a tokio runtime with the collector's
/// hooks ([`runtime::install`]). Takes every option of `#[tokio::main]`:
/// `flavor = "multi_thread" | "current_thread"` (default `multi_thread`),
/// `worker_threads = N`, `start_paused = bool` (tokio's `test-util`
/// feature), `unhandled_panic = "ignore" | "shutdown_runtime"`
/// (`tokio_unstable`), and `crate = "path"` (this crate's path, when
/// renamed).
///
/// ```
/// #[rudo_gc_tokio::main(flavor = "current_thread")]
/// async fn main() -> Result<(), std::io::Error> {
///     let _ = rudo_gc::Gc::new(1);
///     Ok(())
/// }
/// ```
pub use rudo_gc_derive::gc_main as main;

/// Marks an `async fn` test to run on a tokio runtime with the collector's
/// hooks. Takes the options of [`main`](macro@main); the default flavor is
/// `current_thread`, as with `#[tokio::test]`.
pub use rudo_gc_derive::gc_test as test;

/// On an `async fn`: every parameter whose type is a `Gc<_>` is held by a
/// [`GcRootGuard`] for the whole body, registered in the [`GcRootSet`]. The
/// returned future is `Send` whenever it was.
///
/// ```
/// use rudo_gc::Gc;
///
/// #[rudo_gc_tokio::root]
/// async fn handle(request: Gc<String>, hits: Gc<rudo_gc::GcMutex<u64>>) -> usize {
///     *hits.lock() += 1;
///     tokio::task::yield_now().await;
///     request.len()
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # assert_eq!(handle(Gc::new("GET /".into()), Gc::new(rudo_gc::GcMutex::new(0))).await, 5);
/// # }
/// ```
pub use rudo_gc_derive::gc_root as root;

/// Spawns a task that receives [`AsyncHandle`]s to the given `Gc`s:
/// `spawn_with_gc!(a, b => |ha, hb| async move { .. })`, for 1 to 12 values.
/// Creates an [`AsyncHandleScope`] that the task owns, so the handles stay
/// valid for the task's whole life, and returns the task's
/// [`JoinHandle`](tokio::task::JoinHandle) (see [`spawn`]). Each value is
/// borrowed, not moved.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use rudo_gc::Gc;
/// let (a, b) = (Gc::new(2_u32), Gc::new(3_u32));
/// let product = rudo_gc_tokio::spawn_with_gc!(a, b => |a, b| async move { a.get() * b.get() });
/// assert_eq!(product.await.unwrap(), 6);
/// # }
/// ```
#[macro_export]
macro_rules! spawn_with_gc {
    ($($input:tt)*) => {
        $crate::__private::spawn_with_gc_impl!($crate; $($input)*)
    };
}

/// Not part of the API: what the macros' expansions refer to.
#[doc(hidden)]
pub mod __private {
    pub use rudo_gc;
    pub use rudo_gc_derive::spawn_with_gc_impl;
    pub use tokio;

    use crate::AsyncHandle;

    /// `callN(h1, .., hN, f)`: `f(h1, .., hN)`, with `f`'s parameter types
    /// known from the bound (`spawn_with_gc!`'s closure).
    macro_rules! calls {
        ($($name:ident($($t:ident $h:ident),+);)+) => {$(
            #[allow(clippy::too_many_arguments)]
            pub fn $name<$($t: 'static,)+ Fut>(
                $($h: AsyncHandle<$t>,)+
                f: impl FnOnce($(AsyncHandle<$t>),+) -> Fut,
            ) -> Fut {
                f($($h),+)
            }
        )+};
    }

    calls! {
        call1(T1 h1);
        call2(T1 h1, T2 h2);
        call3(T1 h1, T2 h2, T3 h3);
        call4(T1 h1, T2 h2, T3 h3, T4 h4);
        call5(T1 h1, T2 h2, T3 h3, T4 h4, T5 h5);
        call6(T1 h1, T2 h2, T3 h3, T4 h4, T5 h5, T6 h6);
        call7(T1 h1, T2 h2, T3 h3, T4 h4, T5 h5, T6 h6, T7 h7);
        call8(T1 h1, T2 h2, T3 h3, T4 h4, T5 h5, T6 h6, T7 h7, T8 h8);
        call9(T1 h1, T2 h2, T3 h3, T4 h4, T5 h5, T6 h6, T7 h7, T8 h8, T9 h9);
        call10(T1 h1, T2 h2, T3 h3, T4 h4, T5 h5, T6 h6, T7 h7, T8 h8, T9 h9, T10 h10);
        call11(T1 h1, T2 h2, T3 h3, T4 h4, T5 h5, T6 h6, T7 h7, T8 h8, T9 h9, T10 h10, T11 h11);
        call12(T1 h1, T2 h2, T3 h3, T4 h4, T5 h5, T6 h6, T7 h7, T8 h8, T9 h9, T10 h10, T11 h11, T12 h12);
    }
}

/// The README's examples, compiled and run as doctests (here, where both the
/// core and the adapter are dependencies).
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
