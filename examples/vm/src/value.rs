//! Values and objects.

use std::collections::HashMap;

use rudo_gc::{Trace, Visitor};

use crate::heap::Heap;

/// A VM value: an immediate, or a reference to a heap object.
pub enum Value<H: Heap> {
    /// The absent value.
    Nil,
    /// A boolean.
    Bool(bool),
    /// A 62-bit integer (the conservative stack tags two bits).
    Int(i64),
    /// A heap object.
    Obj(H::Ref),
}

impl<H: Heap> Clone for Value<H> {
    fn clone(&self) -> Self {
        match self {
            Value::Nil => Value::Nil,
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(i) => Value::Int(*i),
            Value::Obj(r) => Value::Obj(r.clone()),
        }
    }
}

impl<H: Heap> core::fmt::Debug for Value<H> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Obj(r) => write!(f, "<{}>", r.kind()),
        }
    }
}

impl<H: Heap> Value<H> {
    /// The integer, if it is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// A borrowed view.
    pub fn view(&self) -> View<'_, H> {
        match self {
            Value::Nil => View::Nil,
            Value::Bool(b) => View::Bool(*b),
            Value::Int(i) => View::Int(*i),
            Value::Obj(r) => View::Obj(r),
        }
    }
}

/// A value borrowed from a stack slot, without a count.
pub enum View<'a, H: Heap> {
    /// `nil`.
    Nil,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A heap object.
    Obj(&'a Obj<H>),
}

// SAFETY: visits the one reference a value may hold, once.
unsafe impl<H: Heap> Trace for Value<H> {
    fn trace(&self, visitor: &mut Visitor) {
        if let Value::Obj(r) = self {
            H::trace_ref(r, visitor);
        }
    }
}

/// A closure: a function and the values it captured.
pub struct Closure<H: Heap> {
    /// Index of the function in the program.
    pub func: usize,
    /// Captured values (boxes, for shared mutable state).
    pub captures: Vec<Value<H>>,
}

/// A heap object.
pub enum Obj<H: Heap> {
    /// An immutable string.
    Str(Box<str>),
    /// A growable array of values.
    Array(H::Cell<Vec<Value<H>>>),
    /// A table keyed by integers.
    Table(H::Cell<HashMap<i64, Value<H>>>),
    /// A function with captured values.
    Closure(Closure<H>),
    /// A mutable box (a captured variable).
    Box(H::Cell<Value<H>>),
}

impl<H: Heap> Obj<H> {
    /// The kind's name, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Obj::Str(_) => "string",
            Obj::Array(_) => "array",
            Obj::Table(_) => "table",
            Obj::Closure(_) => "closure",
            Obj::Box(_) => "box",
        }
    }
}

// SAFETY: visits every value an object holds, once each.
unsafe impl<H: Heap> Trace for Obj<H> {
    fn trace(&self, visitor: &mut Visitor) {
        match self {
            Obj::Str(_) => {}
            Obj::Array(items) => H::trace_cell(items, visitor),
            Obj::Table(entries) => H::trace_cell(entries, visitor),
            Obj::Closure(c) => c.captures.trace(visitor),
            Obj::Box(v) => H::trace_cell(v, visitor),
        }
    }
}
