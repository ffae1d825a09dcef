use std::cell::OnceCell;
use std::sync::{OnceLock, RwLock};

use rudo_gc::{Gc, Trace};

fn requires_trace<T: Trace>() {}

fn main() {
    requires_trace::<RwLock<Gc<i32>>>();
    requires_trace::<OnceCell<Gc<i32>>>();
    requires_trace::<OnceLock<Gc<i32>>>();
}
