use rudo_gc::Gc;

fn main() {
    let (a, b) = (Gc::new(1_u8), Gc::new(2_u8));
    let _ = rudo_gc_tokio::spawn_with_gc!(a, b => |ha| async move { drop(ha) });
}
