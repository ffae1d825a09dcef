use std::cell::Cell;

use rudo_gc::{Gc, Trace};

fn requires_trace<T: Trace>() {}

fn main() {
    requires_trace::<Cell<Option<Gc<i32>>>>();
}
