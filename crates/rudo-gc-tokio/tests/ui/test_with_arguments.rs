#[rudo_gc_tokio::test]
async fn runs(_n: u8) {}

fn main() {}
