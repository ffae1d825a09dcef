// `Weak<T>` follows `Gc<T>`: not `Send` unless `T: Send + Sync`.
use std::cell::Cell;

use rudo_gc::{Gc, Weak};

fn requires_send<T: Send>() {}

fn main() {
    let _ = Gc::new(Cell::new(1));
    requires_send::<Weak<Cell<i32>>>();
}
