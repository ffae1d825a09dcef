//! A leak, found with a heap snapshot.
//!
//! A chat server keeps an event bus; every session subscribes a listener
//! that points back to its session. Closing a session forgets to
//! unsubscribe, so the bus keeps every closed session alive: a leak no
//! collector can free, because the sessions are still reachable.
//!
//! The program shows the leak three ways: `heap::census()` counts the
//! sessions, `heap::write_snapshot` writes the heap for Chrome DevTools,
//! and the fix (unsubscribing) makes the census drop to zero. The
//! walkthrough in `docs/leak-hunt.md` finds the retainer path in DevTools'
//! Memory tab.
//!
//! ```text
//! cargo run --release --example leak_hunt -- target/leak_hunt.heapsnapshot
//! ```

use std::fs::File;

use rudo_gc::{Gc, GcCell, Trace, collect, heap};

/// Who gets told about new messages.
#[derive(Trace)]
struct EventBus {
    listeners: GcCell<Vec<Gc<Listener>>>,
}

/// A subscription: the session it delivers to.
#[derive(Trace)]
struct Listener {
    session: Gc<Session>,
}

/// One connected user, with the messages it has seen.
#[derive(Trace)]
struct Session {
    #[gc(skip)]
    user: String,
    #[gc(skip)]
    history: Vec<String>,
}

const SESSIONS: usize = 100;

fn connect(bus: &Gc<EventBus>, user: String) -> Gc<Session> {
    let session = Gc::new(Session {
        user,
        history: vec!["welcome".into(); 8],
    });
    bus.listeners.borrow_mut().push(Gc::new(Listener {
        session: session.clone(),
    }));
    session
}

/// The bug: the listener stays on the bus.
fn close_leaky(session: Gc<Session>) {
    drop(session);
}

/// The fix: unsubscribe first.
fn close(bus: &Gc<EventBus>, session: Gc<Session>) {
    bus.listeners
        .borrow_mut()
        .retain(|l| !Gc::ptr_eq(&l.session, &session));
}

fn sessions_alive() -> u64 {
    heap::census()
        .of(core::any::type_name::<Session>())
        .map_or(0, |t| t.objects)
}

fn main() -> std::io::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/leak_hunt.heapsnapshot".into());
    let bus = Gc::new(EventBus {
        listeners: GcCell::new(Vec::new()),
    });

    for i in 0..SESSIONS {
        let session = connect(&bus, format!("user{i}"));
        close_leaky(session);
    }
    collect();
    let leaked = sessions_alive();
    println!("after closing {SESSIONS} sessions the leaky way: {leaked} still alive");
    assert_eq!(leaked, SESSIONS as u64, "the leak is there to be found");
    println!("{}", heap::census());

    let summary = heap::write_snapshot(File::create(&path)?)?;
    println!(
        "wrote {path}: {} objects, {} edges; open it in Chrome DevTools (Memory, Load profile) \
         and follow docs/leak-hunt.md",
        summary.objects, summary.edges
    );
    // What a checker can verify (`cargo xtask heapsnapshot`).
    std::fs::write(
        format!("{path}.expected.json"),
        format!(
            "{{\"objects\":{},\"edges\":{},\"leaked\":\"{}\",\"path\":[\"{}\",\"{}\",\"(external references)\",\"(rudo-gc roots)\"]}}\n",
            summary.objects,
            summary.edges,
            core::any::type_name::<Session>(),
            core::any::type_name::<Listener>(),
            core::any::type_name::<EventBus>(),
        ),
    )?;

    // The fix: the same sessions, closed properly, are freed.
    bus.listeners.borrow_mut().clear();
    collect();
    let users: Vec<Gc<Session>> = (0..SESSIONS)
        .map(|i| connect(&bus, format!("user{i}")))
        .collect();
    assert!(
        users
            .iter()
            .all(|s| s.history.len() == 8 && !s.user.is_empty())
    );
    for session in users {
        close(&bus, session);
    }
    collect();
    let alive = sessions_alive();
    println!("after closing {SESSIONS} sessions with the fix: {alive} alive");
    println!("{}", heap::census());
    assert_eq!(alive, 0);
    println!("{}", rudo_gc::stats());
    Ok(())
}
