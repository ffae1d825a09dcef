use rudo_gc::GcFree;

#[derive(GcFree)]
struct Borrowed<'a> {
    name: &'a str,
}

fn main() {}
