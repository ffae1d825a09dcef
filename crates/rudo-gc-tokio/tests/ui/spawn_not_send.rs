use std::rc::Rc;

fn main() {
    let _ = rudo_gc_tokio::spawn(async {
        let local = Rc::new(1_u8);
        rudo_gc_tokio::yield_now().await;
        drop(local);
    });
}
