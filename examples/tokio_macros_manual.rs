//! `tokio_macros.rs` without the macros, for comparison: the runtime built
//! and hooked by hand, the handler's guard and the task's handle scope
//! written out.
//!
//! ```text
//! cargo run --release --example tokio_macros_manual
//! ```

use rudo_gc::handles::AsyncHandleScope;
use rudo_gc::{Gc, GcMutex, Trace};
use rudo_gc_tokio::{self as gc, GcRootGuard, GcRootSet};

#[derive(Trace)]
struct Session {
    user: String,
    requests: GcMutex<u64>,
}

async fn handle(session: Gc<Session>, path: String) -> String {
    let _guard = GcRootGuard::new(&session);
    *session.requests.lock() += 1;
    tokio::task::yield_now().await;
    format!("{} fetched {path}", session.user)
}

fn main() {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(2).enable_all();
    gc::runtime::install(&mut builder);
    let _ = GcRootSet::global();
    let runtime = builder.build().expect("Failed building the Runtime");
    runtime.block_on(async {
        let session = Gc::new(Session {
            user: "ada".into(),
            requests: GcMutex::new(0),
        });
        let pages = ["/", "/docs", "/about"];
        for page in pages {
            println!("{}", handle(session.clone(), page.into()).await);
        }
        let scope = AsyncHandleScope::new();
        let s = scope.handle(&session);
        let audit = gc::spawn(async move {
            let _scope = scope;
            format!("{} made {} requests", s.get().user, s.get().requests.lock())
        });
        println!("{}", audit.await.expect("the audit task does not panic"));
    });
}
