#[rudo_gc_tokio::test]
#[test]
async fn tested_twice() {}

fn main() {}
