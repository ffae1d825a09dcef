//! A small document service on rudo-gc: users, documents and comments with
//! back-references (a cyclic object graph `Rc` could not free), served over
//! TCP on 127.0.0.1 and mutated by every request, with a built-in load
//! generator.
//!
//! ```text
//! cargo run --release --example graph_service                    # the Gc service
//! cargo run --release --example graph_service -- --baseline arc  # Arc<Mutex<..>>, cycles broken by hand
//! cargo run --release --example graph_service -- --clients 16 --seconds 5 --requests 100000
//! ```
//!
//! The server runs on a `#[gc::main]` runtime and handles each connection in
//! a `gc::spawn` task. The load generator opens `--clients` connections and
//! sends a mix of requests (read, comment, edit, create, delete) for
//! `--seconds` or until `--requests` were answered. At the end it prints
//! throughput, latency percentiles and the collector's statistics, and checks
//! that no replaced or deleted object is still alive (a `Weak` to a sample of
//! them must no longer upgrade).

mod arc_store;
mod gc_store;
mod load;
mod protocol;

use std::sync::Arc;
use std::time::Duration;

use rudo_gc_tokio as gc;

use protocol::Store;

/// Command-line options.
struct Options {
    clients: usize,
    seconds: u64,
    requests: u64,
    baseline: bool,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        clients: 8,
        seconds: 3,
        requests: u64::MAX,
        baseline: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--clients" => options.clients = parse(&value("--clients")?, "--clients")?,
            "--seconds" => options.seconds = parse(&value("--seconds")?, "--seconds")?,
            "--requests" => options.requests = parse(&value("--requests")?, "--requests")?,
            "--baseline" => match value("--baseline")?.as_str() {
                "arc" => options.baseline = true,
                "gc" => options.baseline = false,
                other => return Err(format!("--baseline is `gc` or `arc`, not `{other}`")),
            },
            "-h" | "--help" => {
                return Err(
                    "usage: graph_service [--clients N] [--seconds S] [--requests R] \
                            [--baseline gc|arc]"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    if options.clients == 0 {
        return Err("--clients must be at least 1".into());
    }
    Ok(options)
}

fn parse<T: std::str::FromStr>(text: &str, name: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{name} takes a whole number, not `{text}`"))
}

#[gc::main]
async fn main() -> Result<(), String> {
    let options = options()?;
    let store: Arc<dyn Store> = if options.baseline {
        Arc::new(arc_store::ArcStore::new())
    } else {
        Arc::new(gc_store::GcStore::new())
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    println!(
        "graph_service ({}) on {address}: {} clients, {} s{}",
        store.name(),
        options.clients,
        options.seconds,
        if options.requests == u64::MAX {
            String::new()
        } else {
            format!(", at most {} requests", options.requests)
        }
    );
    let server = gc::spawn(protocol::serve(listener, store.clone()));
    let report = load::run(
        address,
        options.clients,
        Duration::from_secs(options.seconds),
        options.requests,
    )
    .await?;
    server.abort();
    report.print();
    let counts = store.counts();
    println!(
        "graph: {} users, {} documents, {} comments alive",
        counts.0, counts.1, counts.2
    );
    let (checked, alive) = store.check_replaced();
    print_collector();
    if alive > 0 {
        return Err(format!(
            "{alive} of {checked} replaced or deleted objects are still alive"
        ));
    }
    println!("check: all {checked} sampled replaced or deleted objects were freed");
    Ok(())
}

fn print_collector() {
    println!("{}", rudo_gc::stats());
}
