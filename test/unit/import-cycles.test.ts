/**
 * No import circle anywhere in the tree (issue 13): every relative import and re-export of every
 * .ts file, `import type` included, walked by test/import-graph.ts; a circle fails with its
 * modules named. Plus the arrows that must not point back up inside hv-core.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { circles, importGraph, tsFiles } from '../import-graph';
import { REPO } from './helpers';

const graph = importGraph(tsFiles(REPO, ['hv-core', 'language-server', 'extension', 'webview', 'test', 'scripts']));
const rel = (f: string): string => path.relative(REPO, f);

test('the graph is the whole tree (sanity)', () => {
  assert.ok(graph.size > 150, `${graph.size} files`);
  assert.ok(graph.get(path.join(REPO, 'extension', 'extension.ts'))?.some((d) => d.endsWith(path.join('extension', 'commands.ts'))), 'extension.ts imports commands.ts');
});

test('no import circle', () => {
  assert.deepEqual(circles(graph).map((c) => c.map(rel)), []);
});

test('a circle is found when there is one (the checker works)', () => {
  const g = new Map<string, string[]>([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
  assert.deepEqual(circles(g), [['a', 'b', 'c']]);
});

test('hv-core: no arrow back up (L2 guests and the NVMX engine below consoles and the CLI)', () => {
  const bad: string[] = [];
  for (const [from, deps] of graph) {
    const f = rel(from);
    for (const d of deps.map(rel)) {
      if ((f.startsWith('hv-core/l2/') && d.startsWith('hv-core/console/')) || (!f.startsWith('hv-core/cli/') && f.startsWith('hv-core/') && d.startsWith('hv-core/cli/'))) bad.push(`${f} -> ${d}`);
    }
  }
  assert.deepEqual(bad, []);
});
