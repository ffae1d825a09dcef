//! `heap::write_snapshot`: a known graph comes out as a valid
//! `.heapsnapshot` with exactly its objects and edges, every object reached
//! from the root through the category that holds it, and the retainer path
//! of a leaf leading back to its owner. One test in this binary, so the heap
//! holds only what it builds.

use std::sync::atomic::AtomicUsize;

use rudo_gc::roots::{ConservativeRegion, MutatorSection, RootTable};
use rudo_gc::{Gc, GcCell, Trace, Weak, handles, heap};
use serde_json::Value;

#[derive(Trace)]
struct Registry {
    sessions: GcCell<Vec<Gc<Session>>>,
}

#[derive(Trace)]
struct Session {
    cache: GcCell<Vec<Gc<Entry>>>,
}

#[derive(Trace)]
struct Entry {
    owner: Weak<Session>,
    #[gc(skip)]
    _payload: [u64; 4],
}

struct Parsed {
    /// Per node: type, name, id, self size, edge count.
    nodes: Vec<(String, String, u64, u64, usize)>,
    /// `(from, type, name_or_index, to)`, node indices.
    edges: Vec<(usize, String, Value, usize)>,
}

fn parse(json: &[u8]) -> Parsed {
    let v: Value = serde_json::from_slice(json).expect("valid JSON");
    let meta = &v["snapshot"]["meta"];
    let node_types = meta["node_types"][0].as_array().unwrap();
    let edge_types = meta["edge_types"][0].as_array().unwrap();
    let strings = v["strings"].as_array().unwrap();
    let nf = meta["node_fields"].as_array().unwrap().len();
    assert_eq!(nf, 7);
    let raw_nodes = v["nodes"].as_array().unwrap();
    let raw_edges = v["edges"].as_array().unwrap();
    assert_eq!(
        raw_nodes.len(),
        nf * v["snapshot"]["node_count"].as_u64().unwrap() as usize
    );
    assert_eq!(
        raw_edges.len(),
        3 * v["snapshot"]["edge_count"].as_u64().unwrap() as usize
    );
    let n = |i: usize| raw_nodes[i].as_u64().unwrap();
    let nodes: Vec<_> = (0..raw_nodes.len() / nf)
        .map(|i| {
            let b = i * nf;
            (
                node_types[n(b) as usize].as_str().unwrap().to_owned(),
                strings[n(b + 1) as usize].as_str().unwrap().to_owned(),
                n(b + 2),
                n(b + 3),
                n(b + 4) as usize,
            )
        })
        .collect();
    let mut edges = Vec::new();
    let mut e = 0;
    for (from, node) in nodes.iter().enumerate() {
        for _ in 0..node.4 {
            let kind = edge_types[raw_edges[e].as_u64().unwrap() as usize]
                .as_str()
                .unwrap();
            let name = raw_edges[e + 1].clone();
            let to = raw_edges[e + 2].as_u64().unwrap() as usize;
            assert_eq!(to % nf, 0, "to_node is a node's first field");
            edges.push((from, kind.to_owned(), name, to / nf));
            e += 3;
        }
    }
    assert_eq!(e, raw_edges.len(), "edge counts add up");
    Parsed { nodes, edges }
}

fn name<T>() -> String {
    core::any::type_name::<T>().to_owned()
}

#[test]
fn a_snapshot_holds_exactly_the_graph_with_its_roots_and_retainers() {
    // The graph: a registry holding three sessions of two entries each,
    // entries pointing back weakly; one object held only by a handle, one
    // only by a root table, one named by a conservative region (and a `Gc`
    // beside it).
    let registry = Gc::new(Registry {
        sessions: GcCell::new(Vec::new()),
    });
    for _ in 0..3 {
        let session = Gc::new(Session {
            cache: GcCell::new(Vec::new()),
        });
        for _ in 0..2 {
            let entry = Gc::new(Entry {
                owner: Gc::downgrade(&session),
                _payload: [0; 4],
            });
            session.cache.borrow_mut().push(entry);
        }
        registry.sessions.borrow_mut().push(session);
    }
    let section = MutatorSection::enter();
    let in_region = Gc::new(7_u16);
    let words = [AtomicUsize::new(Gc::as_ptr(&in_region) as usize)];
    let region = ConservativeRegion::register(&section, &words);
    let table = RootTable::new();
    let ticket = table.pin(Gc::new(9_u64)); // held only by the table

    let json = handles::scope(|scope| {
        let _handle = scope.handle(&Gc::new(5_u32)); // the `Gc` is dropped; the handle holds it
        let mut json = Vec::new();
        let summary = heap::write_snapshot(&mut json).expect("writes to a Vec");
        assert_eq!(summary.objects, 1 + 3 + 6 + 1 + 1 + 1);
        assert_eq!(summary.edges, 3 + 6 + 6);
        json
    });
    drop(region);
    drop(section);

    let p = parse(&json);
    assert_eq!(p.nodes.len(), 5 + 13);
    let count = |ty: &str| p.nodes.iter().filter(|n| n.1 == ty).count();
    assert_eq!(count(&name::<Registry>()), 1);
    assert_eq!(count(&name::<Session>()), 3);
    assert_eq!(count(&name::<Entry>()), 6);
    // Ids are unique and odd.
    let mut ids: Vec<u64> = p.nodes.iter().map(|n| n.2).collect();
    assert!(ids.iter().all(|id| id % 2 == 1));
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), p.nodes.len());
    // Objects have their slot sizes; synthetic nodes none.
    assert!(p.nodes[5..].iter().all(|n| n.0 == "object" && n.3 >= 16));
    assert!(p.nodes[..5].iter().all(|n| n.0 == "synthetic" && n.3 == 0));
    assert_eq!(p.nodes[0].1, "(rudo-gc roots)");

    let held_by = |category: &str| -> Vec<String> {
        let c = p.nodes.iter().position(|n| n.1 == category).unwrap();
        let mut names: Vec<String> = p
            .edges
            .iter()
            .filter(|e| e.0 == c)
            .map(|e| p.nodes[e.3].1.clone())
            .collect();
        names.sort();
        names
    };
    assert_eq!(held_by("(handle slots)"), ["u32"]);
    assert_eq!(held_by("(root tables)"), ["u64"]);
    assert_eq!(held_by("(conservative regions)"), ["u16"]);
    let mut external = vec![name::<Registry>(), "u16".to_owned()];
    external.sort();
    assert_eq!(held_by("(external references)"), external);
    // Weak edges: six, each from an entry to a session.
    let weak: Vec<_> = p.edges.iter().filter(|e| e.1 == "weak").collect();
    assert_eq!(weak.len(), 6);
    assert!(
        weak.iter()
            .all(|e| p.nodes[e.0].1 == name::<Entry>() && p.nodes[e.3].1 == name::<Session>())
    );
    // The retainer path of an entry: session, registry, external
    // references, the root.
    let retainer = |node: usize| -> usize {
        p.edges
            .iter()
            .find(|e| e.3 == node && e.1 == "element")
            .map(|e| e.0)
            .expect("a strong retainer")
    };
    let entry = p.nodes.iter().position(|n| n.1 == name::<Entry>()).unwrap();
    let path: Vec<String> = std::iter::successors(Some(entry), |&n| (n != 0).then(|| retainer(n)))
        .map(|n| p.nodes[n].1.clone())
        .collect();
    assert_eq!(
        path,
        [
            name::<Entry>(),
            name::<Session>(),
            name::<Registry>(),
            "(external references)".to_owned(),
            "(rudo-gc roots)".to_owned(),
        ]
    );
    drop((registry, in_region));
    assert_eq!(table.unpin(ticket).map(|v| *v), Ok(9));
}
