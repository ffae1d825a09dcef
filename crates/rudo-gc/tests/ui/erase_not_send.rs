// An erased pointer is `Send + Sync`, so only `Send + Sync` values erase.
use rudo_gc::Gc;

fn main() {
    let _erased = Gc::erase(Gc::new(std::cell::Cell::new(1_u8)));
}
