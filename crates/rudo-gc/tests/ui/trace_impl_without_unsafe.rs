// Every contract of `Trace` whose breach is undefined behaviour (visiting a
// `Gc` twice, `NEEDS_TRACE = false` on a type that owns `Gc`s, visiting a
// different set each time) is behind `unsafe impl`: safe code cannot write
// such an impl.
use rudo_gc::{Gc, Trace, Visitor};

struct Twice {
    child: Gc<u32>,
}

impl Trace for Twice {
    const NEEDS_TRACE: bool = false;
    fn trace(&self, v: &mut Visitor) {
        self.child.trace(v);
        self.child.trace(v);
    }
}

fn main() {}
