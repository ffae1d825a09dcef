//! A small stack-based bytecode VM on rudo-gc, written the way an embedder
//! would: [`Value`] with a heap-reference variant; strings, arrays, tables,
//! closures and boxes as heap objects; the value stack, the call frames and
//! the globals as the root set; collection only at `FRAME_SYNC` safepoints
//! (calls, returns, backward jumps); and a host API that pins values in a
//! [`RootTable`](rudo_gc::roots::RootTable) and passes tickets, never raw
//! pointers, to native functions.
//!
//! Two stack flavours behind one trait ([`Stack`]): a `Vec` of counted
//! values ([`CountedStack`]), and raw tagged words in a
//! [`ConservativeRegion`](rudo_gc::roots::ConservativeRegion) under a
//! [`MutatorSection`]
//! ([`ConservativeStack`]), where pushes, pops, locals and returns move
//! words with no count traffic. The same interpreter also runs on `Rc`
//! ([`RcHeap`]), the baseline that leaks cycles.
//!
//! ```
//! use rudo_vm::{Flavour, programs, run};
//!
//! rudo_vm::configure();
//! for flavour in [Flavour::Counted, Flavour::Conservative, Flavour::Rc] {
//!     let outcome = run(&programs::fib(15), flavour).unwrap();
//!     assert_eq!(outcome.result, Some(610));
//! }
//! ```

pub mod error;
pub mod heap;
pub mod host;
pub mod interp;
pub mod op;
pub mod programs;
pub mod stack;
pub mod value;

pub use error::VmError;
pub use heap::{GcHeap, Heap, RcHeap};
pub use interp::Vm;
pub use stack::{ConservativeStack, CountedStack, Stack};
pub use value::{Obj, Value};

use rudo_gc::roots::MutatorSection;

/// Stack slots of the VMs [`run`] makes.
pub const STACK_SLOTS: usize = 1 << 16;

/// Makes collection happen only at safepoints (`GcConfig::automatic(false)`),
/// as the VM's design asks. Process-wide; call it once at start.
pub fn configure() {
    rudo_gc::set_config(rudo_gc::config().automatic(false));
}

/// Which stack and heap to run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// GC heap, `Vec` of counted values.
    Counted,
    /// GC heap, raw words in a conservative region.
    Conservative,
    /// `Rc` heap (cycles leak), `Vec` of counted values.
    Rc,
}

impl core::str::FromStr for Flavour {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "counted" => Ok(Flavour::Counted),
            "conservative" => Ok(Flavour::Conservative),
            "rc" => Ok(Flavour::Rc),
            other => Err(format!(
                "unknown stack flavour {other:?}: use counted, conservative or rc"
            )),
        }
    }
}

/// What a run left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The entry point's result, if an integer.
    pub result: Option<i64>,
    /// What the program reported (`report` native).
    pub output: Vec<i64>,
    /// Safepoints reached.
    pub safepoints: u64,
}

/// Runs `program` on a fresh VM of `flavour`.
///
/// # Errors
///
/// The program's [`VmError`].
pub fn run(program: &op::Program, flavour: Flavour) -> Result<Outcome, VmError> {
    match flavour {
        Flavour::Counted => {
            let mut vm = Vm::<GcHeap>::new(program.clone());
            let mut stack = CountedStack::new(STACK_SLOTS);
            let result = vm.run(&mut stack)?;
            Ok(outcome(&result, vm.host.output, vm.safepoints))
        }
        Flavour::Conservative => {
            let section = MutatorSection::enter();
            let words = ConservativeStack::storage(STACK_SLOTS);
            let mut stack = ConservativeStack::new(&section, &words);
            let mut vm = Vm::<GcHeap>::new(program.clone());
            let result = vm.run(&mut stack)?;
            Ok(outcome(&result, vm.host.output, vm.safepoints))
        }
        Flavour::Rc => {
            let mut vm = Vm::<RcHeap>::new(program.clone());
            let mut stack = CountedStack::new(STACK_SLOTS);
            let result = vm.run(&mut stack)?;
            Ok(outcome(&result, vm.host.output, vm.safepoints))
        }
    }
}

fn outcome<H: Heap>(result: &Value<H>, output: Vec<i64>, safepoints: u64) -> Outcome {
    Outcome {
        result: result.as_int(),
        output,
        safepoints,
    }
}
