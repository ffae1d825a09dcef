// A handle cannot leave `handles::scope`: the closure's scope lifetime is
// higher-ranked, so the return type cannot mention it.
use rudo_gc::{Gc, handles};

fn main() {
    let gc = Gc::new(1);
    let escaped = handles::scope(|s| s.handle(&gc));
    println!("{}", *escaped);
}
