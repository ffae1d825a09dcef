//! The graph program, its executor and its model.

use std::cell::RefCell;

use arbitrary::Arbitrary;
use rudo_gc::roots::{RootTable, RootTicket};
use rudo_gc::{Gc, GcCell, Trace, Visitor, Weak, handles};

/// Children per node.
const ARITY: usize = 2;
/// Scopes nest at most this deep (the recursion of the executor).
const MAX_SCOPE_DEPTH: u8 = 8;

/// One operation. Indices are taken modulo the length of what they index
/// (an empty list makes the operation a no-op), so every input is a valid
/// program.
#[derive(Arbitrary, Debug, Clone)]
pub enum Op {
    /// A new node (a new root).
    Alloc {
        /// Its payload.
        payload: u32,
        /// Whether its destructor allocates and drops a `Gc`.
        allocates_in_drop: bool,
    },
    /// A new node made with `Gc::new_cyclic`, holding a `Weak` to itself.
    AllocCyclic {
        /// Its payload.
        payload: u32,
    },
    /// `roots[from].children[slot] = Some(node of roots[to])`.
    Link {
        /// The root whose node gets the edge.
        from: u8,
        /// The root whose node it points to.
        to: u8,
        /// Which child slot.
        slot: u8,
    },
    /// `roots[from].children[slot] = None`.
    Unlink {
        /// The root whose node loses the edge.
        from: u8,
        /// Which child slot.
        slot: u8,
    },
    /// Pushes a root for `roots[of]`'s child in `slot`, if it has one.
    Follow {
        /// The root.
        of: u8,
        /// Which child slot.
        slot: u8,
    },
    /// Pushes a clone of a root.
    Clone {
        /// The root.
        root: u8,
    },
    /// Drops a root.
    Drop {
        /// The root.
        root: u8,
    },
    /// Makes a `Weak` of a root.
    Downgrade {
        /// The root.
        root: u8,
    },
    /// Upgrades a `Weak`; a success is a new root.
    Upgrade {
        /// The weak reference.
        weak: u8,
    },
    /// Drops a `Weak`.
    DropWeak {
        /// The weak reference.
        weak: u8,
    },
    /// Pins a root in the root table (the root itself stays).
    Pin {
        /// The root.
        root: u8,
    },
    /// Unpins a ticket (a stale one must report `StaleTicket`).
    Unpin {
        /// The ticket.
        ticket: u8,
    },
    /// Allocates a `Gc<[u64]>` and a `Gc<str>` of `len`, checked later.
    Slices {
        /// Their length.
        len: u8,
    },
    /// Runs the next `len` operations inside a handle scope; `Handle`
    /// operations in it root nodes until it closes.
    Scope {
        /// How many of the following operations run inside.
        len: u8,
    },
    /// A handle (in the innermost open scope) to a root.
    Handle {
        /// The root.
        root: u8,
    },
    /// `rudo_gc::collect()`, then the full check.
    Collect,
    /// `rudo_gc::collect_minor()`, then the reachable check.
    CollectMinor,
    /// `rudo_gc::safepoint()`, then the reachable check.
    Safepoint,
}

/// A traced node. Its destructor records that it ran (and may allocate).
struct Node {
    id: usize,
    payload: u64,
    children: GcCell<[Option<Gc<Node>>; ARITY]>,
    /// A `Weak` to itself (`AllocCyclic`).
    this: Option<Weak<Node>>,
    allocates_in_drop: bool,
}

thread_local! {
    /// How often each node's destructor ran, by id.
    static DROPS: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

impl Drop for Node {
    fn drop(&mut self) {
        DROPS.with(|d| d.borrow_mut()[self.id] += 1);
        if self.allocates_in_drop {
            drop(Gc::new(self.payload));
        }
    }
}

// SAFETY: visits every `Gc` and `Weak` field once.
unsafe impl Trace for Node {
    fn trace(&self, visitor: &mut Visitor) {
        self.children.trace(visitor);
        self.this.trace(visitor);
    }
}

/// The model of one node.
#[derive(Clone, Debug)]
struct ModelNode {
    payload: u64,
    children: [Option<usize>; ARITY],
}

/// The executor's state: real references and the model beside them.
struct Run {
    model: Vec<ModelNode>,
    /// External roots: each a real `Gc` and its node's id.
    roots: Vec<(Gc<Node>, usize)>,
    weaks: Vec<(Weak<Node>, usize)>,
    table: RootTable<Gc<Node>>,
    tickets: Vec<(RootTicket, usize)>,
    /// Tickets unpinned already (each must stay stale).
    stale: Vec<RootTicket>,
    /// Node ids rooted by handles of the open scopes, innermost last.
    handle_roots: Vec<Vec<usize>>,
    slices: Vec<(Gc<[u64]>, Gc<str>, u8)>,
}

fn pick<T>(items: &[T], i: u8) -> Option<usize> {
    (!items.is_empty()).then(|| i as usize % items.len())
}

impl Run {
    fn new() -> Run {
        DROPS.with(|d| d.borrow_mut().clear());
        Run {
            model: Vec::new(),
            roots: Vec::new(),
            weaks: Vec::new(),
            table: RootTable::new(),
            tickets: Vec::new(),
            stale: Vec::new(),
            handle_roots: Vec::new(),
            slices: Vec::new(),
        }
    }

    fn new_node(&mut self, payload: u32, allocates_in_drop: bool, cyclic: bool) -> Gc<Node> {
        let id = self.model.len();
        self.model.push(ModelNode {
            payload: payload.into(),
            children: [None; ARITY],
        });
        DROPS.with(|d| d.borrow_mut().push(0));
        let node = |this| Node {
            id,
            payload: payload.into(),
            children: GcCell::new([None, None]),
            this,
            allocates_in_drop,
        };
        let gc = if cyclic {
            Gc::new_cyclic(|w| node(Some(w.clone())))
        } else {
            Gc::new(node(None))
        };
        self.roots.push((gc.clone(), id));
        gc
    }

    /// Ids reachable from every root the model knows.
    fn reachable(&self) -> Vec<bool> {
        let mut seen = vec![false; self.model.len()];
        let mut work: Vec<usize> = self
            .roots
            .iter()
            .map(|r| r.1)
            .chain(self.tickets.iter().map(|t| t.1))
            .chain(self.handle_roots.iter().flatten().copied())
            .collect();
        while let Some(id) = work.pop() {
            if !std::mem::replace(&mut seen[id], true) {
                work.extend(self.model[id].children.iter().flatten());
            }
        }
        seen
    }

    /// Checks that `node` and everything reachable from it match the model
    /// and were never dropped.
    fn check_subgraph(&self, node: &Gc<Node>, checked: &mut [bool]) {
        let mut work = vec![node.clone()];
        while let Some(n) = work.pop() {
            if std::mem::replace(&mut checked[n.id], true) {
                continue;
            }
            let model = &self.model[n.id];
            assert_eq!(n.payload, model.payload, "node {}: payload corrupted", n.id);
            assert_eq!(
                DROPS.with(|d| d.borrow()[n.id]),
                0,
                "node {} is alive but was dropped",
                n.id
            );
            let children = n.children.borrow();
            for (slot, child) in children.iter().enumerate() {
                assert_eq!(
                    child.as_ref().map(|c| c.id),
                    model.children[slot],
                    "node {}: child {slot} differs from the model",
                    n.id
                );
                if let Some(c) = child {
                    work.push(c.clone());
                }
            }
            if let Some(this) = &n.this {
                let me = this
                    .upgrade()
                    .expect("a live node's Weak to itself upgrades");
                assert!(Gc::ptr_eq(&me, &n));
            }
        }
    }

    /// After any collection: everything reachable is intact, nothing was
    /// dropped twice.
    fn check_reachable(&self) {
        let mut checked = vec![false; self.model.len()];
        for (gc, id) in &self.roots {
            assert_eq!(gc.id, *id);
            self.check_subgraph(gc, &mut checked);
        }
        for &(ticket, id) in &self.tickets {
            let gc = self
                .table
                .get(ticket)
                .expect("a pinned ticket names its node");
            assert_eq!(gc.id, id);
            self.check_subgraph(&gc, &mut checked);
        }
        for &ticket in &self.stale {
            assert!(
                self.table.get(ticket).is_none(),
                "an unpinned ticket stays stale"
            );
        }
        DROPS.with(|d| {
            for (id, &n) in d.borrow().iter().enumerate() {
                assert!(n <= 1, "node {id} dropped {n} times");
            }
        });
        for (ints, text, len) in &self.slices {
            assert_eq!(ints.len(), *len as usize);
            assert!(ints.iter().enumerate().all(|(i, &v)| v == i as u64 * 3));
            assert_eq!(text.len(), *len as usize);
            assert!(text.bytes().all(|b| b == b'x'));
        }
    }

    /// After a full collection: additionally, everything unreachable was
    /// dropped exactly once, and its `Weak`s are dead.
    fn check_full(&self) {
        self.check_reachable();
        let reachable = self.reachable();
        DROPS.with(|d| {
            for (id, &n) in d.borrow().iter().enumerate() {
                assert_eq!(
                    n,
                    u32::from(!reachable[id]),
                    "node {id}: reachable {}, dropped {n} times after collect()",
                    reachable[id]
                );
            }
        });
        for (weak, id) in &self.weaks {
            assert_eq!(
                weak.upgrade().is_some(),
                reachable[*id],
                "upgrade of node {id}"
            );
        }
    }

    /// Runs `ops`, with `scope` the innermost open handle scope.
    fn exec(
        &mut self,
        ops: &mut std::slice::Iter<'_, Op>,
        budget: usize,
        scope: Option<&handles::HandleScope<'_>>,
        depth: u8,
    ) {
        let mut handles = Vec::new();
        for _ in 0..budget {
            let Some(op) = ops.next() else { break };
            match *op {
                Op::Alloc {
                    payload,
                    allocates_in_drop,
                } => {
                    self.new_node(payload, allocates_in_drop, false);
                }
                Op::AllocCyclic { payload } => {
                    self.new_node(payload, false, true);
                }
                Op::Link { from, to, slot } => {
                    if let (Some(f), Some(t)) = (pick(&self.roots, from), pick(&self.roots, to)) {
                        let slot = slot as usize % ARITY;
                        let target = self.roots[t].clone();
                        self.roots[f].0.children.borrow_mut()[slot] = Some(target.0);
                        let from_id = self.roots[f].1;
                        self.model[from_id].children[slot] = Some(target.1);
                    }
                }
                Op::Unlink { from, slot } => {
                    if let Some(f) = pick(&self.roots, from) {
                        let slot = slot as usize % ARITY;
                        let old = self.roots[f].0.children.borrow_mut()[slot].take();
                        drop(old);
                        let from_id = self.roots[f].1;
                        self.model[from_id].children[slot] = None;
                    }
                }
                Op::Follow { of, slot } => {
                    if let Some(r) = pick(&self.roots, of) {
                        let child =
                            self.roots[r].0.children.borrow()[slot as usize % ARITY].clone();
                        if let Some(c) = child {
                            let id = c.id;
                            self.roots.push((c, id));
                        }
                    }
                }
                Op::Clone { root } => {
                    if let Some(r) = pick(&self.roots, root) {
                        let clone = self.roots[r].clone();
                        self.roots.push(clone);
                    }
                }
                Op::Drop { root } => {
                    if let Some(r) = pick(&self.roots, root) {
                        drop(self.roots.swap_remove(r));
                    }
                }
                Op::Downgrade { root } => {
                    if let Some(r) = pick(&self.roots, root) {
                        let (gc, id) = &self.roots[r];
                        self.weaks.push((Gc::downgrade(gc), *id));
                    }
                }
                Op::Upgrade { weak } => {
                    if let Some(w) = pick(&self.weaks, weak) {
                        let id = self.weaks[w].1;
                        let dropped = DROPS.with(|d| d.borrow()[id]) > 0;
                        let reachable = self.reachable()[id];
                        match self.weaks[w].0.upgrade() {
                            Some(gc) => {
                                assert!(!dropped, "upgrade of node {id} after its destructor ran");
                                // Alive (perhaps unreachable but not yet
                                // collected): its whole subgraph must be.
                                let mut checked = vec![false; self.model.len()];
                                self.check_subgraph(&gc, &mut checked);
                                self.roots.push((gc, id));
                            }
                            None => assert!(!reachable, "upgrade of reachable node {id} failed"),
                        }
                    }
                }
                Op::DropWeak { weak } => {
                    if let Some(w) = pick(&self.weaks, weak) {
                        self.weaks.swap_remove(w);
                    }
                }
                Op::Pin { root } => {
                    if let Some(r) = pick(&self.roots, root) {
                        let (gc, id) = self.roots[r].clone();
                        self.tickets.push((self.table.pin(gc), id));
                    }
                }
                Op::Unpin { ticket } => {
                    if let Some(t) = pick(&self.tickets, ticket) {
                        let (ticket, id) = self.tickets.swap_remove(t);
                        let gc = self.table.unpin(ticket).expect("a pinned ticket unpins");
                        assert_eq!(gc.id, id);
                        assert!(self.table.unpin(ticket).is_err(), "a second unpin is stale");
                        self.stale.push(ticket);
                    }
                }
                Op::Slices { len } => {
                    let ints: Gc<[u64]> = (0..u64::from(len)).map(|i| i * 3).collect();
                    let text: Gc<str> = Gc::from("x".repeat(len as usize).as_str());
                    self.slices.push((ints, text, len));
                    if self.slices.len() > 8 {
                        self.slices.remove(0);
                    }
                }
                Op::Scope { len } => {
                    if depth < MAX_SCOPE_DEPTH {
                        self.handle_roots.push(Vec::new());
                        handles::scope(|inner| {
                            self.exec(ops, len as usize, Some(inner), depth + 1)
                        });
                        self.handle_roots.pop();
                    }
                }
                Op::Handle { root } => {
                    if let (Some(scope), Some(r)) = (scope, pick(&self.roots, root)) {
                        let (gc, id) = &self.roots[r];
                        handles.push(scope.handle(gc));
                        self.handle_roots
                            .last_mut()
                            .expect("inside a scope")
                            .push(*id);
                    }
                }
                Op::Collect => {
                    rudo_gc::collect();
                    self.check_full();
                }
                Op::CollectMinor => {
                    rudo_gc::collect_minor();
                    self.check_reachable();
                }
                Op::Safepoint => {
                    rudo_gc::safepoint();
                    self.check_reachable();
                }
            }
        }
        // Handles die with the scope; their ids leave the model's roots
        // when the caller pops them.
        for (h, &id) in handles
            .iter()
            .zip(self.handle_roots.last().into_iter().flatten())
        {
            assert_eq!(h.id, id, "a handle names the node it was made of");
        }
    }
}

/// Decodes a program from raw bytes: operations one after another until the
/// bytes run out (every input is a program).
pub fn decode(data: &[u8]) -> Vec<Op> {
    let mut u = arbitrary::Unstructured::new(data);
    let mut ops = Vec::new();
    while !u.is_empty() {
        match Op::arbitrary(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    ops
}

/// Runs `ops` against the collector and the model; panics on any
/// disagreement. Ends with everything dropped and a final full check.
pub fn run(ops: &[Op]) {
    let mut run = Run::new();
    let mut iter = ops.iter();
    while iter.len() > 0 {
        run.exec(&mut iter, usize::MAX, None, 0);
    }
    rudo_gc::collect();
    run.check_full();
    // Everything goes: every node must be dropped exactly once.
    run.roots.clear();
    run.tickets.clear();
    run.table.unpin_all();
    rudo_gc::collect();
    run.check_full();
    DROPS.with(|d| {
        assert!(
            d.borrow().iter().all(|&n| n == 1),
            "every node dropped once at the end"
        )
    });
}
