// `GcRwLock<T>` shares `&T` between readers on several threads, so it is
// `Sync` only when `T: Sync`; `Gc<GcRwLock<Cell<_>>>` stays on its thread.
use std::cell::Cell;

use rudo_gc::{Gc, GcRwLock};

fn requires_send<T: Send>() {}

fn main() {
    requires_send::<Gc<GcRwLock<Cell<i32>>>>();
}
