//! A document tree that `Rc` cannot free: nodes own their children, children
//! own a pointer back to their parent, and the leaves of every section point
//! back to the section's top, so every node sits on a cycle. Cross-references
//! between sections are `Weak`: they never keep a section alive.
//!
//! The program edits the document for a number of rounds (replacing whole
//! subtrees, relinking nodes), keeps an index of nodes in a `Vec` on the Rust
//! heap (no root registration needed), and lets the collector reclaim what the
//! edits cut off. It checks the document after every round and prints what the
//! collector did.
//!
//! ```text
//! cargo run --release --example graph
//! ```

use std::time::Instant;

use rudo_gc::{Gc, GcCell, Trace, Weak, collect, stats};

#[derive(Trace)]
struct Node {
    id: u64,
    label: String,
    parent: GcCell<Option<Gc<Node>>>,
    children: GcCell<Vec<Gc<Node>>>,
    /// Strong links inside a section (leaves to the section's top).
    links: GcCell<Vec<Gc<Node>>>,
    /// Cross-references to other sections, which do not own them.
    see_also: GcCell<Vec<Weak<Node>>>,
}

struct Document {
    root: Gc<Node>,
    next_id: u64,
}

impl Document {
    fn node(&mut self, label: String) -> Gc<Node> {
        self.next_id += 1;
        Gc::new(Node {
            id: self.next_id,
            label,
            parent: GcCell::new(None),
            children: GcCell::new(Vec::new()),
            links: GcCell::new(Vec::new()),
            see_also: GcCell::new(Vec::new()),
        })
    }

    fn adopt(parent: &Gc<Node>, child: Gc<Node>) {
        *child.parent.borrow_mut() = Some(parent.clone());
        parent.children.borrow_mut().push(child);
    }

    /// A subtree of `depth` levels with `fanout` children per node, whose
    /// leaves link back to the subtree's top (cycles within the subtree).
    fn subtree(&mut self, depth: u32, fanout: usize) -> Gc<Node> {
        let top = self.node(format!("section {}", self.next_id));
        let mut level = vec![top.clone()];
        for _ in 0..depth {
            let mut next = Vec::new();
            for parent in &level {
                for _ in 0..fanout {
                    let child = self.node(format!("paragraph {}", self.next_id));
                    Self::adopt(parent, child.clone());
                    next.push(child);
                }
            }
            level = next;
        }
        for leaf in &level {
            leaf.links.borrow_mut().push(top.clone());
        }
        top
    }
}

/// Walks the tree iteratively; checks parent pointers; returns the node count.
fn check(root: &Gc<Node>) -> usize {
    let mut count = 0;
    let mut stack = vec![root.clone()];
    while let Some(node) = stack.pop() {
        count += 1;
        for child in node.children.borrow().iter() {
            let parent = child.parent.borrow().clone().expect("a child has a parent");
            assert!(
                Gc::ptr_eq(&parent, &node),
                "node {} has the wrong parent",
                child.id
            );
            stack.push(child.clone());
        }
    }
    count
}

fn main() {
    const ROUNDS: usize = 2_000;
    const SECTIONS: usize = 16;
    let started = Instant::now();
    let mut doc = Document {
        root: Gc::new(Node {
            id: 0,
            label: "document".into(),
            parent: GcCell::new(None),
            children: GcCell::new(Vec::new()),
            links: GcCell::new(Vec::new()),
            see_also: GcCell::new(Vec::new()),
        }),
        next_id: 0,
    };
    for _ in 0..SECTIONS {
        let section = doc.subtree(3, 6);
        Document::adopt(&doc.root, section);
    }

    // An index into the document, held in an ordinary Vec: a root by itself.
    let mut bookmarks: Vec<Weak<Node>> = Vec::new();
    let mut peak_heap = 0;
    for round in 0..ROUNDS {
        // Replace one section wholesale: the old one (a few hundred nodes, full
        // of cycles) becomes garbage.
        let fresh = doc.subtree(3, 6);
        *fresh.parent.borrow_mut() = Some(doc.root.clone());
        let index = round % SECTIONS;
        let old = std::mem::replace(&mut doc.root.children.borrow_mut()[index], fresh);
        bookmarks.push(Gc::downgrade(&old));
        drop(old);

        // Cross-reference two sections.
        let children = doc.root.children.borrow();
        let (a, b) = (
            &children[round % SECTIONS],
            &children[(round * 7 + 3) % SECTIONS],
        );
        a.see_also.borrow_mut().push(Gc::downgrade(b));
        drop(children);

        let nodes = check(&doc.root);
        assert_eq!(nodes, 1 + SECTIONS * (1 + 6 + 36 + 216));
        peak_heap = peak_heap.max(stats().heap_bytes);
    }
    collect();

    let replaced_alive = bookmarks.iter().filter(|w| w.upgrade().is_some()).count();
    let dangling_refs: usize = doc
        .root
        .children
        .borrow()
        .iter()
        .map(|s| {
            s.see_also
                .borrow()
                .iter()
                .filter(|w| w.upgrade().is_none())
                .count()
        })
        .sum();
    let s = stats();
    println!(
        "document: {} nodes after {ROUNDS} rounds of edits",
        check(&doc.root)
    );
    println!(
        "label of the first section: {:?}",
        doc.root.children.borrow()[0].label
    );
    println!(
        "replaced sections still alive: {replaced_alive} of {} (every one was cut off)",
        bookmarks.len()
    );
    println!("heap peak {} KiB", peak_heap / 1024);
    println!("{s}");
    println!("cross-references to replaced sections, now dangling: {dangling_refs}");
    println!("elapsed {:?}", started.elapsed());
    assert_eq!(
        replaced_alive, 0,
        "the collector freed every replaced section"
    );
}
