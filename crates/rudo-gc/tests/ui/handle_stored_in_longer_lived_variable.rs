// A handle cannot be stored in a variable that outlives its scope.
use rudo_gc::Gc;
use rudo_gc::handles::{Handle, HandleScope};
use rudo_gc::heap::current_thread_control_block;

fn main() {
    let tcb = current_thread_control_block().unwrap();
    let kept: Handle<'_, i32>;
    {
        let scope = HandleScope::new(&tcb);
        kept = scope.handle(&Gc::new(1));
    }
    println!("{}", *kept);
}
