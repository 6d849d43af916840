/**
 * The key and the batch split of lint's start-up snapshot (hv-core/cli/startup.ts): a change of
 * the Node binary, its V8 flags or any file of the acrn-nest build gives another key (so another
 * blob); a batch is cut into runs that keep the files in order.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { blobPath, buildSnapshot, buildSnapshotNow, failedMarker, jobsFor, snapshotKey, snapshotMode, splitRuns } from '../../hv-core/cli/startup';

const dirs: string[] = [];
function tmp(prefix: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const node = { version: 'v20.20.2', execPath: process.execPath, platform: 'linux', arch: 'x64' };

test('the snapshot key follows the build, the Node binary and the V8 flags', () => {
  const dir = tmp('acrn-startup-key-');
  writeFileSync(path.join(dir, 'lint.js'), 'one');
  writeFileSync(path.join(dir, 'analyze.js'), 'two');
  const k = snapshotKey(dir, '', node);
  assert.equal(snapshotKey(dir, '', node), k, 'stable');
  assert.notEqual(snapshotKey(dir, '', { ...node, version: 'v20.20.3' }), k, 'another Node version');
  assert.notEqual(snapshotKey(dir, '', { ...node, execPath: '/opt/node/bin/node' }), k, 'another Node binary');
  assert.notEqual(snapshotKey(dir, '', { ...node, arch: 'arm64' }), k, 'another architecture');
  assert.notEqual(snapshotKey(dir, '--max-old-space-size=100', node), k, 'other V8 flags');
  appendFileSync(path.join(dir, 'analyze.js'), ' changed');
  const k2 = snapshotKey(dir, '', node);
  assert.notEqual(k2, k, 'a changed bundle (a new acrn-nest build)');
  writeFileSync(path.join(dir, 'lint-startup.js'), 'new part');
  assert.notEqual(snapshotKey(dir, '', node), k2, 'a new bundle');
});

test('the mode comes from ACRN_NEST_STARTUP_SNAPSHOT, auto unless off or sync', () => {
  assert.equal(snapshotMode({}), 'auto');
  assert.equal(snapshotMode({ ACRN_NEST_STARTUP_SNAPSHOT: 'off' }), 'off');
  assert.equal(snapshotMode({ ACRN_NEST_STARTUP_SNAPSHOT: 'sync' }), 'sync');
  assert.equal(snapshotMode({ ACRN_NEST_STARTUP_SNAPSHOT: 'bogus' }), 'auto');
});

test('a batch is cut into consecutive, non-empty runs of about equal weight, in order', () => {
  const items = Array.from({ length: 30 }, (_, i) => i);
  for (const n of [1, 2, 3, 7, 30]) {
    const runs = splitRuns(items, n, () => 1);
    assert.equal(runs.length, n);
    assert.deepEqual(runs.flat(), items, `n=${n}: every item once, in order`);
    assert.ok(runs.every((r) => r.length > 0));
    assert.ok(Math.max(...runs.map((r) => r.length)) - Math.min(...runs.map((r) => r.length)) <= 1, `n=${n}: balanced`);
  }
  // One heavy file first: it gets a run of its own.
  const heavy = splitRuns([100, 1, 1, 1, 1], 2, (x) => x);
  assert.deepEqual(heavy, [[100], [1, 1, 1, 1]]);
  assert.deepEqual(splitRuns([5, 5], 2, (x) => x), [[5], [5]]);
  assert.equal(jobsFor(30, undefined), 1);
  assert.equal(jobsFor(30, 2), 2);
  assert.equal(jobsFor(3, 8), 3);
});

test('a key Node cannot build a snapshot for is tried once, not at every lint; stale files are tidied', async () => {
  // A build folder without the snapshot entry: `node --build-snapshot` fails.
  const dir = tmp('acrn-startup-fail-');
  const cache = path.join(dir, 'cache');
  const blob = blobPath(cache, 'k1');
  mkdirSync(path.dirname(blob), { recursive: true });
  assert.equal(await buildSnapshotNow({ ...process.env, ACRN_NEST_STARTUP_BLOB: blob }, dir), 1);
  assert.ok(!existsSync(blob));
  assert.ok(existsSync(failedMarker(blob)), 'the failure is remembered');
  assert.equal(await buildSnapshot(dir, cache, 'k1', { files: [] }, true), false, 'not tried again for this key');
  assert.equal(await buildSnapshot(dir, cache, 'k2', { files: [] }, true), true, 'another key (a new build or Node) is tried');
  // A successful build removes other keys' blobs and markers and old temporary files.
  writeFileSync(path.join(dir, 'lint-startup.js'), "require('node:v8').startupSnapshot.setDeserializeMainFunction(() => { process.stdout.write('acrn-nest startup snapshot ok\\n'); });\n");
  const old = path.join(path.dirname(blob), 'lint-k0.blob.123.tmp');
  const fresh = path.join(path.dirname(blob), 'lint-k0.blob.456.tmp');
  writeFileSync(old, '');
  writeFileSync(fresh, '');
  utimesSync(old, new Date(Date.now() - 7200_000), new Date(Date.now() - 7200_000));
  const good = blobPath(cache, 'k3');
  assert.equal(await buildSnapshotNow({ ...process.env, ACRN_NEST_STARTUP_BLOB: good }, dir), 0);
  assert.deepEqual(readdirSync(path.dirname(blob)).sort(), ['lint-k0.blob.456.tmp', 'lint-k3.blob']);
});
