use rudo_gc::{Gc, GcFree};

#[derive(GcFree)]
struct Handles {
    targets: Vec<Gc<u32>>,
}

fn main() {}
