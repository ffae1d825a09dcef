// A `GcMutex` guard is unlocked on the thread that locked it.
use rudo_gc::GcMutex;

fn requires_send<T: Send>(_: T) {}

fn main() {
    let m = GcMutex::new(1);
    requires_send(m.lock());
}
