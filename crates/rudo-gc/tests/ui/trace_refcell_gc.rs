use std::cell::RefCell;

use rudo_gc::{Gc, Trace};

fn requires_trace<T: Trace>() {}

fn main() {
    requires_trace::<RefCell<Gc<i32>>>();
}
