//! Entry point 3, `root_guard()` in a library: a callback registry that
//! keeps the objects its callbacks need alive by guards, without owning the
//! runtime or asking its users to set anything up.
//!
//! ```text
//! cargo run --release --example tokio_root_guard
//! ```

mod registry {
    //! The library: register a value under a name, fire callbacks on it
    //! later from any task.
    use std::collections::HashMap;
    use std::sync::Mutex;

    use rudo_gc::Gc;
    use rudo_gc_tokio::{GcRootGuard, GcTokioExt};

    /// Values the registry keeps alive until they are removed.
    pub(crate) struct Registry<T: Send + Sync + 'static> {
        entries: Mutex<HashMap<String, GcRootGuard<T>>>,
    }

    impl<T: Send + Sync + 'static> Registry<T> {
        pub(crate) fn new() -> Self {
            Registry {
                entries: Mutex::new(HashMap::new()),
            }
        }

        /// Keeps `value` alive under `name`.
        pub(crate) fn insert(&self, name: &str, value: &Gc<T>) {
            let guard = value.root_guard();
            self.entries.lock().unwrap().insert(name.to_owned(), guard);
        }

        /// Runs `f` on the value registered under `name`.
        pub(crate) fn with<R>(&self, name: &str, f: impl FnOnce(&T) -> R) -> Option<R> {
            let gc = self.entries.lock().unwrap().get(name)?.to_gc();
            Some(f(&gc))
        }

        /// Forgets `name`; the value may die at the next collection.
        pub(crate) fn remove(&self, name: &str) -> bool {
            self.entries.lock().unwrap().remove(name).is_some()
        }
    }
}

use std::sync::Arc;

use rudo_gc::{Gc, collect};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let registry = Arc::new(registry::Registry::new());
    let weak = {
        let greeting = Gc::new(String::from("hello from the registry"));
        registry.insert("greeting", &greeting);
        Gc::downgrade(&greeting)
    }; // no `Gc` is left: the registry's guard keeps the value alive
    collect();
    let r = registry.clone();
    let len = tokio::spawn(async move { r.with("greeting", |s| s.len()) })
        .await
        .expect("the task does not panic");
    println!("a task read the registered value: {len:?} bytes");
    assert!(registry.remove("greeting"));
    collect();
    assert!(weak.upgrade().is_none());
    println!("removed from the registry, the value was freed by the next collection");
}
