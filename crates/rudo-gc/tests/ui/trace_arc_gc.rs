use std::sync::Arc;

use rudo_gc::{Gc, Trace};

fn requires_trace<T: Trace>() {}

fn main() {
    requires_trace::<Arc<Gc<i32>>>();
}
