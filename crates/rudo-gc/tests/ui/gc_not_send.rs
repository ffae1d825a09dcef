// `Gc<T>` is `Send` only when `T: Send + Sync`: an `Rc` inside must not cross
// threads.
use std::rc::Rc;

use rudo_gc::Gc;

fn requires_send<T: Send>() {}

fn main() {
    requires_send::<Gc<Rc<i32>>>();
}
