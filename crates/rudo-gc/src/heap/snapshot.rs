//! `heap::write_snapshot`: the whole heap as a Chrome DevTools
//! `.heapsnapshot`, which the Memory tab of Chrome DevTools (and any V8
//! heap-snapshot parser) opens.
//!
//! The graph is captured with the world stopped, like a collection: every
//! object not found dead yet on every thread's pages and the orphans, its
//! edges from `Trace` (a `Trace` impl runs exactly as in a collection, so
//! heap use there panics as it does there), and what holds it from outside
//! the heap. The JSON is written after the world is released, from the
//! captured copy: the writer is the caller's code and may block.
//!
//! What is in it: see [`write_snapshot`].

use core::ptr::NonNull;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, Write};
use std::time::{Duration, Instant};

use super::walk;
use crate::gc::collector::{StoppedHeap, with_world_stopped};
use crate::gc::phases::{self, RootKind};
use crate::ptr::header::GcHeader;
use crate::trace::Visitor;

/// Object addresses to node indices. Addresses are distinct and 8-aligned,
/// so a multiplicative hash is as good as SipHash here and several times
/// faster (the map is built and probed with the world stopped).
type AddrMap = HashMap<usize, u32, BuildHasherDefault<AddrHasher>>;

/// Fibonacci hashing of an address.
#[derive(Default)]
struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_usize(&mut self, addr: usize) {
        // Objects are 8-aligned: the low 3 bits carry nothing.
        self.0 = ((addr as u64) >> 3).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// One object, as captured.
struct Object {
    /// Its header, with the page's provenance. Only dereferenced while the
    /// world is stopped (`capture`).
    ptr: NonNull<u8>,
    type_name: &'static str,
    size: usize,
    strong: u32,
}

/// The captured heap graph.
#[derive(Default)]
struct Graph {
    objects: Vec<Object>,
    /// Every edge, `(target index, weak)`, grouped by source in object
    /// order: object `i`'s are `edges[edge_start[i]..edge_start[i + 1]]`.
    edges: Vec<(u32, bool)>,
    edge_start: Vec<usize>,
    handle_roots: Vec<u32>,
    region_roots: Vec<u32>,
    /// One entry per pinned `Gc` (an object pinned twice is here twice).
    table_roots: Vec<u32>,
}

/// What [`write_snapshot`] wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SnapshotSummary {
    /// Objects (nodes besides the five synthetic ones).
    pub objects: usize,
    /// Edges between objects (`Gc` and `Weak` fields), not counting root
    /// edges.
    pub edges: usize,
    /// Objects held by handle slots, root tables, conservative regions and
    /// external references (an object may be in more than one).
    pub roots: usize,
    /// How long the world was stopped to capture the graph (writing the
    /// JSON came after).
    pub pause: Duration,
}

/// Writes the whole heap to `out` as a Chrome DevTools `.heapsnapshot`:
/// open it in the Memory tab of Chrome DevTools (Load profile) to see what
/// the heap holds and what keeps an object alive. The graph is taken with
/// the world stopped, a pause of a few full collections (about 0.2 s for a
/// million objects; `SnapshotSummary::pause` says); the JSON is written
/// afterwards. Returns what was written.
///
/// What is in it:
///
/// - node 0, `(rudo-gc roots)`, synthetic, with an edge to each root
///   category: `(handle slots)`, `(root tables)` (a `Gc` pinned in a
///   `RootTable`, or in a value pinned there), `(conservative regions)` and
///   `(external references)` (objects with more strong references than the
///   heap and the root tables account for: a `Gc` in a variable, a task,
///   an `AsyncHandleScope`, ...). Each category has an edge to every object
///   it holds;
/// - one node per object: type `object`, name the value's type name, id
///   derived from its address (stable across snapshots while the object
///   lives, so DevTools' comparison view matches objects), self size its
///   slot;
/// - one edge per `Gc` a value owns (`element`, numbered in `Trace` order)
///   and per `Weak` (`weak`).
///
/// A `GcCell` that is mutably borrowed while the snapshot is taken is not
/// traced (as in a collection), so its edges are missing from that
/// snapshot; a root table shard that another thread is using at that moment
/// is skipped, and what it holds shows as external references.
///
/// Returns an empty snapshot (only the root nodes) when called from
/// `Trace::trace`.
///
/// # Errors
///
/// Any error of `out`.
///
/// # Panics
///
/// Resumes a panic of a `Trace` impl (after releasing the world), as a
/// collection would.
///
/// # Examples
///
/// ```
/// use rudo_gc::{Gc, GcCell, heap};
///
/// let list = Gc::new(GcCell::new(vec![Gc::new(1_u32), Gc::new(2_u32)]));
/// let mut json = Vec::new();
/// let summary = heap::write_snapshot(&mut json).unwrap();
/// assert!(summary.objects >= 3 && summary.edges >= 2);
/// assert!(String::from_utf8(json).unwrap().starts_with("{\"snapshot\":"));
/// # drop(list);
/// ```
pub fn write_snapshot(out: impl Write) -> io::Result<SnapshotSummary> {
    let (graph, pause) = with_world_stopped(|world| {
        let started = Instant::now();
        let graph = capture(world);
        (graph, started.elapsed())
    })
    .unwrap_or_default();
    let mut summary = write_json(&graph, out)?;
    summary.pause = pause;
    Ok(summary)
}

/// Captures the graph. The world is stopped.
fn capture(world: &StoppedHeap<'_>) -> Graph {
    let mut graph = Graph::default();
    let mut index = AddrMap::default();
    for page in walk::all_pages(world) {
        walk::for_each_live(page, |object, header| {
            index.insert(object.as_ptr().addr(), graph.objects.len() as u32);
            graph.objects.push(Object {
                ptr: object,
                type_name: (header.vtable().type_name)(),
                size: page.slot_size(),
                strong: header.strong(),
            });
        });
    }
    // Edges, from each object's `Trace`.
    let mut found: Vec<NonNull<GcHeader>> = Vec::new();
    graph.edge_start.reserve(graph.objects.len() + 1);
    for object in &graph.objects {
        graph.edge_start.push(graph.edges.len());
        let ptr = object.ptr.cast::<GcHeader>();
        // SAFETY: a live object (captured above, world still stopped).
        let header = unsafe { GcHeader::from_ptr(ptr.cast()) };
        if let Some(trace) = header.vtable().trace {
            {
                // SAFETY: `found` outlives the visitor and is not used
                // while it is.
                let mut visitor = unsafe { Visitor::edges(&mut found) };
                // SAFETY: a live object of this vtable's type, in a slot of
                // `size` bytes.
                unsafe { trace(ptr, object.size, &mut visitor) };
            }
            for target in found.drain(..) {
                let addr = target.as_ptr().addr();
                if let Some(&t) = index.get(&(addr & !1)) {
                    graph.edges.push((t, addr & 1 == 1));
                }
            }
        }
    }
    graph.edge_start.push(graph.edges.len());
    // Handle slots and conservative regions, as the mark pass finds them.
    // SAFETY: the world is stopped, the collection lock held and the areas
    // locked (`with_world_stopped`).
    unsafe {
        phases::for_each_root(world.areas, world.mutators, |object, kind| {
            if let Some(&t) = index.get(&object.as_ptr().addr()) {
                match kind {
                    RootKind::Handle => graph.handle_roots.push(t),
                    RootKind::Region => graph.region_roots.push(t),
                }
            }
        })
    };
    // Root tables: what their values hold. A shard whose lock is held
    // right now is skipped (the world is stopped: waiting could wait for a
    // thread that waits for the world); its values count as external.
    {
        // SAFETY: `found` is empty, outlives the visitor and is not used
        // while it is.
        let mut visitor = unsafe { Visitor::edges(&mut found) };
        // SAFETY: the world is stopped.
        unsafe { crate::roots::registry::trace_all(&mut visitor) };
    }
    for target in found.drain(..) {
        let addr = target.as_ptr().addr();
        if addr & 1 == 0
            && let Some(&t) = index.get(&addr)
        {
            graph.table_roots.push(t);
        }
    }
    graph.handle_roots.sort_unstable();
    graph.handle_roots.dedup();
    graph.region_roots.sort_unstable();
    graph.region_roots.dedup();
    graph
}

/// Root categories: handle slots, root tables, conservative regions,
/// external references.
const CATEGORIES: usize = 4;
/// Synthetic nodes before the objects: the root and its categories.
const SYNTHETIC: usize = 1 + CATEGORIES;
/// Fields per node (`type, name, id, self_size, edge_count, trace_node_id,
/// detachedness`).
const NODE_FIELDS: usize = 7;
/// Node type indices (`meta.node_types[0]`).
const NODE_OBJECT: usize = 3;
const NODE_SYNTHETIC: usize = 9;
/// Edge type indices (`meta.edge_types[0]`).
const EDGE_ELEMENT: usize = 1;
const EDGE_WEAK: usize = 6;

const META: &str = r#"{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic","concatenated string","sliced string","symbol","bigint","object shape"],"string","number","number","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"],"trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],"trace_node_fields":["id","function_info_index","count","size","children"],"sample_fields":["timestamp_us","last_assigned_id"],"location_fields":["object_index","script_id","line","column"]}"#;

/// The string table.
#[derive(Default)]
struct Strings<'a> {
    list: Vec<&'a str>,
    index: HashMap<&'a str, usize>,
}

impl<'a> Strings<'a> {
    fn get(&mut self, s: &'a str) -> usize {
        *self.index.entry(s).or_insert_with(|| {
            self.list.push(s);
            self.list.len() - 1
        })
    }
}

fn write_json(graph: &Graph, out: impl Write) -> io::Result<SnapshotSummary> {
    let mut out = io::BufWriter::new(out);
    let mut strings = Strings::default();
    strings.get("");
    let weak_name = strings.get("weak");
    // Strong references from inside the heap and from root tables per
    // object: the rest are from elsewhere outside.
    let mut internal = vec![0_u32; graph.objects.len()];
    for &(t, weak) in &graph.edges {
        if !weak {
            internal[t as usize] += 1;
        }
    }
    for &t in &graph.table_roots {
        internal[t as usize] += 1;
    }
    let mut tables = graph.table_roots.clone();
    tables.sort_unstable();
    tables.dedup();
    let external: Vec<u32> = (0..graph.objects.len() as u32)
        .filter(|&i| graph.objects[i as usize].strong > internal[i as usize])
        .collect();
    let categories: [(&str, &[u32]); CATEGORIES] = [
        ("(handle slots)", &graph.handle_roots),
        ("(root tables)", &tables),
        ("(conservative regions)", &graph.region_roots),
        ("(external references)", &external),
    ];
    let node_count = SYNTHETIC + graph.objects.len();
    let object_edges = graph.edges.len();
    let root_edges: usize = categories.iter().map(|c| c.1.len()).sum();
    let edge_count = CATEGORIES + root_edges + object_edges;

    write!(
        out,
        "{{\"snapshot\":{{\"meta\":{META},\"node_count\":{node_count},\"edge_count\":{edge_count},\"trace_function_count\":0}},\n\"nodes\":["
    )?;
    let mut first = true;
    let mut node = |out: &mut io::BufWriter<_>, fields: [usize; NODE_FIELDS]| -> io::Result<()> {
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        let [a, b, c, d, e, f, g] = fields;
        writeln!(out, "{a},{b},{c},{d},{e},{f},{g}")
    };
    let root_name = strings.get("(rudo-gc roots)");
    node(
        &mut out,
        [NODE_SYNTHETIC, root_name, 1, 0, CATEGORIES, 0, 0],
    )?;
    for (i, (name, members)) in categories.iter().enumerate() {
        let name = strings.get(name);
        node(
            &mut out,
            [NODE_SYNTHETIC, name, 3 + 2 * i, 0, members.len(), 0, 0],
        )?;
    }
    for (i, object) in graph.objects.iter().enumerate() {
        let edges = graph.edge_start[i + 1] - graph.edge_start[i];
        let name = strings.get(object.type_name);
        // Slots are 8-aligned (`heap::size_class::SMALL_ALIGN`): `addr / 4`
        // is even, so the id is odd (as V8's object ids are), unique, and
        // above the synthetic nodes' 1, 3, 5, 7, 9.
        let id = object.ptr.as_ptr().addr() / 4 + 1;
        node(&mut out, [NODE_OBJECT, name, id, object.size, edges, 0, 0])?;
    }
    out.write_all(b"],\n\"edges\":[")?;
    let mut first = true;
    let mut edge = |out: &mut io::BufWriter<_>, kind: usize, name: usize, to: usize| {
        let sep = if first { "" } else { "," };
        first = false;
        writeln!(out, "{sep}{kind},{name},{}", to * NODE_FIELDS)
    };
    for i in 0..CATEGORIES {
        edge(&mut out, EDGE_ELEMENT, i, 1 + i)?;
    }
    for (_, members) in &categories {
        for (k, &t) in members.iter().enumerate() {
            edge(&mut out, EDGE_ELEMENT, k, SYNTHETIC + t as usize)?;
        }
    }
    for i in 0..graph.objects.len() {
        let mut element = 0;
        for &(t, weak) in &graph.edges[graph.edge_start[i]..graph.edge_start[i + 1]] {
            if weak {
                edge(&mut out, EDGE_WEAK, weak_name, SYNTHETIC + t as usize)?;
            } else {
                edge(&mut out, EDGE_ELEMENT, element, SYNTHETIC + t as usize)?;
                element += 1;
            }
        }
    }
    out.write_all(b"],\n\"trace_function_infos\":[],\"trace_tree\":[],\"samples\":[],\"locations\":[],\n\"strings\":[")?;
    for (i, s) in strings.list.iter().enumerate() {
        if i > 0 {
            out.write_all(b",\n")?;
        }
        write_json_string(&mut out, s)?;
    }
    out.write_all(b"]}\n")?;
    out.flush()?;
    Ok(SnapshotSummary {
        objects: graph.objects.len(),
        edges: object_edges,
        roots: root_edges,
        pause: Duration::ZERO,
    })
}

/// Writes `s` as a JSON string literal.
fn write_json_string(out: &mut impl Write, s: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    for c in s.chars() {
        match c {
            '"' => out.write_all(b"\\\"")?,
            '\\' => out.write_all(b"\\\\")?,
            '\n' => out.write_all(b"\\n")?,
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32)?,
            c => write!(out, "{c}")?,
        }
    }
    out.write_all(b"\"")
}
