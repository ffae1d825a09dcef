// Loads a .heapsnapshot written by rudo-gc into two published parsers and
// checks it against what the program says it wrote
// (`<snapshot>.expected.json`):
//
// - `v8-heapsnapshot`: node and edge counts, unique ids, and the retainer
//   path of every leaked object up to the root;
// - `heap-snapshot-toolkit`, which runs Chrome DevTools' own heap-snapshot
//   code (devtools-frontend): the Summary view's rows (one per type, with
//   counts, sizes and distances from the root) and the Retainers view of a
//   leaked object, as the Memory tab would show them.
//
// node check.mjs <snapshot>
import { createReadStream, readFileSync } from 'node:fs';
import v8hs from 'v8-heapsnapshot';
import { parse, DevToolsAPI } from 'heap-snapshot-toolkit';

function fail(message) {
  console.error(`heapsnapshot check FAILED: ${message}`);
  process.exit(1);
}

const file = process.argv[2];
const expected = JSON.parse(readFileSync(`${file}.expected.json`, 'utf8'));

// --- v8-heapsnapshot ---
const snapshot = await v8hs.parseSnapshot(readFileSync(file, 'utf8'));
const synthetic = snapshot.nodes.filter((n) => n.type === 'synthetic');
const objects = snapshot.nodes.filter((n) => n.type === 'object');
if (synthetic.length !== 5) fail(`5 synthetic nodes expected, got ${synthetic.length}`);
if (objects.length !== expected.objects) {
  fail(`${expected.objects} objects expected, got ${objects.length}`);
}
const objectEdges = snapshot.edges.filter((e) => e.from.type === 'object');
if (objectEdges.length !== expected.edges) {
  fail(`${expected.edges} edges between objects expected, got ${objectEdges.length}`);
}
if (snapshot.nodes[0].name !== '(rudo-gc roots)') fail('node 0 is not the root');
const leaked = objects.filter((n) => n.name === expected.leaked);
if (leaked.length === 0) fail(`no ${expected.leaked} in the snapshot`);
for (const node of leaked) {
  const path = [];
  let at = node;
  while (at !== snapshot.nodes[0]) {
    const retainer = at.in_edges.find((e) => e.type === 'element');
    if (!retainer) fail(`${at} has no strong retainer`);
    at = retainer.from;
    path.push(at.name);
    if (path.length > 16) fail(`no way to the root from ${node}`);
  }
  if (JSON.stringify(path) !== JSON.stringify(expected.path)) {
    fail(`retainer path of ${node}: ${JSON.stringify(path)}, expected ${JSON.stringify(expected.path)}`);
  }
}
const ids = new Set(snapshot.nodes.map((n) => n.id));
if (ids.size !== snapshot.nodes.length) fail('node ids are not unique');
if (snapshot.findNodeById(leaked[0].id) !== leaked[0]) fail('findNodeById disagrees');

// --- DevTools' own code ---
const devtools = await parse(createReadStream(file, 'utf-8'));
const summary = Object.values(
  devtools.aggregatesWithFilter(new DevToolsAPI.HeapSnapshotModel.NodeFilter()),
);
const row = summary.find((a) => a.name === expected.leaked);
if (!row) fail(`DevTools' Summary has no row for ${expected.leaked}`);
if (row.count !== leaked.length) fail(`DevTools counts ${row.count} ${expected.leaked}, not ${leaked.length}`);
const total = summary.reduce((n, a) => n + a.count, 0);
if (total !== expected.objects) fail(`DevTools' Summary holds ${total} objects, not ${expected.objects}`);
for (const a of summary) {
  if (!(a.distance > 0 && a.distance < 1e8)) fail(`DevTools finds ${a.name} unreachable (distance ${a.distance})`);
}
// The Retainers view of one leaked object, step by step towards the root
// (the view stops below the root node itself, which it does not list).
const path = [];
let idx = row.idxs[0];
for (;;) {
  const items = devtools.createRetainingEdgesProvider(idx).serializeItemsRange(0, 1).items;
  if (items.length === 0 || path.length > 16) break;
  path.push(items[0].node.name);
  idx = items[0].node.nodeIndex;
}
const shown = expected.path.slice(0, -1);
if (JSON.stringify(path) !== JSON.stringify(shown)) {
  fail(`DevTools' Retainers view: ${JSON.stringify(path)}, expected ${JSON.stringify(shown)}`);
}

console.log(
  `heapsnapshot check: ${snapshot.nodes.length} nodes, ${snapshot.edges.length} edges; ` +
    `${leaked.length} ${expected.leaked} retained by ${expected.path.join(' <- ')} ` +
    `(v8-heapsnapshot and DevTools' Summary and Retainers views agree)`,
);
