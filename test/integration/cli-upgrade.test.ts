/**
 * `acrn-nest upgrade` as a user runs it: the bundled CLI (dist/cli.js, which loads dist/cli/upgrade.js
 * on demand) as a child process.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { REPO, acrnTree, hasAcrnData } from '../unit/helpers';

const CLI = path.join(REPO, 'dist', 'cli.js');

before(() => {
  execFileSync(process.execPath, [path.join(REPO, 'scripts', 'build.mjs')], { cwd: REPO, stdio: 'inherit' });
});

function run(cwd: string, ...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('usage errors from on-demand parts exit 2 (each part bundles its own UsageError class)', () => {
  const up = run(REPO, 'upgrade');
  assert.equal(up.code, 2, up.err);
  assert.match(up.err, /no FILE given\nUsage: acrn-nest upgrade FILE --acrn-tree V3TREE/);
  const nv = run(REPO, 'nvmx');
  assert.equal(nv.code, 2, nv.err);
  assert.equal(run(REPO, 'upgrade', 'x.xml', '--frobnicate').code, 2);
});

test('--help lists upgrade; the upgrade code is a part of its own, not in dist/cli.js', () => {
  const h = run(REPO, '--help');
  assert.equal(h.code, 0);
  assert.match(h.out, /acrn-nest upgrade FILE --acrn-tree V3TREE/);
  assert.ok(existsSync(path.join(REPO, 'dist', 'cli', 'upgrade.js')));
  assert.ok(!readFileSync(CLI, 'utf8').includes('upgradeScenario'), 'dist/cli.js stays light');
});

test('a real v2.7 scenario with its launch XML: NAME.v3.xml beside it, report on stdout, v2 untouched', { skip: !hasAcrnData() && 'no ../shared/acrn-data' }, (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-cli-upgrade-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const d = path.join(acrnTree('v2.7'), 'misc', 'config_tools', 'data', 'whl-ipc-i5');
  copyFileSync(path.join(d, 'shared.xml'), path.join(dir, 'shared.xml'));
  copyFileSync(path.join(d, 'shared_launch_6user_vm.xml'), path.join(dir, 'launch.xml'));
  const before = readFileSync(path.join(dir, 'shared.xml'), 'utf8');
  const r = run(dir, 'upgrade', 'shared.xml', '--acrn-tree', acrnTree('v3.3'), '--launch', 'launch.xml');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^launch\.xml:\d+:\d+: warning: dropped user_vm\[1\]\/mem_size = '4096'/m);
  assert.match(r.out, /upgraded to v3 -> shared\.v3\.xml/);
  assert.equal(readFileSync(path.join(dir, 'shared.xml'), 'utf8'), before);
  assert.match(readFileSync(path.join(dir, 'shared.v3.xml'), 'utf8'), /<os_type>Windows OS<\/os_type>/);
  assert.equal(run(dir, 'upgrade', 'shared.xml', '--acrn-tree', acrnTree('v3.3')).code, 1, 'the existing output is not replaced');
});
