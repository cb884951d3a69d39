// CI: the Nx project graph (package.json dependencies and source imports) has
// no cycle. Prints the graph's size, or each cycle found and exits 1.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const dir = mkdtempSync(path.join(tmpdir(), 'voc-graph-'));
const file = path.join(dir, 'graph.json');
try {
  execFileSync('npx', ['nx', 'graph', `--file=${file}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  const { nodes, dependencies } = JSON.parse(readFileSync(file, 'utf8')).graph;
  const edges = (p) => (dependencies[p] ?? []).map((d) => d.target).filter((t) => t in nodes);
  const cycles = [];
  const state = new Map(); // undefined: unseen, 1: on the stack, 2: done
  const stack = [];
  const visit = (p) => {
    state.set(p, 1);
    stack.push(p);
    for (const t of edges(p)) {
      if (state.get(t) === 1) cycles.push([...stack.slice(stack.indexOf(t)), t].join(' -> '));
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(p, 2);
  };
  for (const p of Object.keys(nodes)) if (!state.has(p)) visit(p);
  const count = Object.values(dependencies).reduce((n, ds) => n + ds.length, 0);
  if (cycles.length) {
    console.error(`project graph: ${cycles.length} cycle(s):\n  ${cycles.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`project graph: ${Object.keys(nodes).length} projects, ${count} dependencies, no cycle`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
