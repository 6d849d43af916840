/**
 * The layer rules reject a forbidden import at any depth of relative path (issue 13: the old
 * fences matched `../` of one fixed depth, so `webview/wizard/x.ts -> ../../hv-core/...` passed).
 * Runs the repository's own eslint config on probe files written into the layers' folders (the
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

/** Writes a probe file at `rel` (folders under a layer created as `tag` folders) importing `spec`. */
function probe(rel: string, spec: string): string {
  const file = path.join(REPO, rel.replace(/PROBE/g, tag));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `import * as m from '${spec}';\nexport const probe = m;\n`);
  made.push(file);
  return file;
}

after(() => {
  for (const f of made) rmSync(f, { force: true });
  for (const layer of ['hv-core', 'webview', 'language-server']) rmSync(path.join(REPO, layer, tag), { recursive: true, force: true });
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
  // allowed: inside the layer, and downwards
  { rel: 'webview/PROBE/PROBE.ts', spec: '../protocol.js', forbidden: false },
  { rel: 'language-server/PROBE/b/PROBE.ts', spec: '../../../hv-core/files.js', forbidden: false },
];

test('layers/zones: forbidden imports fail lint at depth 1 and 3; allowed ones pass', { timeout: 120_000 }, async () => {
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
