//! Entry point 2, the macros: `#[gc::main]` builds the runtime with the
//! collector's hooks, `#[gc::root]` guards a handler's `Gc` parameters, and
//! `spawn_with_gc!` hands a task handles to values it does not own.
//! `tokio_macros_manual.rs` is the same program without them.
//!
//! ```text
//! cargo run --release --example tokio_macros
//! ```

use rudo_gc::{Gc, GcMutex, Trace};
use rudo_gc_tokio as gc;

#[derive(Trace)]
struct Session {
    user: String,
    requests: GcMutex<u64>,
}

#[gc::root]
async fn handle(session: Gc<Session>, path: String) -> String {
    *session.requests.lock() += 1;
    tokio::task::yield_now().await;
    format!("{} fetched {path}", session.user)
}

#[gc::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let session = Gc::new(Session {
        user: "ada".into(),
        requests: GcMutex::new(0),
    });
    let pages = ["/", "/docs", "/about"];
    for page in pages {
        println!("{}", handle(session.clone(), page.into()).await);
    }
    let audit = gc::spawn_with_gc!(session => |s| async move {
        format!("{} made {} requests", s.get().user, s.get().requests.lock())
    });
    println!("{}", audit.await.expect("the audit task does not panic"));
}
