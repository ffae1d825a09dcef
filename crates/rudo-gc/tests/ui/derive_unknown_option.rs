use rudo_gc::Trace;

#[derive(Trace)]
#[gc(unsafe_dorp)]
struct Node {
    #[gc(skp)]
    value: u32,
}

fn main() {}
