//! The value stack, in two flavours behind one trait:
//!
//! - [`CountedStack`]: a `Vec<Value>`, every object slot a counted
//!   reference (any [`Heap`]); every copy is a count increment.
//! - [`ConservativeStack`]: raw tagged words in a
//!   [`ConservativeRegion`], under a [`MutatorSection`] (the GC heap only);
//!   pushes, pops, locals and returns move words, with no count traffic.
//!
//! Both are the VM's roots, with the frames (whose callees are stack slots)
//! and the globals.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use rudo_gc::Gc;
use rudo_gc::roots::{ConservativeRegion, MutatorSection};

use crate::error::VmError;
use crate::heap::{GcHeap, Heap};
use crate::value::{Obj, Value, View};

/// Picks a value to store: the callback of [`Stack::replace_with`].
pub type Put<'p, H> = &'p mut dyn FnMut(&Value<H>);

/// A value stack.
pub trait Stack<H: Heap> {
    /// Slots in use.
    fn len(&self) -> usize;
    /// Whether no slot is in use.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Slots it can hold.
    fn capacity(&self) -> usize;
    /// Pushes a value, taking its count.
    fn push(&mut self, value: Value<H>);
    /// Pushes a copy of a value held elsewhere (a global).
    fn push_ref(&mut self, value: &Value<H>);
    /// Pops the top value, as a counted value (to be stored in the heap).
    fn pop(&mut self) -> Value<H>;
    /// Pops the top value, which must be an integer.
    fn pop_int(&mut self, op: &'static str) -> Result<i64, VmError>;
    /// Pops and forgets the top value.
    fn drop_top(&mut self);
    /// Pushes a copy of slot `at`.
    fn copy(&mut self, at: usize);
    /// Pops the top value into slot `at`.
    fn store(&mut self, at: usize);
    /// Drops every slot from `len` up.
    fn truncate(&mut self, len: usize);
    /// Calls `f` with a view of slot `at`.
    fn with_slot<R>(&self, at: usize, f: impl FnOnce(View<'_, H>) -> R) -> R;
    /// Replaces slot `at` with the value `f` puts, selected from a view of
    /// what the slot holds (an element of the array in it, say).
    fn replace_with(
        &mut self,
        at: usize,
        f: impl FnOnce(View<'_, H>, Put<'_, H>) -> Result<(), VmError>,
    ) -> Result<(), VmError>;
    /// A safepoint (`FRAME_SYNC`): a due collection runs here.
    fn safepoint(&self);
}

/// The kind name of a view, for errors.
pub fn kind<H: Heap>(view: &View<'_, H>) -> &'static str {
    match view {
        View::Nil => "nil",
        View::Bool(_) => "a boolean",
        View::Int(_) => "an integer",
        View::Obj(o) => o.kind(),
    }
}

/// A stack of counted values.
#[derive(Debug)]
pub struct CountedStack<H: Heap> {
    items: Vec<Value<H>>,
    capacity: usize,
}

impl<H: Heap> CountedStack<H> {
    /// A stack of at most `capacity` slots.
    pub fn new(capacity: usize) -> Self {
        CountedStack {
            items: Vec::with_capacity(capacity),
            capacity,
        }
    }
}

impl<H: Heap> Stack<H> for CountedStack<H> {
    fn len(&self) -> usize {
        self.items.len()
    }
    fn capacity(&self) -> usize {
        self.capacity
    }
    #[inline]
    fn push(&mut self, value: Value<H>) {
        self.items.push(value);
    }
    fn push_ref(&mut self, value: &Value<H>) {
        self.items.push(value.clone());
    }
    #[inline]
    fn pop(&mut self) -> Value<H> {
        self.items.pop().expect("the VM pops only what it pushed")
    }
    #[inline]
    fn pop_int(&mut self, op: &'static str) -> Result<i64, VmError> {
        match self.pop() {
            Value::Int(i) => Ok(i),
            other => Err(VmError::Type {
                op,
                expected: "an integer",
                found: kind(&other.view()),
            }),
        }
    }
    fn drop_top(&mut self) {
        self.items.pop();
    }
    #[inline]
    fn copy(&mut self, at: usize) {
        let value = self.items[at].clone();
        self.items.push(value);
    }
    #[inline]
    fn store(&mut self, at: usize) {
        let value = self.pop();
        self.items[at] = value;
    }
    fn truncate(&mut self, len: usize) {
        self.items.truncate(len);
    }
    fn with_slot<R>(&self, at: usize, f: impl FnOnce(View<'_, H>) -> R) -> R {
        f(self.items[at].view())
    }
    fn replace_with(
        &mut self,
        at: usize,
        f: impl FnOnce(View<'_, H>, Put<'_, H>) -> Result<(), VmError>,
    ) -> Result<(), VmError> {
        let mut out = None;
        f(self.items[at].view(), &mut |v| out = Some(v.clone()))?;
        self.items[at] = out.expect("replace_with's callback puts a value");
        Ok(())
    }
    fn safepoint(&self) {
        rudo_gc::safepoint();
    }
}

/// Word encoding of the conservative stack: integers have the low bit set,
/// object addresses are 8-aligned and above `NIL_WORD`'s, and the
/// immediates are small even numbers below 8, which are never heap
/// addresses. A region scan ignores every word but the addresses.
const NIL_WORD: usize = 2;
const FALSE_WORD: usize = 4;
const TRUE_WORD: usize = 6;

/// The largest integer a word holds.
pub const INT_MAX: i64 = (1 << 61) - 1;
/// The smallest.
pub const INT_MIN: i64 = -(1 << 61);

fn int_word(i: i64) -> usize {
    debug_assert!((INT_MIN..=INT_MAX).contains(&i), "the VM checks the range");
    ((i << 1) | 1) as usize
}

/// The word for a value, without its count.
fn encode(value: &Value<GcHeap>) -> usize {
    match value {
        Value::Nil => NIL_WORD,
        Value::Bool(false) => FALSE_WORD,
        Value::Bool(true) => TRUE_WORD,
        Value::Int(i) => int_word(*i),
        Value::Obj(r) => Gc::as_ptr(r) as usize,
    }
}

/// A value stack of raw words, scanned conservatively.
///
/// Invariant: every word below `sp` that is not an immediate is the address
/// of a live object, written from a live `Gc` or copied from such a word
/// since the thread's last safepoint. It stays live: between safepoints no
/// collection runs (the section), and at a safepoint the region keeps it.
/// Words from `sp` up are zero (no false retention).
///
/// Ordering: every access is Relaxed. Only this thread writes the words, and
/// the collector reads them with the world stopped, after the section's
/// Release exit and its own Acquire (`mutator::handshake`); the atomics are
/// there for the region's type, not for synchronisation.
#[derive(Debug)]
pub struct ConservativeStack<'a> {
    words: &'a [AtomicUsize],
    sp: usize,
    section: &'a MutatorSection,
    _region: ConservativeRegion<'a>,
}

impl<'a> ConservativeStack<'a> {
    /// Zeroed storage for a stack of `capacity` words.
    pub fn storage(capacity: usize) -> Box<[AtomicUsize]> {
        (0..capacity).map(|_| AtomicUsize::new(0)).collect()
    }

    /// A stack in `words`, registered as a region of `section`.
    pub fn new(section: &'a MutatorSection, words: &'a [AtomicUsize]) -> Self {
        for w in words {
            w.store(0, Relaxed);
        }
        ConservativeStack {
            words,
            sp: 0,
            section,
            _region: ConservativeRegion::register(section, words),
        }
    }

    #[inline]
    fn push_word(&mut self, word: usize) {
        self.words[self.sp].store(word, Relaxed);
        self.sp += 1;
    }

    #[inline]
    fn pop_word(&mut self) -> usize {
        self.sp -= 1;
        // A load and a store, not a `swap`: only this thread writes the
        // words while its section runs, and a `swap` is a locked
        // read-modify-write.
        let word = self.words[self.sp].load(Relaxed);
        self.words[self.sp].store(0, Relaxed);
        word
    }

    /// A view of `word`.
    ///
    /// # Safety
    ///
    /// `word` was read from this stack since the last safepoint (the type's
    /// invariant), and the view is not used past the next safepoint.
    unsafe fn view<'v>(word: usize) -> View<'v, GcHeap> {
        match word {
            NIL_WORD | 0 => View::Nil,
            FALSE_WORD => View::Bool(false),
            TRUE_WORD => View::Bool(true),
            w if w & 1 == 1 => View::Int((w as i64) >> 1),
            // SAFETY: the address of a live object (caller contract and
            // the invariant), which stays live until the next safepoint;
            // `Gc::as_ptr` pointed at its value, an `Obj`.
            w => View::Obj(unsafe { &*(w as *const Obj<GcHeap>) }),
        }
    }

    /// The counted value of `word` (an address becomes a `Gc` again).
    fn decode(word: usize) -> Value<GcHeap> {
        match word {
            NIL_WORD | 0 => Value::Nil,
            FALSE_WORD => Value::Bool(false),
            TRUE_WORD => Value::Bool(true),
            w if w & 1 == 1 => Value::Int((w as i64) >> 1),
            w => Value::Obj(
                Gc::from_interior_local(w as *const u8)
                    .expect("a stack word names a live object of this thread (invariant)"),
            ),
        }
    }
}

impl Stack<GcHeap> for ConservativeStack<'_> {
    fn len(&self) -> usize {
        self.sp
    }
    fn capacity(&self) -> usize {
        self.words.len()
    }
    #[inline]
    fn push(&mut self, value: Value<GcHeap>) {
        // The word keeps the object alive once the count goes.
        self.push_word(encode(&value));
    }
    fn push_ref(&mut self, value: &Value<GcHeap>) {
        self.push_word(encode(value));
    }
    fn pop(&mut self) -> Value<GcHeap> {
        // The slot is cleared before the word is decoded; nothing collects
        // in between (no safepoint), so the object is still live.
        let word = self.pop_word();
        Self::decode(word)
    }
    #[inline]
    fn pop_int(&mut self, op: &'static str) -> Result<i64, VmError> {
        let word = self.pop_word();
        if word & 1 == 1 {
            return Ok((word as i64) >> 1);
        }
        // SAFETY: just read from the stack; used right here.
        let found = kind(&unsafe { Self::view(word) });
        Err(VmError::Type {
            op,
            expected: "an integer",
            found,
        })
    }
    fn drop_top(&mut self) {
        self.pop_word();
    }
    #[inline]
    fn copy(&mut self, at: usize) {
        let word = self.words[at].load(Relaxed);
        self.push_word(word);
    }
    #[inline]
    fn store(&mut self, at: usize) {
        let word = self.pop_word();
        self.words[at].store(word, Relaxed);
    }
    fn truncate(&mut self, len: usize) {
        while self.sp > len {
            self.pop_word();
        }
    }
    fn with_slot<R>(&self, at: usize, f: impl FnOnce(View<'_, GcHeap>) -> R) -> R {
        debug_assert!(at < self.sp);
        // SAFETY: a word of the stack, viewed for the duration of `f`, in
        // which the VM reaches no safepoint.
        f(unsafe { Self::view(self.words[at].load(Relaxed)) })
    }
    fn replace_with(
        &mut self,
        at: usize,
        f: impl FnOnce(View<'_, GcHeap>, Put<'_, GcHeap>) -> Result<(), VmError>,
    ) -> Result<(), VmError> {
        let mut out = None;
        // SAFETY: as in `with_slot`.
        let view = unsafe { Self::view(self.words[at].load(Relaxed)) };
        f(view, &mut |v| out = Some(encode(v)))?;
        // The selected object stays live until the next safepoint even if
        // the container this overwrites was its only holder, and from then
        // on its word keeps it.
        self.words[at].store(out.expect("replace_with's callback puts a value"), Relaxed);
        Ok(())
    }
    fn safepoint(&self) {
        self.section.safepoint();
    }
}
