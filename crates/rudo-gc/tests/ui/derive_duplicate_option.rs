use rudo_gc::Trace;

#[derive(Trace)]
#[gc(unsafe_drop, unsafe_drop)]
struct Node {
    #[gc(skip)]
    #[gc(skip)]
    value: u32,
}

fn main() {}
