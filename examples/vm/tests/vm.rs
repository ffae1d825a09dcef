//! The example VM's smoke and stress cases (the seeds' PR plan): every
//! program on every stack flavour, many short-lived objects, cycles,
//! reachable values surviving and unreachable ones reclaimed during the run,
//! host tickets (stale ones included), errors, determinism, and another
//! thread collecting while the VM runs.

use std::cell::RefCell;

use rudo_gc::{Gc, Weak};
use rudo_vm::host::Host;
use rudo_vm::op::{Asm, Op, Program};
use rudo_vm::{
    ConservativeStack, CountedStack, Flavour, GcHeap, Obj, Value, Vm, VmError, programs, run,
};

use rudo_gc::roots::{MutatorSection, RootTicket};

const GC_FLAVOURS: [Flavour; 2] = [Flavour::Counted, Flavour::Conservative];
const ALL: [Flavour; 3] = [Flavour::Counted, Flavour::Conservative, Flavour::Rc];

/// Natives of these tests, after the four standard ones.
const PROBE: u16 = 4;
const DEAD_PROBES: u16 = 5;

thread_local! {
    /// `Weak`s to objects the program passed to `probe`.
    static PROBES: RefCell<Vec<Weak<Obj<GcHeap>>>> = const { RefCell::new(Vec::new()) };
}

fn probe(host: &mut Host<GcHeap>, args: &[RootTicket]) -> Result<Value<GcHeap>, VmError> {
    if let Value::Obj(obj) = host.get(args[0])? {
        PROBES.with(|p| p.borrow_mut().push(Gc::downgrade(&obj)));
    }
    Ok(Value::Nil)
}

fn dead_probes(_: &mut Host<GcHeap>, _: &[RootTicket]) -> Result<Value<GcHeap>, VmError> {
    let dead = PROBES.with(|p| p.borrow().iter().filter(|w| w.upgrade().is_none()).count());
    Ok(Value::Int(dead as i64))
}

/// Runs `program` on a GC VM of `flavour` with the probe natives; returns
/// the result and the VM (its globals still alive).
fn run_probed(program: Program, flavour: Flavour) -> (Result<Value<GcHeap>, VmError>, Vm<GcHeap>) {
    let mut vm = Vm::<GcHeap>::new(program);
    assert_eq!(vm.add_native(probe), PROBE);
    assert_eq!(vm.add_native(dead_probes), DEAD_PROBES);
    let result = run_on(&mut vm, flavour, rudo_vm::STACK_SLOTS);
    (result, vm)
}

/// Runs `vm` on a stack of `flavour` (a GC one) with `slots` slots.
fn run_on(vm: &mut Vm<GcHeap>, flavour: Flavour, slots: usize) -> Result<Value<GcHeap>, VmError> {
    match flavour {
        Flavour::Counted => vm.run(&mut CountedStack::new(slots)),
        Flavour::Conservative => {
            let section = MutatorSection::enter();
            let words = ConservativeStack::storage(slots);
            vm.run(&mut ConservativeStack::new(&section, &words))
        }
        Flavour::Rc => unreachable!("a GC flavour"),
    }
}

fn int(result: &Result<Value<GcHeap>, VmError>) -> i64 {
    match result {
        Ok(Value::Int(i)) => *i,
        other => panic!("expected an integer, got {other:?}"),
    }
}

#[test]
fn every_program_on_every_flavour() {
    rudo_vm::configure();
    for flavour in ALL {
        let fib = run(&programs::fib(18), flavour).unwrap();
        assert_eq!(fib.result, Some(programs::fib_expected(18)), "{flavour:?}");
        let trees = run(&programs::binary_trees(8), flavour).unwrap();
        assert_eq!(
            trees.output,
            programs::binary_trees_expected(8),
            "{flavour:?}"
        );
        let counters = run(&programs::counters(300, 20), flavour).unwrap();
        assert_eq!(counters.result, Some(programs::counters_expected(300, 20)));
        let churn = run(&programs::table_churn(5_000), flavour).unwrap();
        assert_eq!(churn.result, Some(136), "{flavour:?}");
    }
}

/// A churn of cyclic pairs of tables, each probed; the newest kept in a
/// global table (replacing the one before); returns how many probes are
/// dead at the end.
fn probed_churn(rounds: i64) -> Program {
    let main = Asm::new("main", 0, 3)
        .ops(&[
            Op::NewTable,
            Op::SetGlobal(0),
            Op::Int(rounds),
            Op::SetLocal(0),
        ])
        .label("loop")
        .ops(&[Op::GetLocal(0)])
        .jump_if_false("done")
        .ops(&[
            Op::NewTable,
            Op::SetLocal(1),
            Op::NewTable,
            Op::SetLocal(2),
            Op::GetLocal(1),
            Op::Int(0),
            Op::GetLocal(2),
            Op::TableSet,
            Op::GetLocal(2),
            Op::Int(0),
            Op::GetLocal(1),
            Op::TableSet,
            Op::GetLocal(1),
            Op::Native {
                idx: PROBE,
                args: 1,
            },
            Op::Pop,
            // kept[0] = t1: the previous round's pair becomes garbage.
            Op::GetGlobal(0),
            Op::Int(0),
            Op::GetLocal(1),
            Op::TableSet,
            Op::GetLocal(0),
            Op::Int(1),
            Op::Sub,
            Op::SetLocal(0),
        ])
        .jump("loop")
        .label("done")
        .ops(&[
            Op::Native {
                idx: DEAD_PROBES,
                args: 0,
            },
            Op::Return,
        ])
        .finish();
    Program {
        functions: vec![main],
        strings: Vec::new(),
        globals: 1,
    }
}

#[test]
fn unreachable_cycles_are_reclaimed_during_the_run_and_reachable_ones_survive() {
    rudo_vm::configure();
    const ROUNDS: i64 = 20_000;
    for flavour in GC_FLAVOURS {
        PROBES.with(|p| p.borrow_mut().clear());
        let before = rudo_gc::stats().collections;
        let (result, vm) = run_probed(probed_churn(ROUNDS), flavour);
        let dead_during = int(&result);
        assert!(
            rudo_gc::stats().collections > before,
            "{flavour:?}: safepoints collected"
        );
        assert!(dead_during > 0, "{flavour:?}: cycles died during the run");
        rudo_gc::collect();
        let alive: Vec<usize> = PROBES.with(|p| {
            let p = p.borrow();
            assert_eq!(p.len(), ROUNDS as usize);
            (0..p.len()).filter(|&i| p[i].upgrade().is_some()).collect()
        });
        assert_eq!(
            alive,
            vec![ROUNDS as usize - 1],
            "{flavour:?}: only the table the global keeps survives"
        );
        drop(vm); // the globals go
        rudo_gc::collect();
        assert!(PROBES.with(|p| p.borrow()[ROUNDS as usize - 1].upgrade().is_none()));
    }
}

/// `keep` a fresh table (nothing else refers to it), make garbage across
/// many safepoints, then `fetch` it back and read it; then `release` it and
/// `fetch` the stale handle.
fn host_handles() -> Program {
    let main = Asm::new("main", 0, 2)
        .ops(&[
            Op::NewTable,
            Op::Dup,
            Op::Int(7),
            Op::Int(42),
            Op::TableSet,
            Op::Native { idx: 1, args: 1 }, // keep
            Op::SetLocal(0),
            Op::Int(2_000),
            Op::SetLocal(1),
        ])
        .label("garbage")
        .ops(&[Op::GetLocal(1)])
        .jump_if_false("fetch")
        .ops(&[
            Op::Nil,
            Op::Nil,
            Op::NewArray(2),
            Op::Pop,
            Op::GetLocal(1),
            Op::Int(1),
            Op::Sub,
            Op::SetLocal(1),
        ])
        .jump("garbage")
        .label("fetch")
        .ops(&[
            Op::GetLocal(0),
            Op::Native { idx: 2, args: 1 }, // fetch
            Op::Int(7),
            Op::TableGet,
            Op::Native { idx: 0, args: 1 }, // report: 42
            Op::Pop,
            Op::GetLocal(0),
            Op::Native { idx: 3, args: 1 }, // release
            Op::Pop,
            Op::GetLocal(0),
            Op::Native { idx: 2, args: 1 }, // fetch: stale
            Op::Return,
        ])
        .finish();
    Program {
        functions: vec![main],
        strings: Vec::new(),
        globals: 0,
    }
}

#[test]
fn host_tickets_keep_values_alive_and_stale_ones_are_errors() {
    rudo_vm::configure();
    for flavour in GC_FLAVOURS {
        let mut vm = Vm::<GcHeap>::new(host_handles());
        rudo_gc::collect();
        let result = run_on(&mut vm, flavour, 1024);
        assert_eq!(
            vm.host.output,
            vec![42],
            "{flavour:?}: the kept table survived"
        );
        assert!(
            matches!(result, Err(VmError::StaleTicket(_))),
            "{flavour:?}: {result:?}"
        );
        assert_eq!(vm.host.pinned(), 0, "nothing left pinned");
    }
    // A forged handle.
    let forged = Program {
        functions: vec![
            Asm::new("main", 0, 0)
                .ops(&[Op::Int(99), Op::Native { idx: 2, args: 1 }, Op::Return])
                .finish(),
        ],
        strings: Vec::new(),
        globals: 0,
    };
    assert!(matches!(
        run(&forged, Flavour::Conservative),
        Err(VmError::StaleTicket(_))
    ));
}

fn program(code: &[Op], locals: u16) -> Program {
    Program {
        functions: vec![Asm::new("main", 0, locals).ops(code).finish()],
        strings: vec!["text".into()],
        globals: 1,
    }
}

#[test]
fn bad_programs_get_errors_and_the_heap_stays_usable() {
    rudo_vm::configure();
    for flavour in ALL {
        let add_table = program(&[Op::Int(1), Op::NewTable, Op::Add, Op::Return], 0);
        assert_eq!(
            run(&add_table, flavour),
            Err(VmError::Type {
                op: "add",
                expected: "an integer",
                found: "table",
            })
        );
        let index_string = program(&[Op::Str(0), Op::Int(0), Op::Index, Op::Return], 0);
        assert!(matches!(
            run(&index_string, flavour),
            Err(VmError::Type {
                found: "string",
                ..
            })
        ));
        let out_of_bounds = program(
            &[Op::Nil, Op::NewArray(1), Op::Int(3), Op::Index, Op::Return],
            0,
        );
        assert_eq!(
            run(&out_of_bounds, flavour),
            Err(VmError::Index { index: 3, len: 1 })
        );
        let call_int = program(&[Op::Int(5), Op::Call(0), Op::Return], 0);
        assert!(matches!(
            run(&call_int, flavour),
            Err(VmError::Type { op: "call", .. })
        ));
        let wrong_arity = Program {
            functions: vec![
                Asm::new("main", 0, 0)
                    .ops(&[
                        Op::Closure {
                            func: 1,
                            captures: 0,
                        },
                        Op::Nil,
                        Op::Nil,
                        Op::Call(2),
                        Op::Return,
                    ])
                    .finish(),
                Asm::new("f", 1, 0).ops(&[Op::Nil, Op::Return]).finish(),
            ],
            strings: Vec::new(),
            globals: 0,
        };
        assert!(matches!(
            run(&wrong_arity, flavour),
            Err(VmError::Arity {
                expected: 1,
                found: 2,
                ..
            })
        ));
        let underflow = program(&[Op::Nil, Op::Call(3), Op::Return], 0);
        assert_eq!(run(&underflow, flavour), Err(VmError::StackUnderflow));
        // Unbounded recursion: f() calls f().
        let recursion = Program {
            functions: vec![
                Asm::new("main", 0, 0)
                    .ops(&[
                        Op::Closure {
                            func: 1,
                            captures: 0,
                        },
                        Op::SetGlobal(0),
                        Op::GetGlobal(0),
                        Op::Call(0),
                        Op::Return,
                    ])
                    .finish(),
                Asm::new("f", 0, 0)
                    .ops(&[Op::GetGlobal(0), Op::Call(0), Op::Return])
                    .finish(),
            ],
            strings: Vec::new(),
            globals: 1,
        };
        assert_eq!(run(&recursion, flavour), Err(VmError::StackOverflow));
        let overflow = program(
            &[Op::Int(1 << 60), Op::Int(1 << 60), Op::Add, Op::Return],
            0,
        );
        assert_eq!(run(&overflow, flavour), Err(VmError::Overflow));
        let unknown = program(&[Op::Native { idx: 77, args: 0 }, Op::Return], 0);
        assert_eq!(run(&unknown, flavour), Err(VmError::UnknownNative(77)));
        // The heap is fine afterwards.
        let trees = run(&programs::binary_trees(6), flavour).unwrap();
        assert_eq!(trees.output, programs::binary_trees_expected(6));
    }
}

#[test]
fn the_same_program_makes_the_same_collections_at_the_same_safepoints() {
    rudo_vm::configure();
    for flavour in GC_FLAVOURS {
        let mut runs = Vec::new();
        for _ in 0..2 {
            rudo_gc::collect();
            let before = rudo_gc::stats();
            let outcome = run(&programs::binary_trees(9), flavour).unwrap();
            let after = rudo_gc::stats();
            runs.push((
                outcome.safepoints,
                after.minor_collections - before.minor_collections,
                after.major_collections - before.major_collections,
            ));
        }
        assert!(runs[0].1 + runs[0].2 > 0, "{flavour:?}: the run collected");
        assert_eq!(runs[0], runs[1], "{flavour:?}");
    }
}

#[test]
fn another_thread_collecting_meanwhile_changes_nothing() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    rudo_vm::configure();
    for flavour in GC_FLAVOURS {
        let done = Arc::new(AtomicBool::new(false));
        let collector = {
            let done = done.clone();
            std::thread::spawn(move || {
                let mut n = 0_u64;
                while !done.load(SeqCst) {
                    drop(Gc::new(n)); // so that every collection has work
                    rudo_gc::collect();
                    n += 1;
                }
                n
            })
        };
        let trees = run(&programs::binary_trees(10), flavour).unwrap();
        let churn = run(&programs::table_churn(20_000), flavour).unwrap();
        done.store(true, SeqCst);
        collector.join().unwrap();
        assert_eq!(
            trees.output,
            programs::binary_trees_expected(10),
            "{flavour:?}"
        );
        assert_eq!(churn.result, Some(136), "{flavour:?}");
    }
}
