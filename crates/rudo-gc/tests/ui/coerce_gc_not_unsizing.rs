// `coerce_gc!` only unsizes: a `Gc<u32>` is not a `Gc<u64>`, and a type that
// does not implement the trait does not become its trait object.
use rudo_gc::{Gc, coerce_gc};

trait Shape {
    fn area(&self) -> f64;
}

fn main() {
    let _wide: Gc<u64> = coerce_gc!(Gc::new(1_u32));
    let _shape: Gc<dyn Shape> = coerce_gc!(Gc::new(String::from("not a shape")));
}
