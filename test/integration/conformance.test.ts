/**
 * `npm run conformance` over every ACRN version in ../shared/acrn-data: every official scenario
 * with its own schema and board, as CI runs it. Errors are allowed only where ACRN's own validator
 * reports them too (test/fixtures/conformance-known.json); the test also checks that those known
 * findings are still produced (so the list cannot go stale silently), and that the CLI gives the
 * same findings as the conformance run for one of them (acrn-nest lint --acrn-tree --board).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO, TAGS, acrnTree, hasAcrnData } from '../unit/helpers';

const skip = !hasAcrnData() && 'needs ../shared/acrn-data';
const TSX = path.join(REPO, 'node_modules', '.bin', 'tsx');

interface Summary {
  files: number;
  errors: number;
  unexpected: number;
  knownHits: number;
  findings: { file: string; line: number; severity: string; code: string; message: string; known: boolean }[];
}

for (const tag of TAGS) {
  test(`conformance ${tag}: every official scenario, zero unexpected errors`, { skip, timeout: 300_000 }, () => {
    const r = spawnSync(TSX, [path.join(REPO, 'scripts', 'conformance.ts'), '--acrn-tree', acrnTree(tag), '--json'], { cwd: REPO, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const s = JSON.parse(r.stdout) as Summary;
    assert.ok(s.files >= 15, `${tag}: ${s.files} scenarios`);
    assert.equal(s.unexpected, 0);
    assert.deepEqual(s.findings.filter((f) => f.severity === 'error' && !f.known), []);
    // v3.x: the two official files ACRN's validator rejects are rejected by us too.
    if (tag.startsWith('v3')) assert.ok(s.knownHits >= 2, `${tag}: ${s.knownHits} known findings reproduced`);
    else assert.equal(s.errors, 0);
  });
}

test('acrn-nest lint --acrn-tree --board gives the conformance findings for a known-bad official file', { skip, timeout: 120_000 }, () => {
  const tree = acrnTree('v3.3');
  const dir = path.join(tree, 'misc', 'config_tools', 'data', 'whl-ipc-i5');
  const r = spawnSync(TSX, [path.join(REPO, 'hv-core', 'cli', 'main.ts'), 'lint', '--format', 'json', '--acrn-tree', tree, '--board', path.join(dir, 'whl-ipc-i5.xml'), path.join(dir, 'shared_launch_1user_vm_vxworks.xml')], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { findings: { code: string; severity: string; line: number }[] }[];
  const codes = out[0]!.findings.filter((f) => f.code.startsWith('datacheck/')).map((f) => `${f.severity} ${f.code}`);
  assert.deepEqual([...new Set(codes)].sort(), ['error datacheck/cpu_assignment#3', 'error datacheck/cpu_assignment#7', 'warning datacheck/cpu_assignment#8']);
});
