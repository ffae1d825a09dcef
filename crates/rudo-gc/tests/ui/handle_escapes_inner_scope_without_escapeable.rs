// A handle of an inner scope cannot be moved into the outer scope's lifetime
// without an EscapeableHandleScope.
use rudo_gc::Gc;
use rudo_gc::handles::{Handle, HandleScope};
use rudo_gc::heap::current_thread_control_block;

fn inner<'outer>(outer: &'outer HandleScope<'_>) -> Handle<'outer, i32> {
    let scope = HandleScope::new(outer.thread_control_block());
    scope.handle(&Gc::new(1))
}

fn main() {
    let tcb = current_thread_control_block().unwrap();
    let outer = HandleScope::new(&tcb);
    println!("{}", *inner(&outer));
}
