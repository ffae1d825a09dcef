//! Runtime wiring: the hooks every runtime that runs `Gc` code should have.

use tokio::runtime::Builder;

/// Installs the collector's hooks on a runtime builder and returns it, for
/// runtimes built by hand (`#[gc::main]` and `#[gc::test]` call it):
///
/// - `on_thread_park`: a worker about to sleep drops the dead values waiting
///   for it ([`on_thread_park`]), so an idle worker holds no garbage.
/// - `on_thread_stop`: likewise before a worker exits ([`on_thread_stop`]);
///   its heap then retires through the thread's exit collection.
///
/// Tokio keeps one callback per hook: a hook set after this call replaces
/// ours. To have both, call [`on_thread_park`] and [`on_thread_stop`] from
/// your own hooks.
///
/// # Examples
///
/// ```
/// let mut builder = tokio::runtime::Builder::new_multi_thread();
/// builder.worker_threads(2).enable_all();
/// let runtime = rudo_gc_tokio::runtime::install(&mut builder).build().unwrap();
/// let n = runtime.block_on(async { rudo_gc_tokio::spawn(async { *rudo_gc::Gc::new(3) }).await });
/// let n = n.unwrap();
/// assert_eq!(n, 3);
/// ```
pub fn install(builder: &mut Builder) -> &mut Builder {
    builder
        .on_thread_park(on_thread_park)
        .on_thread_stop(on_thread_stop)
}

/// The park hook: drops the dead values waiting for this worker thread.
pub fn on_thread_park() {
    rudo_gc::sweep_pending();
}

/// The stop hook: drops the dead values waiting for this worker thread
/// before it exits.
pub fn on_thread_stop() {
    rudo_gc::sweep_pending();
}
