use rudo_gc::Trace;

struct NotTrace;

#[derive(Trace)]
struct Node {
    value: NotTrace,
}

fn main() {}
