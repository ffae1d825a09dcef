//! `heap::census()`: live objects and bytes per type, taken on request with
//! the world stopped.

use core::fmt;
use std::collections::HashMap;

use super::walk;

/// Live objects of one type, from [`census`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TypeCensus {
    /// The value's type (`core::any::type_name`: `Gc<[T]>` counts as `[T]`).
    pub type_name: &'static str,
    /// Objects alive.
    pub objects: u64,
    /// Bytes of their slots (header, value and the slot's rounding).
    pub bytes: u64,
}

/// What the heap holds, per type, from [`census`]: every object not yet
/// found dead, on every thread's pages and the pages of exited threads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Census {
    /// Per type, most bytes first (ties: most objects, then by name).
    pub types: Vec<TypeCensus>,
}

impl Census {
    /// Objects counted.
    pub fn objects(&self) -> u64 {
        self.types.iter().map(|t| t.objects).sum()
    }

    /// Bytes counted.
    pub fn bytes(&self) -> u64 {
        self.types.iter().map(|t| t.bytes).sum()
    }

    /// The `n` types holding the most bytes.
    pub fn top(&self, n: usize) -> &[TypeCensus] {
        &self.types[..n.min(self.types.len())]
    }

    /// The entry for `type_name`, if any object of it is alive.
    pub fn of(&self, type_name: &str) -> Option<&TypeCensus> {
        self.types.iter().find(|t| t.type_name == type_name)
    }
}

impl fmt::Display for Census {
    /// A table of the ten types holding the most bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "rudo-gc heap: {} objects, {} bytes, {} types",
            self.objects(),
            self.bytes(),
            self.types.len()
        )?;
        writeln!(f, "{:>12} {:>12}  type", "bytes", "objects")?;
        for t in self.top(10) {
            writeln!(f, "{:>12} {:>12}  {}", t.bytes, t.objects, t.type_name)?;
        }
        Ok(())
    }
}

/// Counts every live object by type, with the world stopped (a pause like
/// a collection's, proportional to the heap). Objects a collection found
/// dead but whose destructor has not run yet are not counted.
///
/// Returns an empty census when called from `Trace::trace`.
///
/// # Panics
///
/// Panics if called inside a heap operation (it never is from safe code:
/// user code does not run inside one).
///
/// # Examples
///
/// ```
/// use rudo_gc::{Gc, heap};
///
/// let names: Vec<Gc<String>> = (0..3).map(|i| Gc::new(i.to_string())).collect();
/// let census = heap::census();
/// let strings = census.of(core::any::type_name::<String>()).unwrap();
/// assert!(strings.objects >= 3);
/// println!("{census}");
/// # drop(names);
/// ```
pub fn census() -> Census {
    let counts = crate::gc::collector::with_world_stopped(|world| {
        let mut counts: HashMap<&'static str, (u64, u64)> = HashMap::new();
        for page in walk::all_pages(world) {
            let size = page.slot_size() as u64;
            walk::for_each_live(page, |_, header| {
                let entry = counts.entry((header.vtable().type_name)()).or_default();
                entry.0 += 1;
                entry.1 += size;
            });
        }
        counts
    })
    .unwrap_or_default();
    let mut types: Vec<TypeCensus> = counts
        .into_iter()
        .map(|(type_name, (objects, bytes))| TypeCensus {
            type_name,
            objects,
            bytes,
        })
        .collect();
    types.sort_by(|a, b| {
        (b.bytes, b.objects)
            .cmp(&(a.bytes, a.objects))
            .then(a.type_name.cmp(b.type_name))
    });
    Census { types }
}
