#[rudo_gc_tokio::main(flavor = "current_thread", flavor = "current_thread")]
async fn main() {}

#[rudo_gc_tokio::test(worker_threads = 2, flavor = "multi_thread", worker_threads = 3)]
async fn twice() {}
