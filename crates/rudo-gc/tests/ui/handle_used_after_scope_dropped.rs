// A handle cannot be used after its scope was explicitly dropped.
use rudo_gc::Gc;
use rudo_gc::handles::HandleScope;
use rudo_gc::heap::current_thread_control_block;

fn main() {
    let tcb = current_thread_control_block().unwrap();
    let scope = HandleScope::new(&tcb);
    let h = scope.handle(&Gc::new(1));
    drop(scope);
    println!("{}", *h);
}
