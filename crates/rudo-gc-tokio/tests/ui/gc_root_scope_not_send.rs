// A scope around a `!Send` future is `!Send`: it cannot be `gc::spawn`ed.
use std::rc::Rc;

fn send<T: Send>(_: T) {}

fn main() {
    let local = Rc::new(1_u8);
    send(rudo_gc_tokio::GcRootScope::new(async move { *local }));
}
