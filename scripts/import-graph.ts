// Measures the shape of src/: files and lines, functions over a length, import cycles (type-only
// imports included: they still couple modules), and imports that run back up the layering of
// docs/architecture.md. Run: `npx tsx scripts/import-graph.ts [--list]`. The numbers go into
// closing notes, so that a refactor's before/after is measured, not guessed.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..');
const list = process.argv.includes('--list');

/** Layer of each folder, top first; an import from a lower layer to a higher one runs back up. */
const LAYERS: readonly (readonly string[])[] = [
  ['cli'],
  ['mcp'],
  ['api'],
  ['compose'],
  ['executor', 'serving', 'report', 'sample'],
  ['observe'],
  ['trainer', 'store', 'artifacts', 'git', 'github', 'prediction-log'],
  ['planner', 'rollout'],
  ['compiler', 'state', 'source'],
  ['schema', 'diagnostics', 'util'],
];

/**
 * Files whose layer is not their folder's: pure contracts that the pure core reads (the
 * observations are the planner's input; the prediction-log records and the quality metrics are
 * what rollout analysis computes on). They import nothing above the pure core (dependency-cruiser
 * checks that), so they sit with it.
 */
const FILE_LAYERS: Record<string, string> = {
  'src/observe/observations.ts': 'planner',
  'src/prediction-log/port.ts': 'planner',
  'src/trainer/evaluation/metrics.ts': 'planner',
};

function layerOf(file: string): number {
  const rel = relative('src', file);
  const pinned = FILE_LAYERS[file];
  if (pinned) return LAYERS.findIndex((l) => l.includes(pinned));
  const top = rel.includes('/') ? rel.split('/')[0]! : 'api';
  const i = LAYERS.findIndex((l) => l.includes(top));
  return i === -1 ? LAYERS.length : i;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

const files = walk(join(root, 'src')).map((f) => relative(root, f));
const handWritten = files.filter((f) => !f.endsWith('.generated.ts'));
const lines = handWritten.reduce((n, f) => n + readFileSync(join(root, f), 'utf8').split('\n').length, 0);

function longFunctions(min: number): [number, string][] {
  const out: [number, string][] = [];
  for (const f of handWritten) {
    const sf = ts.createSourceFile(f, readFileSync(join(root, f), 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (
        ts.isFunctionDeclaration(node) ||
        ts.isMethodDeclaration(node) ||
        ts.isArrowFunction(node) ||
        ts.isFunctionExpression(node)
      ) {
        const s = sf.getLineAndCharacterOfPosition(node.getStart()).line;
        const e = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
        if (e - s + 1 > min) out.push([e - s + 1, `${f}:${s + 1}`]);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out.sort((a, b) => b[0] - a[0]);
}

interface CruiseModule {
  source: string;
  dependencies: { resolved: string; coreModule?: boolean; couldNotResolve?: boolean }[];
}
const cruise = JSON.parse(
  execFileSync(
    join(root, 'node_modules/.bin/depcruise'),
    ['src', '--config', '.dependency-cruiser.cjs', '--ts-pre-compilation-deps', '--output-type', 'json'],
    { cwd: root, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
  ),
) as { modules: CruiseModule[] };

const graph = new Map<string, string[]>();
for (const m of cruise.modules)
  if (m.source.startsWith('src/'))
    graph.set(
      m.source,
      m.dependencies.filter((d) => d.resolved.startsWith('src/')).map((d) => d.resolved),
    );

const upward: string[] = [];
for (const [from, tos] of graph)
  for (const to of tos) if (layerOf(to) < layerOf(from)) upward.push(`${from} → ${to}`);

// Strongly connected components (Tarjan): each one with more than one file is a cycle.
const cycles: string[][] = [];
{
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1) cycles.push(c);
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) strong(v);
}

const long = longFunctions(100);
console.log(`files in src/: ${files.length} (${handWritten.length} hand-written, ${lines} lines)`);
console.log(
  `functions over 100 lines: ${long.length}${long[0] ? ` (longest ${long[0][0]}: ${long[0][1]})` : ''}`,
);
console.log(`import cycles (type-only imports included): ${cycles.length}`);
console.log(`imports running back up a layer: ${upward.length}`);
if (list) {
  for (const [n, where] of long) console.log(`  long ${n} ${where}`);
  for (const c of cycles) console.log(`  cycle ${c.join(' ↔ ')}`);
  for (const u of upward) console.log(`  up ${u}`);
}
