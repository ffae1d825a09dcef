//! The soak's tokio side: tasks on a multi-threaded runtime that run the
//! workers' operations and also hold `Gc`s and async handles across
//! `.await`s, where a task can move to the other worker thread and a
//! collection can run in between.

use std::sync::Arc;

use rudo_gc::handles::AsyncHandleScope;
use rudo_gc_tokio as gc;

use crate::worker::{Shared, Tally, Worker, done};

/// Steps between two awaits.
const BURST: u64 = 32;

/// One task: bursts of worker operations, and between them a walked node
/// and an async handle held across a yield.
pub(crate) async fn task(shared: Arc<Shared>, seed: u64, rounds: Option<u64>) -> Tally {
    let mut worker = Worker::new(seed);
    let mut scope = AsyncHandleScope::new();
    let mut handles = Vec::new();
    let mut done_rounds = 0;
    while !done(&shared, done_rounds, rounds) {
        for _ in 0..BURST {
            worker.step(&shared);
        }
        done_rounds += BURST;
        let held = worker.walk(&shared, 8);
        let id = held.id();
        if handles.len() < 64 {
            handles.push((scope.handle(&held), id));
        }
        gc::yield_now().await;
        assert_eq!(held.id(), id, "a Gc held across an await changed");
        held.check();
        for (handle, id) in &handles {
            assert_eq!(
                handle.get().id(),
                *id,
                "an async handle leads to another node"
            );
            handle.get().check();
        }
        worker.tally.checks += 1 + handles.len() as u64;
        if handles.len() == 64 {
            // A fresh scope: the old one's handles go with it.
            handles.clear();
            scope = AsyncHandleScope::new();
        }
    }
    drop(handles);
    worker.finish(&shared)
}
