use rudo_gc::Gc;

#[rudo_gc_tokio::root]
fn handle(request: Gc<String>) -> usize {
    request.len()
}

fn main() {}
