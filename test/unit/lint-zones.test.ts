/**
 * The layer rules reject a forbidden import at any depth of relative path (issue 13: the old
 * fences matched `../` of one fixed depth, so `webview/wizard/x.ts -> ../../hv-core/...` passed).
 * The front ends (extension/, language-server/, hv-core/cli/) reach the engine only through its
 * entry point, hv-core/engine.ts: a deep import into hv-core fails lint from any of them, at any
 * depth. Runs the repository's own eslint config on probe files written into the layers' folders (the
 * type-aware config needs real files of the project) and removed afterwards.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { ESLint } from 'eslint';
import { REPO } from './helpers';

const tag = `__lint_probe_${process.pid}`;
const made: string[] = [];

/** Writes a probe file at `rel` (folders under a layer created as `tag` folders) importing `spec` (`type:` first: a type-only import). */
function probe(rel: string, spec: string): string {
  const file = path.join(REPO, rel.replace(/PROBE/g, tag));
  mkdirSync(path.dirname(file), { recursive: true });
  const typeOnly = spec.startsWith('type:');
  writeFileSync(file, typeOnly ? `import type * as m from '${spec.slice(5)}';\nexport type Probe = typeof m;\n` : `import * as m from '${spec}';\nexport const probe = m;\n`);
  made.push(file);
  return file;
}

after(() => {
  for (const f of made) rmSync(f, { force: true });
  for (const layer of ['hv-core', 'hv-core/cli', 'webview', 'language-server', 'extension']) rmSync(path.join(REPO, layer, tag), { recursive: true, force: true });
});

const CASES: { rel: string; spec: string; forbidden: boolean }[] = [
  // depth 1
  { rel: 'webview/PROBE.ts', spec: '../hv-core/files.js', forbidden: true },
  { rel: 'hv-core/PROBE.ts', spec: '../extension/constants.js', forbidden: true },
  { rel: 'language-server/PROBE.ts', spec: '../extension/constants.js', forbidden: true },
  // depth 3
  { rel: 'webview/PROBE/b/PROBE.ts', spec: '../../../hv-core/files.js', forbidden: true },
  { rel: 'hv-core/PROBE/b/PROBE.ts', spec: '../../../webview/protocol.js', forbidden: true },
  { rel: 'language-server/PROBE/b/PROBE.ts', spec: '../../../extension/constants.js', forbidden: true },
  // a detour through an allowed folder is still the forbidden one
  { rel: 'webview/PROBE/PROBE.ts', spec: '../../webview/../extension/constants.js', forbidden: true },
  // the front ends reach hv-core through its entry point only (hv-core/engine.ts), types too
  { rel: 'extension/PROBE.ts', spec: '../hv-core/files.js', forbidden: true },
  { rel: 'extension/PROBE/b/PROBE.ts', spec: '../../../hv-core/schema/asserts.js', forbidden: true },
  { rel: 'language-server/PROBE/b/PROBE.ts', spec: '../../../hv-core/files.js', forbidden: true },
  { rel: 'language-server/PROBE.ts', spec: 'type:../hv-core/settings.js', forbidden: true },
  { rel: 'hv-core/cli/PROBE.ts', spec: '../deploy/index.js', forbidden: true },
  { rel: 'hv-core/cli/PROBE/b/PROBE.ts', spec: '../../../scenario/analyze.js', forbidden: true },
  // ... and the engine's own modules never import the entry point (no circle through it)
  { rel: 'hv-core/PROBE/PROBE.ts', spec: '../engine.js', forbidden: true },
  // allowed: inside the layer, and downwards through the entry point
  { rel: 'webview/PROBE/PROBE.ts', spec: '../protocol.js', forbidden: false },
  { rel: 'language-server/PROBE/b/PROBE.ts', spec: '../../../hv-core/engine.js', forbidden: false },
  { rel: 'extension/PROBE/PROBE.ts', spec: '../../hv-core/engine.js', forbidden: false },
  { rel: 'hv-core/cli/PROBE.ts', spec: '../engine.js', forbidden: false },
  { rel: 'hv-core/cli/PROBE/PROBE.ts', spec: '../io.js', forbidden: false },
  { rel: 'hv-core/PROBE/PROBE.ts', spec: '../files.js', forbidden: false },
];

test('layers/zones: forbidden imports (across layers, past the entry point) fail lint at depth 1 and 3; allowed ones pass', { timeout: 120_000 }, async () => {
  const files = CASES.map((c, i) => probe(c.rel.replace(/PROBE\.ts$/, `PROBE${i}.ts`), c.spec));
  const eslint = new ESLint({ cwd: REPO });
  const results = await eslint.lintFiles(files);
  CASES.forEach((c, i) => {
    const r = results.find((x) => x.filePath === files[i]);
    assert.ok(r, `linted ${files[i]}`);
    const fatal = r.messages.filter((m) => m.fatal);
    assert.deepEqual(fatal, [], 'the probe parsed');
    const zone = r.messages.filter((m) => m.ruleId === 'layers/zones' || m.ruleId === 'no-restricted-imports');
    if (c.forbidden) assert.equal(zone.length, 1, `${c.rel} -> ${c.spec} is rejected (${JSON.stringify(r.messages.map((m) => m.message))})`);
    else assert.deepEqual(zone, [], `${c.rel} -> ${c.spec} is allowed`);
  });
});
