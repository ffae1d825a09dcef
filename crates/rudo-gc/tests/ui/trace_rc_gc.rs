use std::rc::Rc;

use rudo_gc::{Gc, Trace};

fn requires_trace<T: Trace>() {}

fn main() {
    requires_trace::<Rc<Gc<i32>>>();
}
