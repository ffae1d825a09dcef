//! The binary-trees benchmark (Computer Language Benchmarks Game): build and
//! walk many short-lived complete binary trees while one long-lived tree stays
//! alive.

use std::rc::Rc;

use rudo_gc::{Gc, Trace};

/// Total nodes checked by `run` for a tree of `max_depth`, the same for every
/// variant.
fn schedule(max_depth: u32) -> impl Iterator<Item = (u32, u32)> {
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
            struct Node {
                left: Option<$ptr<Node>>,
                right: Option<$ptr<Node>>,
            }

            fn bottom_up(depth: u32) -> $ptr<Node> {
                if depth == 0 {
                    $new(Node { left: None, right: None })
                } else {
                    $new(Node { left: Some(bottom_up(depth - 1)), right: Some(bottom_up(depth - 1)) })
                }
            }

            fn check(node: &Node) -> usize {
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

#[cfg(test)]
mod tests {
    #[test]
    fn every_variant_checks_the_same_nodes() {
        let expected = super::boxed::run(8);
        assert_eq!(super::rc::run(8), expected);
        assert_eq!(super::gc::run(8), expected);
    }
}
