//! Very deep object graphs are traced, kept and freed without recursion.

use std::cell::Cell;
use std::rc::Rc;

use rudo_gc::{Gc, GcCell, Trace, Visitor, Weak, collect};

/// Length of the singly linked list.
const N: usize = if cfg!(miri) { 1_000 } else { 1_000_000 };

/// Length of the chains built by mutation (Miri runs each collection slowly).
const M: usize = if cfg!(miri) { 150 } else { 1_000_000 };

/// A singly linked list node built front to back (immutable links).
struct Link {
    next: Option<Gc<Link>>,
    index: usize,
    drops: Rc<Cell<usize>>,
}

impl Drop for Link {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

// SAFETY: visits the one `Gc`-owning field once.
unsafe impl Trace for Link {
    fn trace(&self, v: &mut Visitor) {
        self.next.trace(v);
    }
}

/// Builds a list `0 -> 1 -> ... -> n-1` and returns its head.
fn list(n: usize, drops: &Rc<Cell<usize>>) -> Gc<Link> {
    let mut head: Option<Gc<Link>> = None;
    for index in (0..n).rev() {
        head = Some(Gc::new(Link {
            next: head,
            index,
            drops: drops.clone(),
        }));
    }
    head.unwrap()
}

/// Walks the list iteratively, checking the indices; returns its length.
fn walk(head: &Gc<Link>) -> usize {
    let mut len = 0;
    let mut cur = Some(head.clone());
    while let Some(node) = cur {
        assert_eq!(node.index, len);
        len += 1;
        cur = node.next.clone();
    }
    len
}

#[test]
fn long_list_survives_and_is_freed_without_stack_overflow() {
    let drops = Rc::new(Cell::new(0));
    let head = list(N, &drops);
    // Some collections may already have run during the build (budget).
    collect();
    assert_eq!(drops.get(), 0);
    assert_eq!(walk(&head), N);
    if !cfg!(miri) {
        collect();
        assert_eq!(walk(&head), N);
    }
    drop(head);
    collect();
    assert_eq!(drops.get(), N);
}

#[test]
fn long_list_closed_into_a_ring_is_freed() {
    // A cycle as long as the list: the whole ring is one strongly connected
    // component, discovered by the mark pass from no root at all.
    let drops = Rc::new(Cell::new(0));
    let head = Gc::new(Ring {
        next: GcCell::new(None),
        drops: drops.clone(),
    });
    let mut tail = head.clone();
    for _ in 1..M {
        let node = Gc::new(Ring {
            next: GcCell::new(None),
            drops: drops.clone(),
        });
        *tail.next.borrow_mut() = Some(node.clone());
        tail = node;
    }
    *tail.next.borrow_mut() = Some(head.clone());
    drop(tail);
    let w = Gc::downgrade(&head);
    collect();
    assert_eq!(drops.get(), 0);
    drop(head);
    collect();
    assert!(w.upgrade().is_none());
    assert_eq!(drops.get(), M);
}

/// A list node whose link is set after construction.
struct Ring {
    next: GcCell<Option<Gc<Ring>>>,
    drops: Rc<Cell<usize>>,
}

impl Drop for Ring {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

// SAFETY: visits the one `Gc`-owning field once.
unsafe impl Trace for Ring {
    fn trace(&self, v: &mut Visitor) {
        self.next.trace(v);
    }
}

#[test]
fn deep_chain_built_by_mutation_survives_and_can_be_cut() {
    let drops = Rc::new(Cell::new(0));
    let head = Gc::new(Ring {
        next: GcCell::new(None),
        drops: drops.clone(),
    });
    let mut middle = None;
    let mut tail = head.clone();
    for i in 1..M {
        let node = Gc::new(Ring {
            next: GcCell::new(None),
            drops: drops.clone(),
        });
        tail.next.replace(Some(node.clone()));
        tail = node;
        if i == M / 2 - 1 {
            middle = Some(tail.clone());
        }
    }
    let last = Gc::downgrade(&tail);
    drop(tail);
    collect();
    assert_eq!(drops.get(), 0);
    assert!(last.upgrade().is_some());

    // Count the chain iteratively.
    let len = || {
        let mut len = 0;
        let mut cur = Some(head.clone());
        while let Some(node) = cur {
            len += 1;
            cur = node.next.borrow().clone();
        }
        len
    };
    assert_eq!(len(), M);

    // Cut it in the middle: the second half becomes garbage.
    let middle = middle.unwrap();
    let second_half = middle.next.take();
    assert!(second_half.is_some());
    drop((second_half, middle));
    collect();
    assert_eq!(drops.get(), M / 2);
    assert!(last.upgrade().is_none());
    assert_eq!(len(), M / 2);

    drop(head);
    collect();
    assert_eq!(drops.get(), M);
}

/// A node with many children: a very wide, shallow graph.
struct Wide {
    children: Vec<Gc<Wide>>,
    drops: Rc<Cell<usize>>,
}

impl Drop for Wide {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

// SAFETY: visits the one `Gc`-owning field once.
unsafe impl Trace for Wide {
    fn trace(&self, v: &mut Visitor) {
        self.children.trace(v);
    }
}

#[test]
fn wide_root_of_long_chains_is_freed() {
    // Chains of length `DEPTH` hanging off a root with `WIDTH` children: both
    // deep and wide, reachable only through the root.
    const WIDTH: usize = if cfg!(miri) { 10 } else { 1_000 };
    const DEPTH: usize = if cfg!(miri) { 20 } else { 500 };
    let drops = Rc::new(Cell::new(0));
    let mut children = Vec::with_capacity(WIDTH);
    let mut weaks: Vec<Weak<Wide>> = Vec::new();
    for _ in 0..WIDTH {
        let mut chain = Gc::new(Wide {
            children: Vec::new(),
            drops: drops.clone(),
        });
        weaks.push(Gc::downgrade(&chain));
        for _ in 1..DEPTH {
            chain = Gc::new(Wide {
                children: vec![chain],
                drops: drops.clone(),
            });
        }
        children.push(chain);
    }
    let root = Gc::new(Wide {
        children,
        drops: drops.clone(),
    });
    collect();
    assert_eq!(drops.get(), 0);
    assert!(
        weaks.iter().all(|w| w.upgrade().is_some()),
        "the deepest nodes survive"
    );
    drop(root);
    collect();
    assert!(weaks.iter().all(|w| w.upgrade().is_none()));
    assert_eq!(drops.get(), WIDTH * DEPTH + 1);
}
