//! A minor collection's pause against the size of the old generation: with
//! `old` objects promoted (a tree with parent pointers, so one big cycle,
//! plus edges from it into the young generation), allocate a fixed amount of
//! young garbage and a small young survivor, then time `collect_minor`. The
//! pause should depend on the young generation only: the old objects are
//! not traced, and a young object an old one points to is kept by its count.

use std::time::{Duration, Instant};

use rudo_gc::{Gc, GcCell, Trace, collect, collect_minor};

#[derive(Trace)]
struct Node {
    parent: GcCell<Option<Gc<Node>>>,
    children: GcCell<Vec<Gc<Node>>>,
}

fn node() -> Gc<Node> {
    Gc::new(Node {
        parent: GcCell::new(None),
        children: GcCell::new(Vec::new()),
    })
}

/// A tree of `n` nodes, 4 children each, children pointing at their parent.
fn tree(n: usize) -> Gc<Node> {
    let root = node();
    let mut frontier = std::collections::VecDeque::from([root.clone()]);
    let mut made = 1;
    while made < n {
        let parent = frontier.pop_front().expect("a parent");
        for _ in 0..4.min(n - made) {
            let child = node();
            *child.parent.borrow_mut() = Some(parent.clone());
            parent.children.borrow_mut().push(child.clone());
            frontier.push_back(child);
            made += 1;
        }
    }
    root
}

/// Young objects per round: garbage plus one small survivor.
pub const YOUNG_PER_ROUND: usize = 20_000;

/// Promotes a tree of `old` nodes, then runs `rounds` minor collections,
/// each after allocating `YOUNG_PER_ROUND` young nodes (all but 100 of them
/// garbage, the 100 hung under the old tree's root); returns their pauses.
pub fn run(old: usize, rounds: usize) -> Vec<Duration> {
    let old_tree = (old > 0).then(|| tree(old));
    collect();
    collect(); // everything alive is old now
    let mut pauses = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        drop(tree(YOUNG_PER_ROUND - 100));
        let survivor = tree(100);
        if let Some(root) = &old_tree {
            let mut children = root.children.borrow_mut();
            if children.len() > 4 {
                children.pop(); // last round's survivor
            }
            children.push(survivor);
        }
        let t = Instant::now();
        collect_minor();
        pauses.push(t.elapsed());
    }
    drop(old_tree);
    pauses
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_round_is_timed() {
        assert_eq!(super::run(1000, 3).len(), 3);
        assert_eq!(super::run(0, 2).len(), 2);
    }
}
