// A handle cannot be captured by a closure that must be 'static.
use rudo_gc::Gc;
use rudo_gc::handles::HandleScope;
use rudo_gc::heap::current_thread_control_block;

fn register(callback: impl Fn() -> i32 + 'static) -> i32 {
    callback()
}

fn main() {
    let tcb = current_thread_control_block().unwrap();
    let scope = HandleScope::new(&tcb);
    let h = scope.handle(&Gc::new(1));
    register(move || *h);
}
