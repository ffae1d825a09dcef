//! Root tables as an interpreter's host-root pool (issue 10, the seeds'
//! generation-checked root pool): an interpreter's `Value` type pinned, read,
//! written, unpinned and unpinned all at once; tickets through an FFI-style
//! `u64` handed to "native functions"; stale, forged and other-table handles
//! answered with `StaleTicket`; cycles between pinned values collected once
//! unpinned.

use std::cell::Cell;
use std::rc::Rc;

use rudo_gc::roots::{RootTable, RootTicket, StaleTicket};
use rudo_gc::{Gc, GcCell, Trace, Visitor, collect};

/// An interpreter's value: immediates, and references into the GC heap.
#[derive(Clone)]
enum Value {
    Nil,
    Int(i64),
    Str(Gc<str>),
    Array(Gc<Array>),
}

/// A heap array of values, with a destructor that counts.
struct Array {
    items: GcCell<Vec<Value>>,
    drops: Rc<Cell<usize>>,
}

impl Drop for Array {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

// SAFETY: visits every `Gc` a value holds, once.
unsafe impl Trace for Value {
    fn trace(&self, v: &mut Visitor) {
        match self {
            Value::Nil | Value::Int(_) => {}
            Value::Str(s) => s.trace(v),
            Value::Array(a) => a.trace(v),
        }
    }
}

// SAFETY: visits the one field holding `Gc`s, once.
unsafe impl Trace for Array {
    fn trace(&self, v: &mut Visitor) {
        self.items.trace(v);
    }
}

fn array(items: Vec<Value>, drops: &Rc<Cell<usize>>) -> Value {
    Value::Array(Gc::new(Array {
        items: GcCell::new(items),
        drops: drops.clone(),
    }))
}

/// The host API a VM gives native functions: handles are plain integers.
struct Host {
    roots: RootTable<Value>,
}

impl Host {
    /// Pins a value for native code; returns its handle.
    fn export(&self, value: Value) -> u64 {
        self.roots.pin(value).to_bits()
    }

    /// A native function: the length of an array or string handle.
    fn native_len(&self, handle: u64) -> Result<usize, StaleTicket> {
        self.roots
            .with(RootTicket::from_bits(handle), |value| match value {
                Value::Str(s) => s.len(),
                Value::Array(a) => a.items.borrow().len(),
                Value::Nil | Value::Int(_) => 0,
            })
    }

    /// A native function: appends an integer to an array handle.
    fn native_push(&self, handle: u64, n: i64) -> Result<(), StaleTicket> {
        self.roots.with(RootTicket::from_bits(handle), |value| {
            if let Value::Array(a) = value {
                a.items.borrow_mut().push(Value::Int(n));
            }
        })
    }

    /// Releases a handle.
    fn release(&self, handle: u64) -> Result<Value, StaleTicket> {
        self.roots.unpin(RootTicket::from_bits(handle))
    }
}

#[test]
fn pin_read_write_unpin_with_an_interpreters_values() {
    let drops = Rc::new(Cell::new(0));
    let table = RootTable::new();
    let text = table.pin(Value::Str(Gc::from("hello")));
    let list = table.pin(array(vec![Value::Int(1), Value::Nil], &drops));
    collect();
    // Read.
    assert!(matches!(table.get(text), Some(Value::Str(s)) if &*s == "hello"));
    assert_eq!(
        table.with(list, |v| match v {
            Value::Array(a) => a.items.borrow().len(),
            _ => 0,
        }),
        Ok(2)
    );
    // Write: the old value comes back, the new one is rooted in its place.
    let old = table.replace(text, Value::Int(42)).expect("live ticket");
    assert!(matches!(old, Value::Str(_)));
    drop(old);
    collect();
    assert!(matches!(table.get(text), Some(Value::Int(42))));
    // Unpin: the value is handed back and the ticket goes stale.
    let value = table.unpin(list).expect("live ticket");
    assert_eq!(table.get(list).map(|_| ()), None);
    assert_eq!(
        table.unpin(list).map(|_| ()).map_err(|e| e.ticket()),
        Err(list),
        "the error names the stale ticket"
    );
    drop(value);
    collect();
    assert_eq!(drops.get(), 1, "unpinned and dropped: freed once");
    assert_eq!(table.len(), 1);
}

#[test]
fn unpin_all_frees_cycles_between_pinned_values() {
    let drops = Rc::new(Cell::new(0));
    let table = RootTable::new();
    let a = array(Vec::new(), &drops);
    let b = array(vec![a.clone()], &drops);
    if let Value::Array(inner) = &a {
        inner.items.borrow_mut().push(b.clone());
    }
    let tickets = [table.pin(a), table.pin(b)];
    collect();
    assert_eq!(drops.get(), 0, "pinned: alive");
    table.unpin_all();
    assert!(table.is_empty());
    for ticket in tickets {
        assert!(table.get(ticket).is_none(), "every ticket is stale");
    }
    collect();
    assert_eq!(drops.get(), 2, "the cycle is freed once unpinned");
}

#[test]
fn native_functions_receive_integer_handles_never_pointers() {
    let drops = Rc::new(Cell::new(0));
    let host = Host {
        roots: RootTable::new(),
    };
    let handle = host.export(array(Vec::new(), &drops));
    for n in 0..10 {
        host.native_push(handle, n).expect("live handle");
        collect(); // nothing but the table holds the array
    }
    assert_eq!(host.native_len(handle), Ok(10));
    let Value::Array(released) = host.release(handle).expect("live handle") else {
        panic!("an array was pinned");
    };
    assert_eq!(released.items.borrow().len(), 10);
    // The released handle is stale for every native function.
    assert!(host.native_len(handle).is_err());
    assert!(host.native_push(handle, 1).is_err());
    drop(released);
    collect();
    assert_eq!(drops.get(), 1);
}

#[test]
fn stale_forged_and_other_table_handles_are_stale_tickets() {
    let host = Host {
        roots: RootTable::new(),
    };
    let other = Host {
        roots: RootTable::new(),
    };
    let mine = host.export(Value::Str(Gc::from("mine")));
    let theirs = other.export(Value::Str(Gc::from("theirs")));
    // Another table's handle.
    assert!(host.native_len(theirs).is_err());
    // Forged integers: never a panic, never a value.
    for forged in [0, 1, u64::MAX, mine ^ 1, mine.wrapping_add(1 << 32), !mine] {
        assert!(host.native_len(forged).is_err(), "forged {forged:#x}");
    }
    // A stale handle whose slot was reused for another value.
    host.release(mine).expect("live");
    let reused = host.export(Value::Str(Gc::from("reused")));
    assert_ne!(reused, mine);
    assert!(host.native_len(mine).is_err());
    assert_eq!(host.native_len(reused), Ok(6));
    assert_eq!(other.native_len(theirs), Ok(6));
}
