use rudo_gc::Gc;
use rudo_gc_tokio as gc;

async fn none() {
    let _ = gc::spawn_with_gc!(=> || async move {});
}

async fn thirteen() {
    let (a, b, c, d, e, f, g, h, i, j, k, l, m) = (
        Gc::new(0), Gc::new(1), Gc::new(2), Gc::new(3), Gc::new(4), Gc::new(5), Gc::new(6),
        Gc::new(7), Gc::new(8), Gc::new(9), Gc::new(10), Gc::new(11), Gc::new(12),
    );
    let _ = gc::spawn_with_gc!(a, b, c, d, e, f, g, h, i, j, k, l, m =>
        |a, b, c, d, e, f, g, h, i, j, k, l, m| async move {});
}

fn main() {}
