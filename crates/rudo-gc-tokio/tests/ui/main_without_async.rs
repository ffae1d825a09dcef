#[rudo_gc_tokio::main]
fn main() {}
