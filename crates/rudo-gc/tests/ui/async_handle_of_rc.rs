// Async handles are for values tasks may share: `Send + Sync` only.
use rudo_gc::Gc;
use rudo_gc::handles::AsyncHandleScope;

fn main() {
    let scope = AsyncHandleScope::new();
    let gc = Gc::new(std::rc::Rc::new(1_u8));
    let _h = scope.handle(&gc);
}
