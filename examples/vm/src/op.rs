//! Bytecode: instructions, functions, programs, and a small assembler with
//! labels.

/// One instruction. Stack effects are written `before -- after`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `-- n`
    Int(i64),
    /// `-- nil`
    Nil,
    /// `-- s`: a new string object with constant `idx`.
    Str(u32),
    /// `v --`
    Pop,
    /// `v -- v v`
    Dup,
    /// `-- local[i]` (relative to the frame's first argument)
    GetLocal(u16),
    /// `v --`, into `local[i]`
    SetLocal(u16),
    /// `-- global[i]`
    GetGlobal(u16),
    /// `v --`, into `global[i]`
    SetGlobal(u16),
    /// `a b -- a+b`
    Add,
    /// `a b -- a-b`
    Sub,
    /// `a b -- a<b`
    Lt,
    /// `v -- v==nil`
    IsNil,
    /// Jump to instruction `target` (a backward jump is a safepoint).
    Jump(u32),
    /// `cond --`: jump to `target` unless `cond` is true (or a non-zero int).
    JumpIfFalse(u32),
    /// `f a1..an -- result`: calls a closure with `n` arguments (a safepoint).
    Call(u8),
    /// `result --`: returns from the current function (a safepoint).
    Return,
    /// `c1..cn -- closure`: a closure of function `func` capturing `n` values.
    Closure {
        /// The function.
        func: u32,
        /// How many values it captures.
        captures: u8,
    },
    /// `-- capture[i]` of the running closure.
    GetCapture(u8),
    /// `v -- box`
    NewBox,
    /// `box -- v`
    BoxGet,
    /// `box v --`
    BoxSet,
    /// `v1..vn -- array`
    NewArray(u16),
    /// `array i -- array[i]`
    Index,
    /// `array i v --`
    SetIndex,
    /// `-- table`
    NewTable,
    /// `table k -- table[k]` (nil when absent)
    TableGet,
    /// `table k v --`
    TableSet,
    /// `a1..an -- result`: calls native function `idx` with `n` arguments,
    /// passed to it as root-table tickets.
    Native {
        /// The native's index in the VM's table.
        idx: u16,
        /// How many arguments.
        args: u8,
    },
}

/// A function: its code, arity and how many locals beyond its arguments.
#[derive(Clone, Debug)]
pub struct Function {
    /// For messages.
    pub name: String,
    /// Arguments.
    pub arity: u8,
    /// Locals after the arguments (initialised to nil).
    pub locals: u16,
    /// The code.
    pub code: Vec<Op>,
}

/// A program: functions (the first is the entry point, arity 0), string
/// constants and the number of globals.
#[derive(Clone, Debug, Default)]
pub struct Program {
    /// Functions; `functions[0]` runs first.
    pub functions: Vec<Function>,
    /// String constants.
    pub strings: Vec<String>,
    /// Global slots (initialised to nil).
    pub globals: u16,
}

/// Assembles one function, with named labels.
#[derive(Debug)]
pub struct Asm {
    function: Function,
    labels: Vec<(String, Option<u32>)>,
    fixups: Vec<(usize, usize)>,
}

impl Asm {
    /// A function named `name` with `arity` arguments and `locals` locals.
    pub fn new(name: &str, arity: u8, locals: u16) -> Asm {
        Asm {
            function: Function {
                name: name.to_owned(),
                arity,
                locals,
                code: Vec::new(),
            },
            labels: Vec::new(),
            fixups: Vec::new(),
        }
    }

    /// Appends instructions.
    pub fn ops(&mut self, ops: &[Op]) -> &mut Asm {
        self.function.code.extend_from_slice(ops);
        self
    }

    fn label_id(&mut self, name: &str) -> usize {
        if let Some(i) = self.labels.iter().position(|(n, _)| n == name) {
            return i;
        }
        self.labels.push((name.to_owned(), None));
        self.labels.len() - 1
    }

    /// Places label `name` at the next instruction.
    pub fn label(&mut self, name: &str) -> &mut Asm {
        let id = self.label_id(name);
        assert!(self.labels[id].1.is_none(), "label {name} placed twice");
        self.labels[id].1 = Some(u32::try_from(self.function.code.len()).expect("small code"));
        self
    }

    /// `Jump` to `label`.
    pub fn jump(&mut self, label: &str) -> &mut Asm {
        let id = self.label_id(label);
        self.fixups.push((self.function.code.len(), id));
        self.function.code.push(Op::Jump(0));
        self
    }

    /// `JumpIfFalse` to `label`.
    pub fn jump_if_false(&mut self, label: &str) -> &mut Asm {
        let id = self.label_id(label);
        self.fixups.push((self.function.code.len(), id));
        self.function.code.push(Op::JumpIfFalse(0));
        self
    }

    /// The finished function.
    ///
    /// # Panics
    ///
    /// If a label is used but never placed.
    pub fn finish(&mut self) -> Function {
        for &(at, id) in &self.fixups {
            let (name, target) = &self.labels[id];
            let target = target.unwrap_or_else(|| panic!("label {name} is never placed"));
            match &mut self.function.code[at] {
                Op::Jump(t) | Op::JumpIfFalse(t) => *t = target,
                _ => unreachable!("fixups point at jumps"),
            }
        }
        self.function.clone()
    }
}
