//! The wire protocol (one request per line, one response per line) and the
//! store interface both implementations serve.
//!
//! ```text
//! USER <name>                      -> OK <user>
//! DOC <user> <title>               -> OK <doc>
//! COMMENT <doc> <user> <text...>   -> OK <comment>
//! EDIT <doc> <text...>             -> OK <version>
//! READ <doc>                       -> OK <title> v<version> <comments> comments <bytes> bytes
//! DELETE <doc>                     -> OK
//! anything on a missing id         -> ERR <what is missing>
//! ```

use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// What the service keeps: users, documents and comments.
pub(crate) trait Store: Send + Sync + 'static {
    /// `gc` or `arc`.
    fn name(&self) -> &'static str;
    fn add_user(&self, name: &str) -> u64;
    fn add_doc(&self, user: u64, title: &str) -> Option<u64>;
    fn comment(&self, doc: u64, user: u64, text: &str) -> Option<u64>;
    /// Replaces the document's body; returns its new version.
    fn edit(&self, doc: u64, text: &str) -> Option<u64>;
    fn read(&self, doc: u64) -> Option<String>;
    fn delete(&self, doc: u64) -> bool;
    /// Users, documents and comments alive in the store.
    fn counts(&self) -> (usize, usize, usize);
    /// Checks the sample of replaced and deleted objects: how many were
    /// checked, and how many are still alive (should be 0).
    fn check_replaced(&self) -> (usize, usize);
}

/// Answers one request line.
pub(crate) fn answer(store: &dyn Store, line: &str) -> String {
    let mut words = line.split_whitespace();
    let command = words.next().unwrap_or("");
    let mut id = || words.next().and_then(|w| w.parse::<u64>().ok());
    let result = match command {
        "USER" => Some(
            store
                .add_user(line.get(5..).unwrap_or("").trim())
                .to_string(),
        ),
        "DOC" => id().and_then(|user| {
            let title = line.splitn(3, ' ').nth(2).unwrap_or("untitled");
            store.add_doc(user, title).map(|d| d.to_string())
        }),
        "COMMENT" => match (id(), id()) {
            (Some(doc), Some(user)) => {
                let text = line.splitn(4, ' ').nth(3).unwrap_or("");
                store.comment(doc, user, text).map(|c| c.to_string())
            }
            _ => None,
        },
        "EDIT" => id().and_then(|doc| {
            let text = line.splitn(3, ' ').nth(2).unwrap_or("");
            store.edit(doc, text).map(|v| v.to_string())
        }),
        "READ" => id().and_then(|doc| store.read(doc)),
        "DELETE" => id().and_then(|doc| store.delete(doc).then(String::new)),
        _ => return format!("ERR unknown request `{command}`\n"),
    };
    match result {
        Some(s) if s.is_empty() => "OK\n".to_owned(),
        Some(s) => format!("OK {s}\n"),
        None => "ERR no such user or document\n".to_owned(),
    }
}

/// Accepts connections for ever, one `gc::spawn` task each.
pub(crate) async fn serve(listener: TcpListener, store: Arc<dyn Store>) {
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            continue;
        };
        let store = store.clone();
        rudo_gc_tokio::spawn(connection(socket, store));
    }
}

async fn connection(socket: TcpStream, store: Arc<dyn Store>) {
    let _ = socket.set_nodelay(true);
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let response = answer(&*store, &line);
        if write.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}
