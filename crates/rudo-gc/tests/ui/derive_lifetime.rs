use rudo_gc::Trace;

#[derive(Trace)]
struct Borrowed<'a> {
    name: &'a str,
}

fn main() {}
