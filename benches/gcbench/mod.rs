//! GCBench, Hans Boehm's collector benchmark (after John Ellis and Pete
//! Kovac's Java original): many complete binary trees built top down and
//! bottom up while a long-lived tree and a large array stay alive.
//!
//! Every variant does the same work, in this order, for a stretch depth `s`
//! (18 in the standard benchmark, [`STRETCH_DEPTH`]):
//!
//! 1. "stretch the heap": one tree of depth `s` built bottom up and dropped;
//! 2. the long-lived tree: a node, then `Populate(s - 2)` on it (children
//!    allocated and stored into an already allocated parent: the top-down
//!    construction, which needs mutation after allocation), kept to the end;
//! 3. the long-lived array: [`ARRAY_SIZE`] `f64`s, the first half set to
//!    `1/i`, allocated through the variant's pointer and kept to the end;
//! 4. for each depth `d` from 4 to `s - 2` in steps of 2, `2 * TreeSize(s) /
//!    TreeSize(d)` trees built top down, then as many built bottom up, each
//!    dropped as soon as it is complete (nothing reads them);
//! 5. the checks: the long-lived tree is walked and `array[1000]` compared
//!    with `1/1000`.
//!
//! `run(s)` returns [`checksum`]: the nodes built, plus the nodes found in
//! the long-lived tree at the end, plus `ARRAY_SIZE` if the array is intact;
//! the same for every variant. Nodes carry the original's two unused `int`
//! fields.
//!
//! `boxed`, `rc` and `gc` (ours) are in their own files like the peers.

pub mod arena;
pub mod bacon;
pub mod boxed;
mod cell_tree;
pub mod dumpster_sync;
pub mod dumpster_unsync;
pub mod gc;
pub mod gc_crate;
pub mod rc;
pub mod rudo_published;

/// The stretch depth of the standard benchmark: the full-size `size`.
pub const STRETCH_DEPTH: u32 = 18;

/// The shallowest of the short-lived trees.
const MIN_TREE_DEPTH: u32 = 4;

/// The length of the long-lived array, at every size.
pub const ARRAY_SIZE: usize = 500_000;

/// The nodes in a complete tree of `depth` (a lone node has depth 0).
const fn tree_size(depth: u32) -> usize {
    (1 << (depth + 1)) - 1
}

/// The depth of the long-lived tree for stretch depth `stretch`.
fn long_lived_depth(stretch: u32) -> u32 {
    stretch.saturating_sub(2)
}

/// The (depth, trees of each construction) pairs of step 4 for stretch
/// depth `stretch`.
fn schedule(stretch: u32) -> impl Iterator<Item = (u32, usize)> {
    (MIN_TREE_DEPTH..=stretch.saturating_sub(2))
        .step_by(2)
        .map(move |depth| (depth, 2 * tree_size(stretch) / tree_size(depth)))
}

/// The long-lived array's contents.
fn array() -> Vec<f64> {
    let mut array = vec![0.0; ARRAY_SIZE];
    for (i, x) in array.iter_mut().enumerate().take(ARRAY_SIZE / 2) {
        *x = 1.0 / i as f64;
    }
    array
}

/// The checksum of a run at `stretch` whose long-lived tree had
/// `long_lived_nodes` nodes at the end and whose array is `array` then.
pub fn checksum(stretch: u32, long_lived_nodes: usize, array: &[f64]) -> usize {
    let built = tree_size(stretch)
        + tree_size(long_lived_depth(stretch))
        + schedule(stretch)
            .map(|(depth, iterations)| 2 * iterations * tree_size(depth))
            .sum::<usize>();
    let intact = array.len() == ARRAY_SIZE && array[1000] == 1.0 / 1000.0;
    built + long_lived_nodes + if intact { ARRAY_SIZE } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stretch depth the tests run at.
    const STRETCH: u32 = 8;

    /// The checksum of a correct run at `STRETCH`.
    fn expected() -> usize {
        checksum(STRETCH, tree_size(long_lived_depth(STRETCH)), &array())
    }

    #[test]
    fn the_standard_schedule() {
        let depths: Vec<_> = schedule(STRETCH_DEPTH).collect();
        assert_eq!(
            depths,
            [
                (4, 33_824),
                (6, 8_256),
                (8, 2_052),
                (10, 512),
                (12, 128),
                (14, 32),
                (16, 8)
            ]
        );
        assert_eq!(long_lived_depth(STRETCH_DEPTH), 16);
    }

    #[test]
    fn box_rc_and_ours_agree() {
        let expected = expected();
        assert_eq!(boxed::run(STRETCH), expected);
        assert_eq!(rc::run(STRETCH), expected);
        assert_eq!(gc::run(STRETCH), expected);
    }

    #[test]
    fn bacon_agrees() {
        assert_eq!(bacon::run(STRETCH), expected());
    }

    #[test]
    fn dumpster_unsync_agrees() {
        assert_eq!(dumpster_unsync::run(STRETCH), expected());
    }

    #[test]
    fn dumpster_sync_agrees() {
        assert_eq!(dumpster_sync::run(STRETCH), expected());
    }

    #[test]
    fn gc_crate_agrees() {
        assert_eq!(gc_crate::run(STRETCH), expected());
    }

    #[test]
    fn arena_agrees() {
        assert_eq!(arena::run(STRETCH), expected());
    }

    #[test]
    // Passes in debug builds; in optimized builds 0.8.19 never returns from its
    // first `Gc::new`: `GlobalSegmentManager::allocate_page` finds the address
    // of the page it has just mapped among the stack slots and registers it
    // scans for false roots, quarantines the page and maps another, forever
    // (100% CPU, ~120k 4 KiB mmaps in 3 s, memory growing without bound).
    #[cfg_attr(
        not(debug_assertions),
        ignore = "rudo-gc 0.8.19 hangs in optimized builds: its first Gc::new loops forever in \
                  allocate_page, quarantining every page it maps as a false root"
    )]
    fn rudo_published_agrees() {
        assert_eq!(rudo_published::run(STRETCH), expected());
    }
}
