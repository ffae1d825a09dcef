//! The built-in load generator: `clients` connections over loopback, each
//! sending a mix of requests and timing every answer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// What the clients measured.
pub(crate) struct Report {
    elapsed: Duration,
    /// Every request's latency, in microseconds, sorted.
    latencies: Vec<u32>,
    errors: u64,
}

impl Report {
    fn percentile(&self, p: f64) -> u32 {
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies.get(i).copied().unwrap_or(0)
    }

    pub(crate) fn print(&self) {
        let n = self.latencies.len();
        println!(
            "load: {n} requests in {:.2?} ({:.0} requests/s), {} answered ERR (a deleted \
             document)",
            self.elapsed,
            n as f64 / self.elapsed.as_secs_f64(),
            self.errors
        );
        println!(
            "latency: p50 {} us, p99 {} us, max {} us",
            self.percentile(0.5),
            self.percentile(0.99),
            self.latencies.last().copied().unwrap_or(0)
        );
    }
}

/// A small deterministic generator (xorshift), one per client.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Runs the clients until `duration` passed or `requests` were answered.
pub(crate) async fn run(
    address: SocketAddr,
    clients: usize,
    duration: Duration,
    requests: u64,
) -> Result<Report, String> {
    let started = Instant::now();
    let deadline = started + duration;
    let budget = Arc::new(AtomicU64::new(requests));
    // The highest document id handed out so far: clients pick documents to
    // read, comment, edit and delete among all of them.
    let highest_doc = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let (budget, highest_doc) = (budget.clone(), highest_doc.clone());
            tokio::spawn(client_loop(address, client, deadline, budget, highest_doc))
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (mine, err) = task.await.map_err(|e| format!("a client failed: {e}"))??;
        latencies.extend(mine);
        errors += err;
    }
    latencies.sort_unstable();
    Ok(Report {
        elapsed: started.elapsed(),
        latencies,
        errors,
    })
}

async fn client_loop(
    address: SocketAddr,
    client: usize,
    deadline: Instant,
    budget: Arc<AtomicU64>,
    highest_doc: Arc<AtomicU64>,
) -> Result<(Vec<u32>, u64), String> {
    let socket = TcpStream::connect(address)
        .await
        .map_err(|e| format!("cannot connect to {address}: {e}"))?;
    socket.set_nodelay(true).map_err(|e| e.to_string())?;
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (client as u64 + 1).wrapping_mul(0x2545_f491));
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut ask = async |request: String| -> Result<String, String> {
        let sent = Instant::now();
        write
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let answer = lines
            .next_line()
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the server closed the connection")?;
        latencies.push(sent.elapsed().as_micros().min(u32::MAX as u128) as u32);
        Ok(answer)
    };
    let user = ask(format!("USER client-{client}\n")).await?;
    let user: u64 = user
        .strip_prefix("OK ")
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| format!("unexpected answer `{user}`"))?;
    while Instant::now() < deadline {
        if budget
            .fetch_update(Relaxed, Relaxed, |n| n.checked_sub(1))
            .is_err()
        {
            break;
        }
        let doc = 1 + rng.below(highest_doc.load(Relaxed));
        let request = match rng.below(100) {
            0..30 => format!("READ {doc}\n"),
            30..55 => format!(
                "COMMENT {doc} {user} comment {} from client {client}\n",
                rng.next()
            ),
            55..75 => format!("EDIT {doc} body version {} by {client}\n", rng.next()),
            75..90 => format!("DOC {user} title {}\n", rng.next() % 1000),
            _ => format!("DELETE {doc}\n"),
        };
        let answer = ask(request.clone()).await?;
        if answer.starts_with("ERR") {
            errors += 1;
        } else if request.starts_with("DOC")
            && let Some(id) = answer.strip_prefix("OK ").and_then(|id| id.parse().ok())
        {
            highest_doc.fetch_max(id, Relaxed);
        }
    }
    Ok((latencies, errors))
}
