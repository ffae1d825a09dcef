use rudo_gc::{Gc, Trace};

#[derive(Trace)]
struct Node {
    next: Option<Gc<Node>>,
}

impl Drop for Node {
    fn drop(&mut self) {}
}

fn main() {}
