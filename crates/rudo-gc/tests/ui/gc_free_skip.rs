use rudo_gc::{Gc, GcFree};

#[derive(GcFree)]
struct Handle {
    #[gc(skip)]
    target: Gc<u32>,
}

fn main() {}
