//! Spawning tasks that use the collector, and yielding to it.
//!
//! `gc::spawn`, `gc::spawn_local` and `gc::spawn_blocking` are tokio's, with
//! the same bounds, `JoinHandle`s, abort and panic behaviour, around a
//! [`GcRootScope`]. Nothing here is needed for soundness: a `Gc` a task
//! captures is a root through its count, wherever the task is stored. What
//! the wrapper adds is destruction that keeps pace on worker threads: after
//! every poll of the task, the worker drops the dead values a collection left
//! for it (values are dropped on the thread that allocated them), instead of
//! waiting for its next allocation or for it to park.

mod scope;

pub use scope::GcRootScope;

use std::future::Future;

use tokio::task::JoinHandle;

/// Spawns a task on the current tokio runtime, like [`tokio::spawn`], inside
/// a [`GcRootScope`].
///
/// # Panics
///
/// Panics when called outside a tokio runtime, with tokio's message.
///
/// # Examples
///
/// ```
/// use rudo_gc::Gc;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let shared = Gc::new(String::from("captured"));
/// let task = rudo_gc_tokio::spawn({
///     let shared = shared.clone();
///     async move {
///         rudo_gc::collect(); // the task's `Gc` is a root
///         shared.len()
///     }
/// });
/// assert_eq!(task.await.unwrap(), 8);
/// # }
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(GcRootScope::new(future))
}

/// Spawns a `!Send` task on the current [`tokio::task::LocalSet`], like
/// [`tokio::task::spawn_local`], inside a [`GcRootScope`]. Its `Gc`s may
/// hold `!Send` values.
///
/// # Panics
///
/// Panics when called outside a `LocalSet`, with tokio's message.
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    tokio::task::spawn_local(GcRootScope::new(future))
}

/// Runs `f` on tokio's blocking pool, like [`tokio::task::spawn_blocking`];
/// the pool thread drops the dead values waiting for it when `f` returns.
///
/// # Panics
///
/// Panics when called outside a tokio runtime, with tokio's message.
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        let result = f();
        rudo_gc::sweep_pending();
        result
    })
}

/// Yields to the tokio scheduler ([`tokio::task::yield_now`]) after dropping
/// the dead values waiting for this worker: a cooperative point for long
/// computations that hold `Gc`s.
///
/// Works under any executor (it only wakes itself), never hangs.
pub async fn yield_now() {
    rudo_gc::sweep_pending();
    tokio::task::yield_now().await;
}
