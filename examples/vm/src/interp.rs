//! The interpreter loop.
//!
//! Roots: the value stack (callees, arguments, locals and temporaries), the
//! globals, and the host's root table. Collections happen only at
//! `FRAME_SYNC` safepoints: at every call, every return and every backward
//! jump, where everything the VM holds is in one of those three places
//! (with [`configure`](crate::configure), allocation never collects).

use std::rc::Rc;

use crate::error::VmError;
use crate::heap::Heap;
use crate::host::{Host, Native, standard};
use crate::op::{Op, Program};
use crate::stack::{INT_MAX, INT_MIN, Stack, kind};
use crate::value::{Closure, Obj, Value, View};

/// Slots a call must find free beyond its locals (the deepest expression
/// of a function).
const HEADROOM: usize = 64;

/// One call frame.
#[derive(Clone, Copy, Debug)]
struct Frame {
    func: usize,
    ip: usize,
    /// Stack index of the first argument; the callee is just below.
    base: usize,
}

/// A VM: a program, its globals and the host.
pub struct Vm<H: Heap> {
    program: Rc<Program>,
    /// Global slots (roots: counted values).
    pub globals: Vec<Value<H>>,
    natives: Vec<Native<H>>,
    /// What native functions see.
    pub host: Host<H>,
    /// Safepoints reached so far.
    pub safepoints: u64,
}

impl<H: Heap> core::fmt::Debug for Vm<H> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Vm")
            .field("functions", &self.program.functions.len())
            .field("globals", &self.globals)
            .field("host", &self.host)
            .field("safepoints", &self.safepoints)
            .finish_non_exhaustive()
    }
}

/// Slots of `frame` below its temporaries: arguments and locals.
fn frame_locals(program: &Program, frame: Frame) -> u16 {
    let f = &program.functions[frame.func];
    u16::from(f.arity) + f.locals
}

fn checked(i: i64) -> Result<i64, VmError> {
    if (INT_MIN..=INT_MAX).contains(&i) {
        Ok(i)
    } else {
        Err(VmError::Overflow)
    }
}

fn truthy<H: Heap>(v: &View<'_, H>) -> bool {
    match v {
        View::Nil => false,
        View::Bool(b) => *b,
        View::Int(i) => *i != 0,
        View::Obj(_) => true,
    }
}

fn type_error<H: Heap>(op: &'static str, expected: &'static str, v: &View<'_, H>) -> VmError {
    VmError::Type {
        op,
        expected,
        found: kind(v),
    }
}

impl<H: Heap> Vm<H> {
    /// A VM for `program`, with the standard natives (`host::standard`).
    pub fn new(program: Program) -> Vm<H> {
        let globals = (0..program.globals).map(|_| Value::Nil).collect();
        Vm {
            program: Rc::new(program),
            globals,
            natives: standard(),
            host: Host::default(),
            safepoints: 0,
        }
    }

    /// Adds a native function; returns its index for `Op::Native`.
    pub fn add_native(&mut self, native: Native<H>) -> u16 {
        self.natives.push(native);
        u16::try_from(self.natives.len() - 1).expect("fewer than 65536 natives")
    }

    /// Runs the program's entry point on `stack` (empty); returns its result.
    ///
    /// # Errors
    ///
    /// A [`VmError`] when the program misuses a value; the stack is
    /// emptied either way.
    pub fn run<S: Stack<H>>(&mut self, stack: &mut S) -> Result<Value<H>, VmError> {
        assert!(stack.is_empty(), "run starts on an empty stack");
        let result = self.execute(stack);
        stack.truncate(0);
        result
    }

    fn safepoint<S: Stack<H>>(&mut self, stack: &S) {
        self.safepoints += 1;
        stack.safepoint();
    }

    fn execute<S: Stack<H>>(&mut self, stack: &mut S) -> Result<Value<H>, VmError> {
        let program = Rc::clone(&self.program);
        stack.push(Value::Obj(H::alloc(Obj::Closure(Closure {
            func: 0,
            captures: Vec::new(),
        }))));
        let mut frames: Vec<Frame> = Vec::new();
        self.enter(stack, &mut frames, 0, stack.len())?;
        let mut frame = *frames.last().expect("entered");
        let mut code = &program.functions[frame.func].code[..];
        loop {
            let op = code[frame.ip];
            frame.ip += 1;
            match op {
                Op::Int(i) => stack.push(Value::Int(checked(i)?)),
                Op::Nil => stack.push(Value::Nil),
                Op::Str(idx) => {
                    let s = program.strings[idx as usize].as_str().into();
                    stack.push(Value::Obj(H::alloc(Obj::Str(s))));
                }
                Op::Pop => stack.drop_top(),
                Op::Dup => stack.copy(stack.len() - 1),
                Op::GetLocal(i) => stack.copy(frame.base + i as usize),
                Op::SetLocal(i) => stack.store(frame.base + i as usize),
                Op::GetGlobal(i) => stack.push_ref(&self.globals[i as usize]),
                Op::SetGlobal(i) => self.globals[i as usize] = stack.pop(),
                Op::Add => {
                    let b = stack.pop_int("add")?;
                    let a = stack.pop_int("add")?;
                    stack.push(Value::Int(checked(a + b)?));
                }
                Op::Sub => {
                    let b = stack.pop_int("sub")?;
                    let a = stack.pop_int("sub")?;
                    stack.push(Value::Int(checked(a - b)?));
                }
                Op::Lt => {
                    let b = stack.pop_int("lt")?;
                    let a = stack.pop_int("lt")?;
                    stack.push(Value::Bool(a < b));
                }
                Op::IsNil => {
                    let nil = stack.with_slot(stack.len() - 1, |v| matches!(v, View::Nil));
                    stack.drop_top();
                    stack.push(Value::Bool(nil));
                }
                Op::Jump(target) => {
                    let backward = (target as usize) < frame.ip;
                    frame.ip = target as usize;
                    if backward {
                        self.safepoint(stack);
                    }
                }
                Op::JumpIfFalse(target) => {
                    let go = stack.with_slot(stack.len() - 1, |v| truthy(&v));
                    stack.drop_top();
                    if !go {
                        frame.ip = target as usize;
                    }
                }
                Op::Call(args) => {
                    *frames.last_mut().expect("running") = frame;
                    self.safepoint(stack);
                    // The callee and arguments must be this frame's.
                    if stack.len()
                        < frame.base
                            + usize::from(frame_locals(&program, frame))
                            + 1
                            + args as usize
                    {
                        return Err(VmError::StackUnderflow);
                    }
                    self.enter(stack, &mut frames, args, stack.len() - args as usize)?;
                    frame = *frames.last().expect("entered");
                    code = &program.functions[frame.func].code[..];
                }
                Op::Return => {
                    // The result moves into the callee's slot.
                    stack.store(frame.base - 1);
                    stack.truncate(frame.base);
                    frames.pop();
                    self.safepoint(stack);
                    match frames.last() {
                        Some(f) => {
                            frame = *f;
                            code = &program.functions[frame.func].code[..];
                        }
                        None => return Ok(stack.pop()),
                    }
                }
                Op::Closure { func, captures } => {
                    let captures = Self::pop_n(stack, captures as usize);
                    stack.push(Value::Obj(H::alloc(Obj::Closure(Closure {
                        func: func as usize,
                        captures,
                    }))));
                }
                Op::GetCapture(i) => {
                    stack.copy(frame.base - 1);
                    let top = stack.len() - 1;
                    stack.replace_with(top, |v, put| match v {
                        View::Obj(Obj::Closure(c)) => {
                            put(&c.captures[i as usize]);
                            Ok(())
                        }
                        other => Err(type_error("get_capture", "a closure", &other)),
                    })?;
                }
                Op::NewBox => {
                    let v = stack.pop();
                    stack.push(Value::Obj(H::alloc(Obj::Box(H::cell(v)))));
                }
                Op::BoxGet => {
                    let top = stack.len() - 1;
                    stack.replace_with(top, |v, put| match v {
                        View::Obj(Obj::Box(cell)) => {
                            put(&H::borrow(cell));
                            Ok(())
                        }
                        other => Err(type_error("box_get", "a box", &other)),
                    })?;
                }
                Op::BoxSet => {
                    let value = stack.pop();
                    let top = stack.len() - 1;
                    stack.with_slot(top, |v| match v {
                        View::Obj(Obj::Box(cell)) => {
                            *H::borrow_mut(cell) = value;
                            Ok(())
                        }
                        other => Err(type_error("box_set", "a box", &other)),
                    })?;
                    stack.drop_top();
                }
                Op::NewArray(n) => {
                    let items = Self::pop_n(stack, n as usize);
                    stack.push(Value::Obj(H::alloc(Obj::Array(H::cell(items)))));
                }
                Op::Index => {
                    let index = stack.pop_int("index")?;
                    let top = stack.len() - 1;
                    stack.replace_with(top, |v, put| match v {
                        View::Obj(Obj::Array(items)) => {
                            let items = H::borrow(items);
                            let item = usize::try_from(index)
                                .ok()
                                .and_then(|i| items.get(i))
                                .ok_or(VmError::Index {
                                    index,
                                    len: items.len(),
                                })?;
                            put(item);
                            Ok(())
                        }
                        other => Err(type_error("index", "an array", &other)),
                    })?;
                }
                Op::SetIndex => {
                    let value = stack.pop();
                    let index = stack.pop_int("set_index")?;
                    let top = stack.len() - 1;
                    stack.with_slot(top, |v| match v {
                        View::Obj(Obj::Array(items)) => {
                            let mut items = H::borrow_mut(items);
                            let len = items.len();
                            let slot = usize::try_from(index)
                                .ok()
                                .and_then(|i| items.get_mut(i))
                                .ok_or(VmError::Index { index, len })?;
                            *slot = value;
                            Ok(())
                        }
                        other => Err(type_error("set_index", "an array", &other)),
                    })?;
                    stack.drop_top();
                }
                Op::NewTable => {
                    stack.push(Value::Obj(H::alloc(Obj::Table(
                        H::cell(Default::default()),
                    ))));
                }
                Op::TableGet => {
                    let key = stack.pop_int("table_get")?;
                    let top = stack.len() - 1;
                    stack.replace_with(top, |v, put| match v {
                        View::Obj(Obj::Table(entries)) => {
                            put(H::borrow(entries).get(&key).unwrap_or(&Value::Nil));
                            Ok(())
                        }
                        other => Err(type_error("table_get", "a table", &other)),
                    })?;
                }
                Op::TableSet => {
                    let value = stack.pop();
                    let key = stack.pop_int("table_set")?;
                    let top = stack.len() - 1;
                    stack.with_slot(top, |v| match v {
                        View::Obj(Obj::Table(entries)) => {
                            H::borrow_mut(entries).insert(key, value);
                            Ok(())
                        }
                        other => Err(type_error("table_set", "a table", &other)),
                    })?;
                    stack.drop_top();
                }
                Op::Native { idx, args } => {
                    let native = *self
                        .natives
                        .get(idx as usize)
                        .ok_or(VmError::UnknownNative(idx))?;
                    let values = Self::pop_n(stack, args as usize);
                    let tickets: Vec<_> = values.into_iter().map(|v| self.host.pin(v)).collect();
                    let result = native(&mut self.host, &tickets);
                    for t in tickets {
                        self.host
                            .unpin(t)
                            .expect("natives cannot unpin their arguments");
                    }
                    stack.push(result?);
                }
            }
        }
    }

    /// Pops `n` values as counted values, in push order.
    fn pop_n<S: Stack<H>>(stack: &mut S, n: usize) -> Vec<Value<H>> {
        let mut values: Vec<Value<H>> = (0..n).map(|_| stack.pop()).collect();
        values.reverse();
        values
    }

    /// Pushes the frame for a call of the closure below the `args` arguments
    /// that start at `base`.
    fn enter<S: Stack<H>>(
        &self,
        stack: &mut S,
        frames: &mut Vec<Frame>,
        args: u8,
        base: usize,
    ) -> Result<(), VmError> {
        let func = stack.with_slot(base - 1, |v| match v {
            View::Obj(Obj::Closure(c)) => Ok(c.func),
            other => Err(type_error("call", "a closure", &other)),
        })?;
        let function = &self.program.functions[func];
        if function.arity != args {
            return Err(VmError::Arity {
                function: function.name.clone(),
                expected: function.arity,
                found: args,
            });
        }
        if stack.len() + function.locals as usize + HEADROOM > stack.capacity() {
            return Err(VmError::StackOverflow);
        }
        for _ in 0..function.locals {
            stack.push(Value::Nil);
        }
        frames.push(Frame { func, ip: 0, base });
        Ok(())
    }
}
