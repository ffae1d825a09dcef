// A mutator section belongs to the thread that entered it: it cannot move
// to another thread, nor can a region that borrows it.
use rudo_gc::roots::{ConservativeRegion, MutatorSection};
use std::sync::atomic::AtomicUsize;

fn main() {
    let section = MutatorSection::enter();
    std::thread::spawn(move || drop(section));

    let section = MutatorSection::enter();
    let words = [AtomicUsize::new(0)];
    let region = ConservativeRegion::register(&section, &words);
    std::thread::scope(|s| {
        s.spawn(move || drop(region));
    });
}
