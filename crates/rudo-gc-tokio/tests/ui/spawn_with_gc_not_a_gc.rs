fn main() {
    let n = 5_u32;
    let _ = rudo_gc_tokio::spawn_with_gc!(n => |h| async move { drop(h) });
}
