use std::sync::Mutex;

use rudo_gc::{Gc, Trace};

fn requires_trace<T: Trace>() {}

fn main() {
    requires_trace::<Mutex<Gc<i32>>>();
}
