use rudo_gc::Trace;

#[derive(Trace)]
#[gc(skip)]
struct Node {
    #[gc(crate = "rudo_gc")]
    value: u32,
}

fn main() {}
