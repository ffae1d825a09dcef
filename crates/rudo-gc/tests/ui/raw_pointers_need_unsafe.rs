// The FFI entry points whose misuse is undefined behaviour are `unsafe fn`s.
use std::sync::atomic::AtomicUsize;

use rudo_gc::Gc;
use rudo_gc::roots::{ConservativeRegion, MutatorSection};

fn main() {
    let raw = Gc::into_raw(Gc::new(1_u32));
    let _back: Gc<u32> = Gc::from_raw(raw);
    let words = [0_usize; 4];
    let section = MutatorSection::enter();
    let _region = ConservativeRegion::register_raw(&section, words.as_ptr(), words.len());
    let _ = AtomicUsize::new(0);
}
