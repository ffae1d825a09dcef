//! A short soak in every test run: 4 threads and 8 tasks on 2 tokio
//! workers, a bounded number of operations each, every check on.

use rudo_gc_soak::{Config, Limit, run};

#[test]
fn a_short_soak_passes_its_checks_and_balances_its_drops() {
    let config = Config {
        limit: Limit::Rounds(if cfg!(debug_assertions) {
            3_000
        } else {
            30_000
        }),
        ..Config::default()
    };
    let report = run(&config, |_| {}).unwrap_or_else(|e| panic!("soak failed: {e}"));
    assert!(
        report.ops >= 12 * 3_000,
        "every thread and task ran: {report:?}"
    );
    assert!(
        report.checks > report.ops,
        "walks checked nodes: {report:?}"
    );
    assert!(report.nodes > 0);
}

#[test]
fn a_soak_without_a_runtime_passes_too() {
    let config = Config {
        threads: 2,
        workers: 0,
        limit: Limit::Rounds(2_000),
        ..Config::default()
    };
    let report = run(&config, |_| {}).unwrap_or_else(|e| panic!("soak failed: {e}"));
    assert_eq!(report.ops, 2 * 2_000);
}
