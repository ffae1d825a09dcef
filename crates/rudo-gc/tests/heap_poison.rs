//! Under AddressSanitizer (`cargo xtask sanitize`, which also sets `--cfg
//! rudo_asan`), free slots are poisoned: a live object's bytes are usable, a
//! freed slot's are not, and a slot handed out again is usable again.
//! Without the cfg there is nothing to check and the file is empty.
#![cfg(rudo_asan)]

use core::ffi::{c_int, c_void};

use rudo_gc::{Gc, collect};

// SAFETY: ASan's public interface (`sanitizer/asan_interface.h`), linked in
// by `-Zsanitizer=address`, which `rudo_asan` goes with.
unsafe extern "C" {
    fn __asan_address_is_poisoned(addr: *const c_void) -> c_int;
}

fn poisoned(ptr: *const u8) -> bool {
    // SAFETY: a query of ASan's shadow memory; it does not access `ptr`.
    unsafe { __asan_address_is_poisoned(ptr.cast()) != 0 }
}

#[test]
fn a_live_object_is_usable_and_its_freed_slot_is_poisoned() {
    let value = Gc::new([7_u64; 6]);
    let addr = Gc::as_ptr(&value).cast::<u8>();
    assert!(!poisoned(addr), "a live object's value is usable");
    assert_eq!(value[5], 7);
    drop(value);
    collect();
    assert!(poisoned(addr), "a freed slot is poisoned");
}

#[test]
fn a_reused_slot_is_usable_again() {
    let first = Gc::new([1_u64; 6]);
    let addr = Gc::as_ptr(&first).cast::<u8>();
    drop(first);
    collect();
    assert!(poisoned(addr));
    // The same class hands the freed slot out again within a few
    // allocations (the lowest free bit of the page's word goes first).
    let again: Vec<Gc<[u64; 6]>> = (0..64).map(|i| Gc::new([i; 6])).collect();
    let reused = again
        .iter()
        .find(|g| Gc::as_ptr(g).cast::<u8>() == addr)
        .expect("the freed slot is reused");
    assert!(!poisoned(addr), "a reused slot is usable");
    assert!(reused.iter().all(|&x| x == reused[0]));
    for g in &again {
        assert!(!poisoned(Gc::as_ptr(g).cast()));
    }
}
