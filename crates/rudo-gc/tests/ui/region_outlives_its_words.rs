// A conservative region borrows its words and its section: neither may go
// away while the region is registered.
use rudo_gc::roots::{ConservativeRegion, MutatorSection};
use std::sync::atomic::AtomicUsize;

fn main() {
    let section = MutatorSection::enter();
    let region = {
        let words = vec![AtomicUsize::new(0)];
        ConservativeRegion::register(&section, &words)
    };
    drop(section);
    drop(region);
}
