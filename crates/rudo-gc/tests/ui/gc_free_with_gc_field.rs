use rudo_gc::{Gc, GcFree};

#[derive(GcFree)]
struct Handle {
    id: u32,
    target: Gc<u32>,
}

fn main() {}
