//! `Trace` and `GcFree` for standard library types.
//!
//! Containers trace their elements; leaf types visit nothing and say so with
//! `NEEDS_TRACE = false`. Shared-ownership and interior-mutability types are
//! `Trace` only around `GcFree` contents (see the module docs of `trace`).

use std::borrow::Cow;
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet, LinkedList, VecDeque};
use std::hash::BuildHasher;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use super::{GcFree, Trace, Visitor};
use crate::ptr::{Gc, Weak};

// SAFETY: a `Gc` owns exactly itself; visiting it once is the contract.
unsafe impl<T: ?Sized + 'static> Trace for Gc<T> {
    const NEEDS_DROP: bool = false;
    #[inline(always)]
    fn trace(&self, visitor: &mut Visitor) {
        visitor.visit(self);
    }
}

// SAFETY: as for `Gc`: an `ErasedGc` owns exactly its one reference.
unsafe impl Trace for crate::ErasedGc {
    const NEEDS_DROP: bool = false;
    #[inline(always)]
    fn trace(&self, visitor: &mut Visitor) {
        visitor.visit_erased(self);
    }
}

// SAFETY: as for `Gc`.
unsafe impl<T: ?Sized + 'static> Trace for Weak<T> {
    const NEEDS_DROP: bool = false;
    #[inline]
    fn trace(&self, visitor: &mut Visitor) {
        visitor.visit_weak(self);
    }
}

/// Leaf types: no GC pointers inside, nothing to visit.
macro_rules! leaf {
    ($($t:ty),* $(,)?) => {$(
        // SAFETY: the type holds no `Gc` or `Weak`.
        unsafe impl Trace for $t {
            const NEEDS_TRACE: bool = false;
            #[inline(always)]
            fn trace(&self, _: &mut Visitor) {}
        }
        // SAFETY: as above.
        unsafe impl GcFree for $t {}
    )*};
}

leaf!(
    (),
    bool,
    char,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    str,
    String,
    std::ffi::OsStr,
    std::ffi::OsString,
    std::ffi::CStr,
    std::ffi::CString,
    std::path::Path,
    std::path::PathBuf,
    std::time::Duration,
    std::time::Instant,
    std::time::SystemTime,
    std::num::NonZeroU8,
    std::num::NonZeroU16,
    std::num::NonZeroU32,
    std::num::NonZeroU64,
    std::num::NonZeroU128,
    std::num::NonZeroUsize,
    std::num::NonZeroI8,
    std::num::NonZeroI16,
    std::num::NonZeroI32,
    std::num::NonZeroI64,
    std::num::NonZeroI128,
    std::num::NonZeroIsize,
    std::sync::atomic::AtomicBool,
    std::sync::atomic::AtomicU8,
    std::sync::atomic::AtomicU16,
    std::sync::atomic::AtomicU32,
    std::sync::atomic::AtomicU64,
    std::sync::atomic::AtomicUsize,
    std::sync::atomic::AtomicI8,
    std::sync::atomic::AtomicI16,
    std::sync::atomic::AtomicI32,
    std::sync::atomic::AtomicI64,
    std::sync::atomic::AtomicIsize,
    std::net::IpAddr,
    std::net::Ipv4Addr,
    std::net::Ipv6Addr,
    std::net::SocketAddr,
    std::thread::ThreadId,
    std::any::TypeId,
    std::cmp::Ordering,
);

// SAFETY: `PhantomData` owns nothing.
unsafe impl<T: ?Sized + 'static> Trace for PhantomData<T> {
    const NEEDS_TRACE: bool = false;
    #[inline(always)]
    fn trace(&self, _: &mut Visitor) {}
}
// SAFETY: as above.
unsafe impl<T: ?Sized + 'static> GcFree for PhantomData<T> {}

// SAFETY: `&'static T` does not own its referent (which, being `'static` and
// reached through a shared reference, is never visited).
unsafe impl<T: ?Sized + 'static> Trace for &'static T {
    const NEEDS_TRACE: bool = false;
    #[inline(always)]
    fn trace(&self, _: &mut Visitor) {}
}

// SAFETY: function pointers own nothing.
unsafe impl<R: 'static> Trace for fn() -> R {
    const NEEDS_TRACE: bool = false;
    #[inline(always)]
    fn trace(&self, _: &mut Visitor) {}
}

/// Containers that own their elements and expose them by `iter()`.
macro_rules! sequence {
    ($($name:ident<$t:ident $(: $bound:path)?>),* $(,)?) => {$(
        // SAFETY: the container owns each element once; each is traced once.
        unsafe impl<$t: Trace $(+ $bound)?> Trace for $name<$t> {
            const NEEDS_TRACE: bool = $t::NEEDS_TRACE;
            #[inline]
            fn trace(&self, visitor: &mut Visitor) {
                if $t::NEEDS_TRACE {
                    for item in self.iter() {
                        item.trace(visitor);
                    }
                }
            }
        }
        // SAFETY: holds only `GcFree` elements.
        unsafe impl<$t: GcFree $(+ $bound)?> GcFree for $name<$t> {}
    )*};
}

sequence!(
    Vec<T>,
    VecDeque<T>,
    LinkedList<T>,
    BTreeSet<T>,
    BinaryHeap<T>
);

// SAFETY: each element is owned once and traced once.
unsafe impl<T: Trace> Trace for [T] {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    const NEEDS_DROP: bool = T::NEEDS_DROP;
    #[inline]
    fn trace(&self, visitor: &mut Visitor) {
        if T::NEEDS_TRACE {
            for item in self {
                item.trace(visitor);
            }
        }
    }
}
// SAFETY: holds only `GcFree` elements.
unsafe impl<T: GcFree> GcFree for [T] {}

// SAFETY: as for slices.
unsafe impl<T: Trace, const N: usize> Trace for [T; N] {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    const NEEDS_DROP: bool = T::NEEDS_DROP;
    #[inline]
    fn trace(&self, visitor: &mut Visitor) {
        self.as_slice().trace(visitor);
    }
}
// SAFETY: holds only `GcFree` elements.
unsafe impl<T: GcFree, const N: usize> GcFree for [T; N] {}

// SAFETY: a box owns its content once.
unsafe impl<T: ?Sized + Trace> Trace for Box<T> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    #[inline]
    fn trace(&self, visitor: &mut Visitor) {
        (**self).trace(visitor);
    }
}
// SAFETY: holds only `GcFree` content.
unsafe impl<T: ?Sized + GcFree> GcFree for Box<T> {}

// SAFETY: the option owns its content, if any, once.
unsafe impl<T: Trace> Trace for Option<T> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    const NEEDS_DROP: bool = T::NEEDS_DROP;
    #[inline]
    fn trace(&self, visitor: &mut Visitor) {
        if let Some(value) = self {
            value.trace(visitor);
        }
    }
}
// SAFETY: holds only `GcFree` content.
unsafe impl<T: GcFree> GcFree for Option<T> {}

// SAFETY: the result owns exactly one of its variants' contents.
unsafe impl<T: Trace, E: Trace> Trace for Result<T, E> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE || E::NEEDS_TRACE;
    const NEEDS_DROP: bool = T::NEEDS_DROP || E::NEEDS_DROP;
    #[inline]
    fn trace(&self, visitor: &mut Visitor) {
        match self {
            Ok(v) => v.trace(visitor),
            Err(e) => e.trace(visitor),
        }
    }
}
// SAFETY: holds only `GcFree` content.
unsafe impl<T: GcFree, E: GcFree> GcFree for Result<T, E> {}

// SAFETY: a borrowed `Cow` owns nothing; an owned one owns its value once.
unsafe impl<B: ?Sized + ToOwned + 'static> Trace for Cow<'static, B>
where
    B::Owned: Trace,
{
    const NEEDS_TRACE: bool = <B::Owned as Trace>::NEEDS_TRACE;
    #[inline]
    fn trace(&self, visitor: &mut Visitor) {
        if let Cow::Owned(value) = self {
            value.trace(visitor);
        }
    }
}
// SAFETY: holds only `GcFree` content.
unsafe impl<B: ?Sized + ToOwned + 'static> GcFree for Cow<'static, B> where B::Owned: GcFree {}

// SAFETY: each key and value is owned once and traced once.
unsafe impl<K: Trace, V: Trace, S: BuildHasher + 'static> Trace for HashMap<K, V, S> {
    const NEEDS_TRACE: bool = K::NEEDS_TRACE || V::NEEDS_TRACE;
    #[inline]
    fn trace(&self, visitor: &mut Visitor) {
        for (k, v) in self {
            k.trace(visitor);
            v.trace(visitor);
        }
    }
}
// SAFETY: holds only `GcFree` content (the hasher state holds no `Gc` either).
unsafe impl<K: GcFree, V: GcFree, S: BuildHasher + 'static> GcFree for HashMap<K, V, S> {}

// SAFETY: each element is owned once and traced once.
unsafe impl<T: Trace, S: BuildHasher + 'static> Trace for HashSet<T, S> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    #[inline]
    fn trace(&self, visitor: &mut Visitor) {
        for item in self {
            item.trace(visitor);
        }
    }
}
// SAFETY: holds only `GcFree` content.
unsafe impl<T: GcFree, S: BuildHasher + 'static> GcFree for HashSet<T, S> {}

// SAFETY: each key and value is owned once and traced once.
unsafe impl<K: Trace, V: Trace> Trace for BTreeMap<K, V> {
    const NEEDS_TRACE: bool = K::NEEDS_TRACE || V::NEEDS_TRACE;
    #[inline]
    fn trace(&self, visitor: &mut Visitor) {
        for (k, v) in self {
            k.trace(visitor);
            v.trace(visitor);
        }
    }
}
// SAFETY: holds only `GcFree` content.
unsafe impl<K: GcFree, V: GcFree> GcFree for BTreeMap<K, V> {}

/// Shared-ownership and interior-mutability types: `Trace` only around
/// `GcFree` contents, where there is nothing to visit.
macro_rules! gc_free_only {
    ($($name:ident),* $(,)?) => {$(
        // SAFETY: the content holds no `Gc`, so there is nothing to visit.
        unsafe impl<T: ?Sized + GcFree> Trace for $name<T> {
            const NEEDS_TRACE: bool = false;
            #[inline(always)]
            fn trace(&self, _: &mut Visitor) {}
        }
        // SAFETY: the content holds no `Gc`.
        unsafe impl<T: ?Sized + GcFree> GcFree for $name<T> {}
    )*};
}

gc_free_only!(Rc, Arc, Cell, RefCell, Mutex, RwLock);

// SAFETY: as in `gc_free_only` (these two require `Sized` contents).
unsafe impl<T: GcFree> Trace for OnceCell<T> {
    const NEEDS_TRACE: bool = false;
    #[inline(always)]
    fn trace(&self, _: &mut Visitor) {}
}
// SAFETY: the content holds no `Gc`.
unsafe impl<T: GcFree> GcFree for OnceCell<T> {}
// SAFETY: as above.
unsafe impl<T: GcFree> Trace for OnceLock<T> {
    const NEEDS_TRACE: bool = false;
    #[inline(always)]
    fn trace(&self, _: &mut Visitor) {}
}
// SAFETY: the content holds no `Gc`.
unsafe impl<T: GcFree> GcFree for OnceLock<T> {}

// SAFETY: `std::rc::Weak`/`std::sync::Weak` never keep contents alive nor
// reach `Gc`s the collector must know about; restricted to `GcFree` like the
// strong pointers.
unsafe impl<T: GcFree> Trace for std::rc::Weak<T> {
    const NEEDS_TRACE: bool = false;
    #[inline(always)]
    fn trace(&self, _: &mut Visitor) {}
}
// SAFETY: as above.
unsafe impl<T: GcFree> Trace for std::sync::Weak<T> {
    const NEEDS_TRACE: bool = false;
    #[inline(always)]
    fn trace(&self, _: &mut Visitor) {}
}

macro_rules! tuple {
    ($($name:ident)+) => {
        // SAFETY: each field is owned once and traced once.
        unsafe impl<$($name: Trace),+> Trace for ($($name,)+) {
            const NEEDS_TRACE: bool = false $(|| $name::NEEDS_TRACE)+;
            const NEEDS_DROP: bool = false $(|| $name::NEEDS_DROP)+;
            #[inline]
            #[allow(non_snake_case)]
            fn trace(&self, visitor: &mut Visitor) {
                let ($($name,)+) = self;
                $($name.trace(visitor);)+
            }
        }
        // SAFETY: holds only `GcFree` fields.
        unsafe impl<$($name: GcFree),+> GcFree for ($($name,)+) {}
    };
}

tuple!(A);
tuple!(A B);
tuple!(A B C);
tuple!(A B C D);
tuple!(A B C D E);
tuple!(A B C D E F);
tuple!(A B C D E F G);
tuple!(A B C D E F G H);
tuple!(A B C D E F G H I);
tuple!(A B C D E F G H I J);
tuple!(A B C D E F G H I J K);
tuple!(A B C D E F G H I J K L);
