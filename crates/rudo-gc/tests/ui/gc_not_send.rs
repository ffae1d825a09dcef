use rudo_gc::Gc;

fn requires_send<T: Send>() {}

fn main() {
    requires_send::<Gc<i32>>();
}
