// Handles are !Send: they cannot cross to another thread (even a scoped one).
use rudo_gc::Gc;
use rudo_gc::handles::HandleScope;
use rudo_gc::heap::current_thread_control_block;

fn main() {
    let tcb = current_thread_control_block().unwrap();
    let scope = HandleScope::new(&tcb);
    let h = scope.handle(&Gc::new(1));
    std::thread::scope(|s| {
        s.spawn(move || println!("{}", *h));
    });
}
