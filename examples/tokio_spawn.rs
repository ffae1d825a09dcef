//! Entry point 1, `gc::spawn`: tasks on a multi-threaded runtime share a
//! cyclic graph through `Gc`s they capture. Nothing is registered: a `Gc` in
//! a task is a root by its count, wherever tokio keeps the task.
//!
//! ```text
//! cargo run --release --example tokio_spawn
//! ```

use rudo_gc::{Gc, GcMutex, Trace, Weak, collect};
use rudo_gc_tokio as gc;

/// A ring of rooms: every room points to the next, the last back to the
/// first, so the whole ring is one cycle.
#[derive(Trace)]
struct Room {
    name: String,
    visits: GcMutex<u64>,
    next: GcMutex<Option<Gc<Room>>>,
}

fn ring(n: usize) -> Gc<Room> {
    let rooms: Vec<Gc<Room>> = (0..n)
        .map(|i| {
            Gc::new(Room {
                name: format!("room {i}"),
                visits: GcMutex::new(0),
                next: GcMutex::new(None),
            })
        })
        .collect();
    for (i, room) in rooms.iter().enumerate() {
        *room.next.lock() = Some(rooms[(i + 1) % n].clone());
    }
    rooms[0].clone()
}

#[gc::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let start = ring(100);
    let watch: Weak<Room> = Gc::downgrade(&start);
    // 50 walkers, each walking the ring from the start for 1,000 steps.
    let walkers: Vec<_> = (0..50)
        .map(|_| {
            let mut room = start.clone();
            gc::spawn(async move {
                for step in 0..1_000 {
                    *room.visits.lock() += 1;
                    let next = room.next.lock().clone().expect("a ring");
                    room = next;
                    if step % 100 == 0 {
                        gc::yield_now().await; // other tasks run, a collection may too
                    }
                }
                room.name.clone()
            })
        })
        .collect();
    for walker in walkers {
        let ends = walker.await.expect("walkers do not panic");
        assert_eq!(
            ends, "room 0",
            "1,000 steps around 100 rooms end where they started"
        );
    }
    let visits = *start.visits.lock();
    println!("room 0 was visited {visits} times by 50 walkers");
    drop(start);
    collect();
    assert!(watch.upgrade().is_none());
    println!("the ring, a cycle of 100 rooms, was freed once no task held it");
}
