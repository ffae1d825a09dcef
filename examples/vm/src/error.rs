//! What can go wrong running a program.

use core::fmt;

/// A runtime error of the VM: the program did something its values do not
/// allow. The heap is untouched by it; the VM can run another program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VmError {
    /// An operand of the wrong kind.
    Type {
        /// The instruction.
        op: &'static str,
        /// What it needs.
        expected: &'static str,
        /// What it got.
        found: &'static str,
    },
    /// A call with the wrong number of arguments.
    Arity {
        /// The function.
        function: String,
        /// Its arity.
        expected: u8,
        /// Arguments given.
        found: u8,
    },
    /// An index outside an array.
    Index {
        /// The index.
        index: i64,
        /// The array's length.
        len: usize,
    },
    /// An integer result outside the VM's 62-bit range.
    Overflow,
    /// Calls nested deeper than the stack holds.
    StackOverflow,
    /// A call with fewer values on the frame's stack than a callee and its
    /// arguments (malformed bytecode).
    StackUnderflow,
    /// A native function index the VM does not have.
    UnknownNative(u16),
    /// A host handle that names no pinned value (unpinned, forged, or of
    /// another table).
    StaleTicket(u64),
}

impl fmt::Display for VmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VmError::Type {
                op,
                expected,
                found,
            } => write!(f, "{op} needs {expected}, got {found}"),
            VmError::Arity {
                function,
                expected,
                found,
            } => write!(f, "{function} takes {expected} arguments, got {found}"),
            VmError::Index { index, len } => {
                write!(f, "index {index} is outside an array of {len}")
            }
            VmError::Overflow => f.write_str("integer overflow (the VM's integers are 62-bit)"),
            VmError::StackOverflow => f.write_str("stack overflow: calls nest too deeply"),
            VmError::StackUnderflow => {
                f.write_str("stack underflow: a call without its callee and arguments")
            }
            VmError::UnknownNative(i) => write!(f, "no native function {i}"),
            VmError::StaleTicket(bits) => {
                write!(f, "host handle {bits:#x} names no pinned value")
            }
        }
    }
}

impl std::error::Error for VmError {}
