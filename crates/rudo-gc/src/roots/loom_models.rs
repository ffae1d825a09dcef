//! `loom` models of the shard protocol (`roots::shard`): tickets against
//! concurrent unpins and slot reuse. Run with `cargo xtask loom`.

use loom::sync::Arc;
use loom::thread;

use super::shard::Shard;

/// A ticket read while another thread unpins its value and pins another
/// into the same slot sees its own value or nothing, never the new one.
#[test]
fn a_stale_ticket_never_reads_the_next_value_of_its_slot() {
    loom::model(|| {
        let shard = Arc::new(Shard::<u64>::new());
        let (slot, generation) = shard.pin(100, 1, 1).unwrap();
        let other = {
            let shard = shard.clone();
            thread::spawn(move || {
                assert_eq!(shard.unpin(slot, generation, 1), Some(100));
                shard.pin(200, 1, 1).unwrap()
            })
        };
        let seen = shard.with_live(slot, generation, |v| *v);
        assert!(seen == Some(100) || seen.is_none(), "{seen:?}");
        let (new_slot, new_generation) = other.join().unwrap();
        assert_eq!(
            (new_slot, new_generation),
            (slot, generation + 1),
            "the slot was reused"
        );
        assert_eq!(shard.with_live(new_slot, new_generation, |v| *v), Some(200));
        assert!(shard.with_live(slot, generation, |v| *v).is_none());
        assert_eq!(shard.len(), 1);
    });
}

/// Two threads unpinning the same ticket: exactly one gets the value.
#[test]
fn a_value_is_unpinned_once() {
    loom::model(|| {
        let shard = Arc::new(Shard::<u64>::new());
        let (slot, generation) = shard.pin(7, 1, 1).unwrap();
        let racer = {
            let shard = shard.clone();
            thread::spawn(move || shard.unpin(slot, generation, 1))
        };
        let mine = shard.unpin(slot, generation, 1);
        let theirs = racer.join().unwrap();
        assert_eq!(mine.into_iter().chain(theirs).collect::<Vec<_>>(), [7]);
        assert_eq!(shard.len(), 0);
    });
}

/// Concurrent pins get distinct live tickets; a replace keeps the ticket.
#[test]
fn concurrent_pins_get_distinct_tickets() {
    loom::model(|| {
        let shard = Arc::new(Shard::<u64>::new());
        let (first, g) = shard.pin(1, 1, 1).unwrap();
        assert_eq!(shard.unpin(first, g, 1), Some(1)); // one free slot to race for
        let other = {
            let shard = shard.clone();
            thread::spawn(move || shard.pin(2, 1, 1).unwrap())
        };
        let mine = shard.pin(3, 1, 1).unwrap();
        let theirs = other.join().unwrap();
        assert_ne!(mine, theirs);
        assert_eq!(shard.replace(mine.0, mine.1, 30, 1), Ok(3));
        assert_eq!(shard.with_live(mine.0, mine.1, |v| *v), Some(30));
        assert_eq!(shard.with_live(theirs.0, theirs.1, |v| *v), Some(2));
        assert_eq!(shard.len(), 2);
    });
}
