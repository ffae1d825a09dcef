//! Misuse catalogue (`docs/misuse.md`), "Root tables": more tables alive at
//! once, or more values in one table, than a ticket can name. Its own test
//! binary: the table ids are process-wide, and no other test may create
//! tables meanwhile (the two tests here take turns).
#![cfg(not(miri))] // 65,535 tables: too slow for Miri.

use std::panic::{AssertUnwindSafe, catch_unwind};

use rudo_gc::Gc;
use rudo_gc::roots::RootTable;

/// One test at a time: both use up table ids.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn the_65536th_live_table_panics_and_a_dropped_tables_id_is_reused() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tables: Vec<RootTable<Gc<u8>>> = (0..65_535).map(|_| RootTable::new()).collect();
    let payload = catch_unwind(AssertUnwindSafe(|| drop(RootTable::<Gc<u8>>::new())))
        .expect_err("one table too many");
    assert_eq!(
        message(&*payload),
        "rudo-gc: more than 65535 RootTables exist at once (a ticket has 16 bits for its \
         table); share one table, or drop tables no longer used"
    );
    // Dropping one frees its id for the next table, whose tickets work.
    let mut tables = tables;
    tables.pop();
    let table = RootTable::new();
    let ticket = table.pin(Gc::new(9_u8));
    assert_eq!(table.with(ticket, |v| **v), Ok(9));
}

/// 16,777,216 pins: release builds only (about a second there).
#[test]
#[cfg(not(debug_assertions))]
fn a_table_holding_16777216_values_refuses_one_more() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let table: RootTable<u8> = RootTable::new();
    let tickets: Vec<_> = (0..1_u32 << 24).map(|i| table.pin(i as u8)).collect();
    assert_eq!(table.len(), 1 << 24);
    let payload =
        catch_unwind(AssertUnwindSafe(|| drop(table.pin(0)))).expect_err("one value too many");
    assert_eq!(
        message(&*payload),
        "rudo-gc: a RootTable holds at most 16777216 values (a ticket has 24 bits for its \
         slot); unpin values no longer needed"
    );
    // Unpinning one makes room again.
    assert_eq!(table.unpin(tickets[7]), Ok(7));
    let ticket = table.pin(42);
    assert_eq!(table.get(ticket), Some(42));
}
