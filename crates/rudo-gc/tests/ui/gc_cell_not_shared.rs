// `GcCell` is `!Sync` (like `RefCell`), so a `Gc` to one stays on its thread:
// shared mutable state goes through `GcMutex` or `GcRwLock`.
use rudo_gc::{Gc, GcCell};

fn main() {
    let shared = Gc::new(GcCell::new(1));
    std::thread::spawn(move || *shared.borrow_mut() += 1);
}
