// Every mistake is reported, at once, each at its option.
#[rudo_gc_tokio::main(flavor = "single_thread", worker_threads = 0, start_paused = "yes")]
async fn main() {}
