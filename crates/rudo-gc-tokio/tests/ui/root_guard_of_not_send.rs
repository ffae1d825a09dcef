use rudo_gc::Gc;
use rudo_gc_tokio::GcTokioExt;

fn main() {
    let local = Gc::new(std::rc::Rc::new(1_u8));
    let _guard = local.root_guard();
}
