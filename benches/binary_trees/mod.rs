//! The binary-trees benchmark (Computer Language Benchmarks Game): build and
//! walk many short-lived complete binary trees while one long-lived tree stays
//! alive.
//!
//! Every variant does the same work: one "stretch" tree of `max_depth + 1`,
//! built, checked and dropped; one long-lived tree of `max_depth`, kept until
//! the end; and, for each depth of `schedule`, that many trees built bottom
//! up, checked (every node visited) and dropped. `run` returns the number of
//! nodes checked, the same for every variant.
//!
//! `gc` (ours), `rc` and `boxed` are here; each peer crate has its own file.

use std::rc::Rc;
use std::sync::Arc;

use rudo_gc::{Gc, Trace};

pub mod arena;
pub mod bacon;
pub mod dumpster_sync;
pub mod dumpster_unsync;
pub mod gc_crate;
pub mod rudo_published;

/// The (depth, number of trees) pairs `run` builds after the long-lived tree,
/// the same for every variant.
pub(crate) fn schedule(max_depth: u32) -> impl Iterator<Item = (u32, u32)> {
    (4..=max_depth)
        .step_by(2)
        .map(move |d| (d, 1 << (max_depth - d + 4)))
}

macro_rules! variant {
    ($(#[$doc:meta])* $module:ident, $ptr:ident, $new:path $(, $derive:ident)?) => {
        $(#[$doc])*
        pub mod $module {
            use super::*;

            $(#[derive($derive)])?
            #[allow(dead_code)]
            pub(crate) struct Node {
                left: Option<$ptr<Node>>,
                right: Option<$ptr<Node>>,
            }

            /// A complete tree of `depth`, built children first.
            pub(crate) fn bottom_up(depth: u32) -> $ptr<Node> {
                if depth == 0 {
                    $new(Node { left: None, right: None })
                } else {
                    $new(Node { left: Some(bottom_up(depth - 1)), right: Some(bottom_up(depth - 1)) })
                }
            }

            /// The number of nodes under (and including) `node`.
            pub(crate) fn check(node: &Node) -> usize {
                1 + node.left.as_deref().map_or(0, check) + node.right.as_deref().map_or(0, check)
            }

            /// Runs the benchmark for `max_depth`; returns the number of nodes checked.
            pub fn run(max_depth: u32) -> usize {
                let mut total = check(&bottom_up(max_depth + 1));
                let long_lived = bottom_up(max_depth);
                for (depth, iterations) in schedule(max_depth) {
                    for _ in 0..iterations {
                        total += check(&bottom_up(depth));
                    }
                }
                total + check(&long_lived)
            }
        }
    };
}

variant!(
    /// `rudo_gc::Gc` nodes.
    gc, Gc, Gc::new, Trace
);
variant!(
    /// `std::rc::Rc` nodes.
    rc, Rc, Rc::new
);
variant!(
    /// `Box` nodes (single ownership: the lower bound).
    boxed, Box, Box::new
);
variant!(
    /// `std::sync::Arc` nodes (for `two_threads`).
    arc, Arc, Arc::new
);

#[cfg(test)]
mod tests {
    /// The depth the tests run at.
    const DEPTH: u32 = 8;

    /// The nodes `run(DEPTH)` checks, from the `Box` variant.
    fn expected() -> usize {
        super::boxed::run(DEPTH)
    }

    #[test]
    fn rc_and_ours_check_the_same_nodes_as_box() {
        let expected = expected();
        assert_eq!(super::rc::run(DEPTH), expected);
        assert_eq!(super::gc::run(DEPTH), expected);
        assert_eq!(super::arc::run(DEPTH), expected);
    }

    #[test]
    fn bacon_checks_the_same_nodes() {
        assert_eq!(super::bacon::run(DEPTH), expected());
    }

    #[test]
    fn dumpster_unsync_checks_the_same_nodes() {
        assert_eq!(super::dumpster_unsync::run(DEPTH), expected());
    }

    #[test]
    fn dumpster_sync_checks_the_same_nodes() {
        assert_eq!(super::dumpster_sync::run(DEPTH), expected());
    }

    #[test]
    fn gc_crate_checks_the_same_nodes() {
        assert_eq!(super::gc_crate::run(DEPTH), expected());
    }

    #[test]
    fn arena_checks_the_same_nodes() {
        assert_eq!(super::arena::run(DEPTH), expected());
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
    fn rudo_published_checks_the_same_nodes() {
        assert_eq!(super::rudo_published::run(DEPTH), expected());
    }
}
