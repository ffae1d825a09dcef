//! The light heap-operation fence's `membarrier` registration happens before
//! `main`, while the process has one thread: registering once worker threads
//! exist waits for a kernel grace period (8-15 ms measured), which a tokio
//! service would pay on its first heap operation.

#[test]
#[cfg_attr(miri, ignore = "Miri uses the portable fence (no membarrier)")]
fn the_process_registered_for_membarrier_before_main() {
    use rudo_gc::__private::{light_fence_available, membarrier_registered_before_main};
    // Start threads first, as a runtime would, then touch the heap.
    let workers: Vec<_> = (0..2).map(|_| std::thread::spawn(|| ())).collect();
    drop(rudo_gc::Gc::new(1_u8));
    for w in workers {
        w.join().unwrap();
    }
    let opted_out = std::env::var_os("RUDO_GC_NO_MEMBARRIER").is_some();
    if cfg!(target_os = "linux") && !opted_out && light_fence_available() {
        assert!(
            membarrier_registered_before_main(),
            "the light fence is in use but was registered after main"
        );
    } else {
        assert!(!membarrier_registered_before_main() || light_fence_available());
    }
}
