#[rudo_gc_tokio::root(flavor = "current_thread")]
async fn handler() {}

fn main() {}
