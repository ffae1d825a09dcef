// Handle scopes are !Send: a scope stays on the thread whose slots it owns.
use rudo_gc::handles::HandleScope;
use rudo_gc::heap::current_thread_control_block;

fn main() {
    let tcb = current_thread_control_block().unwrap();
    let scope = HandleScope::new(&tcb);
    std::thread::scope(|s| {
        s.spawn(move || drop(scope));
    });
}
