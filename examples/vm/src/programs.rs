//! The example programs, assembled with [`Asm`].

use crate::op::{Asm, Op, Program};

/// Index of the `report` native (`host::standard`).
const REPORT: u16 = 0;

/// Recursive `fib(n)`; returns it.
pub fn fib(n: i64) -> Program {
    const FIB: u16 = 0;
    let main = Asm::new("main", 0, 0)
        .ops(&[
            Op::Closure {
                func: 1,
                captures: 0,
            },
            Op::SetGlobal(FIB),
            Op::GetGlobal(FIB),
            Op::Int(n),
            Op::Call(1),
            Op::Return,
        ])
        .finish();
    let fib = Asm::new("fib", 1, 0)
        .ops(&[Op::GetLocal(0), Op::Int(2), Op::Lt])
        .jump_if_false("recurse")
        .ops(&[Op::GetLocal(0), Op::Return])
        .label("recurse")
        .ops(&[
            Op::GetGlobal(FIB),
            Op::GetLocal(0),
            Op::Int(1),
            Op::Sub,
            Op::Call(1),
            Op::GetGlobal(FIB),
            Op::GetLocal(0),
            Op::Int(2),
            Op::Sub,
            Op::Call(1),
            Op::Add,
            Op::Return,
        ])
        .finish();
    Program {
        functions: vec![main, fib],
        strings: Vec::new(),
        globals: 1,
    }
}

/// `fib(n)` computed in Rust, to check the VM.
pub fn fib_expected(n: i64) -> i64 {
    let (mut a, mut b) = (0, 1);
    for _ in 0..n {
        (a, b) = (b, a + b);
    }
    a
}

/// The benchmarks game's binary-trees with trees of two-element arrays:
/// reports the stretch tree's check, then for every depth the sum of the
/// checks of its iterations, then the long-lived tree's; returns the last.
pub fn binary_trees(n: u32) -> Program {
    const MAKE: u16 = 0;
    const CHECK: u16 = 1;
    let min_depth = 4;
    let max_depth = n.max(min_depth + 2);
    let mut main = Asm::new("main", 0, 3);
    main.ops(&[
        Op::Closure {
            func: 1,
            captures: 0,
        },
        Op::SetGlobal(MAKE),
        Op::Closure {
            func: 2,
            captures: 0,
        },
        Op::SetGlobal(CHECK),
        // The stretch tree.
        Op::GetGlobal(CHECK),
        Op::GetGlobal(MAKE),
        Op::Int(i64::from(max_depth + 1)),
        Op::Call(1),
        Op::Call(1),
        Op::Native {
            idx: REPORT,
            args: 1,
        },
        Op::Pop,
        // The long-lived tree, in local 0.
        Op::GetGlobal(MAKE),
        Op::Int(i64::from(max_depth)),
        Op::Call(1),
        Op::SetLocal(0),
    ]);
    for depth in (min_depth..=max_depth).step_by(2) {
        let iterations = 1_i64 << (max_depth - depth + min_depth);
        let (top, end) = (format!("loop{depth}"), format!("end{depth}"));
        main.ops(&[
            Op::Int(0),
            Op::SetLocal(2),
            Op::Int(iterations),
            Op::SetLocal(1),
        ])
        .label(&top)
        .ops(&[Op::GetLocal(1)])
        .jump_if_false(&end)
        .ops(&[
            Op::GetLocal(2),
            Op::GetGlobal(CHECK),
            Op::GetGlobal(MAKE),
            Op::Int(i64::from(depth)),
            Op::Call(1),
            Op::Call(1),
            Op::Add,
            Op::SetLocal(2),
            Op::GetLocal(1),
            Op::Int(1),
            Op::Sub,
            Op::SetLocal(1),
        ])
        .jump(&top)
        .label(&end)
        .ops(&[
            Op::GetLocal(2),
            Op::Native {
                idx: REPORT,
                args: 1,
            },
            Op::Pop,
        ]);
    }
    main.ops(&[
        Op::GetGlobal(CHECK),
        Op::GetLocal(0),
        Op::Call(1),
        Op::Dup,
        Op::Native {
            idx: REPORT,
            args: 1,
        },
        Op::Pop,
        Op::Return,
    ]);
    let make = Asm::new("make", 1, 0)
        .ops(&[Op::GetLocal(0)])
        .jump_if_false("leaf")
        .ops(&[
            Op::GetGlobal(MAKE),
            Op::GetLocal(0),
            Op::Int(1),
            Op::Sub,
            Op::Call(1),
            Op::GetGlobal(MAKE),
            Op::GetLocal(0),
            Op::Int(1),
            Op::Sub,
            Op::Call(1),
            Op::NewArray(2),
            Op::Return,
        ])
        .label("leaf")
        .ops(&[Op::Nil, Op::Nil, Op::NewArray(2), Op::Return])
        .finish();
    let check = Asm::new("check", 1, 0)
        .ops(&[Op::GetLocal(0), Op::Int(0), Op::Index, Op::IsNil])
        .jump_if_false("inner")
        .ops(&[Op::Int(1), Op::Return])
        .label("inner")
        .ops(&[
            Op::Int(1),
            Op::GetGlobal(CHECK),
            Op::GetLocal(0),
            Op::Int(0),
            Op::Index,
            Op::Call(1),
            Op::Add,
            Op::GetGlobal(CHECK),
            Op::GetLocal(0),
            Op::Int(1),
            Op::Index,
            Op::Call(1),
            Op::Add,
            Op::Return,
        ])
        .finish();
    Program {
        functions: vec![main.finish(), make, check],
        strings: Vec::new(),
        globals: 2,
    }
}

/// What [`binary_trees`] reports, computed in Rust.
pub fn binary_trees_expected(n: u32) -> Vec<i64> {
    let min_depth = 4;
    let max_depth = n.max(min_depth + 2);
    let nodes = |d: u32| (1_i64 << (d + 1)) - 1;
    let mut out = vec![nodes(max_depth + 1)];
    for depth in (min_depth..=max_depth).step_by(2) {
        out.push((1_i64 << (max_depth - depth + min_depth)) * nodes(depth));
    }
    out.push(nodes(max_depth));
    out
}

/// Closures over boxes: makes `counters` counters, calls each `calls`
/// times, and returns the sum of every call's result.
pub fn counters(counters: i64, calls: i64) -> Program {
    const MAKE_COUNTER: u16 = 0;
    let main = Asm::new("main", 0, 4)
        .ops(&[
            Op::Closure {
                func: 1,
                captures: 0,
            },
            Op::SetGlobal(MAKE_COUNTER),
            Op::Int(0),
            Op::SetLocal(3),
            Op::Int(counters),
            Op::SetLocal(1),
        ])
        .label("outer")
        .ops(&[Op::GetLocal(1)])
        .jump_if_false("done")
        .ops(&[
            Op::GetGlobal(MAKE_COUNTER),
            Op::Call(0),
            Op::SetLocal(0),
            Op::Int(calls),
            Op::SetLocal(2),
        ])
        .label("inner")
        .ops(&[Op::GetLocal(2)])
        .jump_if_false("next")
        .ops(&[
            Op::GetLocal(3),
            Op::GetLocal(0),
            Op::Call(0),
            Op::Add,
            Op::SetLocal(3),
            Op::GetLocal(2),
            Op::Int(1),
            Op::Sub,
            Op::SetLocal(2),
        ])
        .jump("inner")
        .label("next")
        .ops(&[Op::GetLocal(1), Op::Int(1), Op::Sub, Op::SetLocal(1)])
        .jump("outer")
        .label("done")
        .ops(&[Op::GetLocal(3), Op::Return])
        .finish();
    let make_counter = Asm::new("make_counter", 0, 0)
        .ops(&[
            Op::Int(0),
            Op::NewBox,
            Op::Closure {
                func: 2,
                captures: 1,
            },
            Op::Return,
        ])
        .finish();
    let increment = Asm::new("increment", 0, 0)
        .ops(&[
            Op::GetCapture(0),
            Op::GetCapture(0),
            Op::BoxGet,
            Op::Int(1),
            Op::Add,
            Op::BoxSet,
            Op::GetCapture(0),
            Op::BoxGet,
            Op::Return,
        ])
        .finish();
    Program {
        functions: vec![main, make_counter, increment],
        strings: Vec::new(),
        globals: 1,
    }
}

/// What [`counters`] returns.
pub fn counters_expected(counters: i64, calls: i64) -> i64 {
    counters * calls * (calls + 1) / 2
}

/// Cyclic-table churn: `rounds` (at least 16) times, two tables that point
/// at each other, the first tagged with the round; the last 16 first
/// tables stay reachable from a global table. Returns the sum of their tags,
/// read through their cycles (136).
pub fn table_churn(rounds: i64) -> Program {
    assert!(rounds >= 16, "table_churn keeps the last 16 rounds");
    const KEPT: u16 = 0;
    let main = Asm::new("main", 0, 6)
        .ops(&[
            Op::NewTable,
            Op::SetGlobal(KEPT),
            Op::Int(rounds),
            Op::SetLocal(0),
            Op::Int(0),
            Op::SetLocal(3),
        ])
        .label("loop")
        .ops(&[Op::GetLocal(0)])
        .jump_if_false("sum")
        .ops(&[
            Op::NewTable,
            Op::SetLocal(1),
            Op::NewTable,
            Op::SetLocal(2),
            // t1[0] = t2; t2[0] = t1; t1[1] = round
            Op::GetLocal(1),
            Op::Int(0),
            Op::GetLocal(2),
            Op::TableSet,
            Op::GetLocal(2),
            Op::Int(0),
            Op::GetLocal(1),
            Op::TableSet,
            Op::GetLocal(1),
            Op::Int(1),
            Op::GetLocal(0),
            Op::TableSet,
            // kept[j] = t1; j = (j + 1) % 16
            Op::GetGlobal(KEPT),
            Op::GetLocal(3),
            Op::GetLocal(1),
            Op::TableSet,
            Op::GetLocal(3),
            Op::Int(1),
            Op::Add,
            Op::SetLocal(3),
            Op::GetLocal(3),
            Op::Int(16),
            Op::Lt,
        ])
        .jump_if_false("wrap")
        .jump("next")
        .label("wrap")
        .ops(&[Op::Int(0), Op::SetLocal(3)])
        .label("next")
        .ops(&[Op::GetLocal(0), Op::Int(1), Op::Sub, Op::SetLocal(0)])
        .jump("loop")
        .label("sum")
        .ops(&[Op::Int(0), Op::SetLocal(4), Op::Int(0), Op::SetLocal(5)])
        .label("sum_loop")
        .ops(&[Op::GetLocal(5), Op::Int(16), Op::Lt])
        .jump_if_false("done")
        .ops(&[
            Op::GetLocal(4),
            Op::GetGlobal(KEPT),
            Op::GetLocal(5),
            Op::TableGet,
            Op::Int(0),
            Op::TableGet,
            Op::Int(0),
            Op::TableGet,
            Op::Int(1),
            Op::TableGet,
            Op::Add,
            Op::SetLocal(4),
            Op::GetLocal(5),
            Op::Int(1),
            Op::Add,
            Op::SetLocal(5),
        ])
        .jump("sum_loop")
        .label("done")
        .ops(&[Op::GetLocal(4), Op::Return])
        .finish();
    Program {
        functions: vec![main],
        strings: Vec::new(),
        globals: 1,
    }
}
