// Loads a .heapsnapshot written by rudo-gc into `v8-heapsnapshot` (a
// published parser of V8's format) and checks it against what the program
// says it wrote (`<snapshot>.expected.json`): node and edge counts, and the
// retainer path of the leaked object, up to the root.
//
// node check.js <snapshot>
'use strict';
const fs = require('fs');
const { parseSnapshot } = require('v8-heapsnapshot');

function fail(message) {
  console.error(`heapsnapshot check FAILED: ${message}`);
  process.exit(1);
}

async function main() {
  const file = process.argv[2];
  const expected = JSON.parse(fs.readFileSync(`${file}.expected.json`, 'utf8'));
  const snapshot = await parseSnapshot(fs.readFileSync(file, 'utf8'));
  const synthetic = snapshot.nodes.filter((n) => n.type === 'synthetic');
  const objects = snapshot.nodes.filter((n) => n.type === 'object');
  if (synthetic.length !== 4) fail(`4 synthetic nodes expected, got ${synthetic.length}`);
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
  // Every leaked object's first strong retainer chain leads to the root
  // along the expected path.
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
  console.log(
    `heapsnapshot check: ${snapshot.nodes.length} nodes, ${snapshot.edges.length} edges; ` +
      `${leaked.length} ${expected.leaked} retained by ${expected.path.join(' <- ')}`,
  );
}

main().catch((e) => fail(e.stack || String(e)));
