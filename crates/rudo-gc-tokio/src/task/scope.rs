//! `GcRootScope`: the future behind `gc::spawn`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pin_project_lite::pin_project! {
    /// The wrapper future of [`spawn`](crate::spawn): polls `F`, then drops
    /// the dead values waiting for the worker thread (see the [`task`
    /// module](crate::task)). `Send` exactly when `F` is.
    ///
    /// Use it directly to run a future with the same behaviour under another
    /// spawner (`JoinSet::spawn`, `tokio_util::task::TaskTracker`, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// use rudo_gc_tokio::GcRootScope;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut set = tokio::task::JoinSet::new();
    /// set.spawn(GcRootScope::new(async { rudo_gc::Gc::new(5_u8).to_string() }));
    /// assert_eq!(set.join_next().await.unwrap().unwrap(), "5");
    /// # }
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct GcRootScope<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future> GcRootScope<F> {
    /// Wraps `future`.
    pub fn new(future: F) -> GcRootScope<F> {
        GcRootScope { future }
    }

    /// The wrapped future.
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for GcRootScope<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let poll = self.project().future.poll(cx);
        // Two loads when nothing waits.
        rudo_gc::sweep_pending();
        poll
    }
}
