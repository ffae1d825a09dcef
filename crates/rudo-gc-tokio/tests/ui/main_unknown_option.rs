#[rudo_gc_tokio::main(flavour = "multi_thread")]
async fn main() {}
