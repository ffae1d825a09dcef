//! Root tables: the host-root pool scenarios (pin, read, write, unpin,
//! unpin_all with an interpreter's `Value` type), tickets through `u64`s,
//! stale and foreign tickets, re-entry, and roots across threads and
//! collections.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::thread;

use common::{collect_now, panic_message};
use rudo_gc::roots::{RootTable, RootTicket};
use rudo_gc::{Gc, GcCell, Trace, Weak, collect};

/// An interpreter's value: immediate or a reference into the GC heap.
#[derive(Trace, Clone, Debug)]
enum Value {
    Nil,
    Int(i64),
    Str(Gc<str>),
    Table(Gc<Object>),
}

/// An interpreter object whose fields may point back to it.
#[derive(Trace, Debug)]
struct Object {
    name: String,
    fields: GcCell<Vec<Value>>,
}

fn object(name: &str) -> Gc<Object> {
    Gc::new(Object {
        name: name.to_owned(),
        fields: GcCell::new(Vec::new()),
    })
}

#[test]
fn pin_read_write_unpin() {
    let host = RootTable::new();
    let t = host.pin(Value::Int(7));
    assert!(matches!(host.get(t), Some(Value::Int(7))));
    assert_eq!(host.with(t, |v| matches!(v, Value::Int(7))), Ok(true));
    // A write keeps the ticket valid.
    let old = host.replace(t, Value::Str(Gc::from("seven"))).unwrap();
    assert!(matches!(old, Value::Int(7)));
    assert!(matches!(host.get(t), Some(Value::Str(s)) if &*s == "seven"));
    assert_eq!(host.len(), 1);
    assert!(matches!(host.unpin(t), Ok(Value::Str(_))));
    assert!(host.is_empty());
    // Stale from now on, for every operation.
    assert!(host.get(t).is_none());
    assert_eq!(host.with(t, |_| ()).unwrap_err().ticket(), t);
    assert!(host.replace(t, Value::Nil).is_err());
    assert!(host.unpin(t).is_err());
}

#[test]
fn a_stale_ticket_never_reads_the_slots_next_value() {
    let host = RootTable::new();
    let first = host.pin(Value::Int(1));
    host.unpin(first).unwrap();
    let second = host.pin(Value::Int(2)); // reuses the slot
    assert_ne!(first, second);
    assert!(host.get(first).is_none());
    assert!(host.unpin(first).is_err());
    assert!(matches!(host.get(second), Some(Value::Int(2))));
}

#[test]
fn pinned_values_survive_collections_and_die_once_unpinned() {
    let host = RootTable::new();
    let obj = object("pinned");
    // A cycle through the pinned object.
    obj.fields.borrow_mut().push(Value::Table(obj.clone()));
    let weak: Weak<Object> = Gc::downgrade(&obj);
    let t = host.pin(Value::Table(obj));
    for _ in 0..3 {
        collect_now();
        let alive = host.with(t, |v| match v {
            Value::Table(o) => o.name.clone(),
            _ => unreachable!(),
        });
        assert_eq!(alive.as_deref(), Ok("pinned"));
    }
    drop(host.unpin(t).unwrap());
    collect_now();
    assert!(weak.upgrade().is_none(), "the cycle died once unpinned");
}

#[test]
fn tickets_cross_an_integer_boundary() {
    let host = RootTable::new();
    let tickets: Vec<u64> = (0..100)
        .map(|i| host.pin(Value::Int(i)).to_bits())
        .collect();
    collect();
    for (i, &bits) in tickets.iter().enumerate() {
        let t = RootTicket::from_bits(bits);
        assert!(matches!(host.get(t), Some(Value::Int(n)) if n == i as i64));
    }
}

#[test]
fn garbage_integers_are_stale_never_a_panic_or_a_value() {
    let host = RootTable::new();
    let live: Vec<RootTicket> = (0..if cfg!(miri) { 4 } else { 64 })
        .map(|i| host.pin(Value::Int(i)))
        .collect();
    let live_bits: Vec<u64> = live.iter().map(|t| t.to_bits()).collect();
    // Every bit flip of a live ticket, and a sweep of arbitrary integers.
    let mut candidates: Vec<u64> = live_bits
        .iter()
        .flat_map(|&b| (0..64).map(move |bit| b ^ (1 << bit)))
        .collect();
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..if cfg!(miri) { 200 } else { 20_000 } {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        candidates.push(x);
    }
    candidates.extend([0, u64::MAX, 1, 1 << 63]);
    for bits in candidates {
        if live_bits.contains(&bits) {
            continue;
        }
        let t = RootTicket::from_bits(bits);
        assert!(host.get(t).is_none(), "{t:?}");
        assert!(host.with(t, |_| ()).is_err());
        assert!(host.replace(t, Value::Nil).is_err());
        assert!(host.unpin(t).is_err());
    }
    assert_eq!(host.len(), live.len(), "nothing was disturbed");
}

#[test]
fn another_tables_ticket_is_stale() {
    let a = RootTable::new();
    let b = RootTable::new();
    let ta = a.pin(Value::Int(1));
    let tb = b.pin(Value::Int(2));
    assert!(b.get(ta).is_none());
    assert!(a.get(tb).is_none());
    assert!(b.unpin(ta).is_err());
    assert_eq!(a.len() + b.len(), 2);
}

#[test]
fn unpin_all_makes_every_ticket_stale_and_frees_the_values() {
    let host = RootTable::new();
    let weaks: Vec<Weak<Object>> = (0..10)
        .map(|i| {
            let o = object(&format!("o{i}"));
            let w = Gc::downgrade(&o);
            host.pin(Value::Table(o));
            w
        })
        .collect();
    let t = host.pin(Value::Nil);
    host.unpin_all();
    assert!(host.is_empty());
    assert!(host.get(t).is_none());
    collect_now();
    assert!(weaks.iter().all(|w| w.upgrade().is_none()));
    // The table is usable again.
    let again = host.pin(Value::Int(5));
    assert!(matches!(host.get(again), Some(Value::Int(5))));
}

/// Its destructor pins into a table: values leave the table before they
/// are dropped, so this does not deadlock.
struct PinsOnDrop {
    table: std::rc::Rc<RootTable<Value>>,
    pinned: std::rc::Rc<AtomicUsize>,
}

// SAFETY: owns no `Gc`.
unsafe impl Trace for PinsOnDrop {
    fn trace(&self, _: &mut rudo_gc::Visitor) {}
}

impl Drop for PinsOnDrop {
    fn drop(&mut self) {
        self.table.pin(Value::Int(-1));
        self.pinned.fetch_add(1, SeqCst);
    }
}

#[test]
fn destructors_of_unpinned_values_may_use_the_table() {
    let table = std::rc::Rc::new(RootTable::new());
    let inner = RootTable::new();
    let pinned = std::rc::Rc::new(AtomicUsize::new(0));
    for _ in 0..3 {
        inner.pin(PinsOnDrop {
            table: table.clone(),
            pinned: pinned.clone(),
        });
    }
    inner.unpin_all();
    assert_eq!(pinned.load(SeqCst), 3);
    assert_eq!(table.len(), 3);
}

#[test]
fn using_the_table_inside_its_own_with_panics_instead_of_deadlocking() {
    let host = RootTable::new();
    let t = host.pin(Value::Int(1));
    let other = RootTable::new();
    let message = panic_message(
        &*catch_unwind(AssertUnwindSafe(|| {
            host.with(t, |_| host.pin(Value::Nil)).unwrap();
        }))
        .unwrap_err(),
    );
    assert!(message.contains("inside its own `with`"), "{message}");
    // Another table is fine inside `with`, and the table works afterwards.
    let inner = host.with(t, |v| other.pin(v.clone())).unwrap();
    assert!(matches!(other.get(inner), Some(Value::Int(1))));
    assert!(matches!(host.unpin(t), Ok(Value::Int(1))));
}

#[test]
fn threads_pin_and_unpin_concurrently_while_others_collect() {
    const THREADS: usize = if cfg!(miri) { 2 } else { 4 };
    const ROUNDS: usize = if cfg!(miri) { 8 } else { 2_000 };
    let table: Arc<RootTable<Gc<[u64; 4]>>> = Arc::new(RootTable::new());
    let barrier = Arc::new(Barrier::new(THREADS + 1));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (table, barrier) = (table.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                let mut held = Vec::new();
                for i in 0..ROUNDS {
                    let tag = (t * ROUNDS + i) as u64;
                    held.push((tag, table.pin(Gc::new([tag; 4]))));
                    if i % 3 == 0 {
                        let (tag, ticket) = held.swap_remove(held.len() / 2);
                        assert_eq!(*table.unpin(ticket).unwrap(), [tag; 4]);
                    }
                }
                for (tag, ticket) in &held {
                    assert_eq!(*table.get(*ticket).unwrap(), [*tag; 4]);
                }
                held
            })
        })
        .collect();
    barrier.wait();
    for _ in 0..if cfg!(miri) { 2 } else { 20 } {
        collect_now();
    }
    let held: Vec<_> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert_eq!(table.len(), held.len());
    collect_now();
    // Pinned on one thread, read and unpinned on another, after collections.
    thread::spawn(move || {
        for (tag, ticket) in held {
            assert_eq!(*table.unpin(ticket).unwrap(), [tag; 4]);
        }
        assert!(table.is_empty());
    })
    .join()
    .unwrap();
}

#[test]
fn dropping_a_table_drops_its_values() {
    let weak;
    {
        let host = RootTable::new();
        let o = object("owned by the table");
        weak = Gc::downgrade(&o);
        host.pin(Value::Table(o));
        collect_now();
        assert!(weak.upgrade().is_some());
    }
    collect_now();
    assert!(weak.upgrade().is_none());
}

#[test]
fn tickets_and_errors_are_small_and_printable() {
    assert_eq!(core::mem::size_of::<RootTicket>(), 8);
    let host = RootTable::new();
    let t = host.pin(Value::Nil);
    let debug = format!("{t:?}");
    assert!(
        debug.contains("RootTicket") && debug.contains("generation"),
        "{debug}"
    );
    host.unpin(t).unwrap();
    let err = host.unpin(t).unwrap_err();
    assert_eq!(err.ticket(), t);
    let message = err.to_string();
    assert!(
        message.contains("stale root ticket") && message.contains("unpinned"),
        "{message}"
    );
    let _: &dyn std::error::Error = &err;
    assert!(format!("{host:?}").contains("len: 0"));
}

#[test]
fn the_dirty_flag_follows_changes_and_collections() {
    let host = RootTable::new();
    assert!(!host.is_dirty(), "a new table is clean");
    let t = host.pin(Value::Int(1));
    assert!(host.is_dirty(), "pinning makes it dirty");
    collect_now();
    assert!(!host.is_dirty(), "a collection that ran cleans it");
    host.replace(t, Value::Int(2)).unwrap();
    assert!(host.is_dirty());
    collect_now();
    let _ = host.get(t);
    let _ = host.with(t, |_| ());
    assert!(!host.is_dirty(), "reading changes nothing");
    host.unpin(t).unwrap();
    assert!(host.is_dirty());
    collect_now();
    assert!(host.unpin(t).is_err());
    host.unpin_all(); // nothing left to unpin
    assert!(
        !host.is_dirty(),
        "failed and empty operations change nothing"
    );
}
