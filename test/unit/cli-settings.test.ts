/**
 * The CLI's settings, made in one place (hv-core/cli/settings.ts): flags resolved against the
 * working directory, target files loaded and resolved (their own relative paths against the
 * file), the build host and the target file kept apart, the shared flag checks, and what the
 * build takes from the settings (hv-core/operations.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { cliBuildHost, cliSettings, cliTarget, jobsFlag, loadCliNestTarget, loadCliTarget, secondsFlag, sharedOptions } from '../../hv-core/cli/settings';
import { buildOptionsFrom, targetNamed } from '../../hv-core/operations';

const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-cli-settings-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function targetFile(name: string, extra: Record<string, unknown> = {}): string {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, host: '127.0.0.1', port: 2222, user: 'acrn', identityFile: 'keys/id', knownHostsFile: 'kh', ...extra }));
  return file;
}

test('flags are resolved against the working directory; no flag, no setting', () => {
  const s = cliSettings({ 'acrn-tree': 'acrn', board: '../b.xml', python: 'py/bin/python3', jobs: 4, 'make-var': ['RELEASE=y'] }, { cwd: '/w/x' });
  assert.equal(s.acrnTree, '/w/x/acrn');
  assert.equal(s.boardFile, '/w/b.xml');
  assert.equal(s.build.python, '/w/x/py/bin/python3');
  assert.equal(s.build.jobs, 4);
  assert.deepEqual(s.build.makeVariables, ['RELEASE=y']);
  assert.deepEqual(s.targets, []);
  assert.equal(s.defaultTarget, undefined);
  const none = cliSettings({}, { cwd: '/w' });
  assert.equal(none.acrnTree, undefined);
  assert.equal(none.boardFile, undefined);
  assert.deepEqual(none.build.makeVariables, []);
  assert.equal(cliSettings({}, { cwd: '/w' }, { treeFallback: '/env/tree' }).acrnTree, '/env/tree');
});

test('a target file resolves its own relative paths; a build host keeps its tree as written', () => {
  const t = targetFile('nuc');
  const s = cliSettings({ 'target-file': path.relative(process.cwd(), t) }, { cwd: process.cwd() }, { loadTarget: loadCliTarget });
  const target = cliTarget(s)!;
  assert.equal(target.target.name, 'nuc');
  assert.deepEqual(target.target.identityFiles, [path.join(dir, 'keys', 'id')]);
  assert.equal(target.target.knownHostsFiles[0], path.join(dir, 'kh'));
  assert.equal(target.source, t);
  assert.equal(cliBuildHost(s), undefined);

  const b = cliSettings({ 'acrn-tree': '/home/me/acrn', 'build-host': targetFile('nuc-build') }, { cwd: '/w' }, { remoteTree: true, loadTarget: loadCliTarget });
  assert.equal(b.acrnTree, undefined);
  assert.equal(b.build.hostAcrnTree, '/home/me/acrn');
  assert.equal(cliBuildHost(b)?.name, 'nuc-build');
  assert.equal(cliTarget(b), undefined);
});

test('a target file and a build host of the same name stay apart', () => {
  const main = targetFile('same', { port: 22 });
  const hostDir = mkdtempSync(path.join(dir, 'host-'));
  const host = path.join(hostDir, 'same.json');
  writeFileSync(host, JSON.stringify({ name: 'same', host: '127.0.0.1', port: 2200, user: 'build' }));
  const s = cliSettings({ 'target-file': main, 'build-host': host }, { cwd: '/' }, { loadTarget: loadCliTarget });
  assert.equal(cliTarget(s)?.target.port, 22);
  assert.equal(cliBuildHost(s)?.port, 2200);
});

test('console and l2 parts come with --target-file where the command takes them', () => {
  const t = targetFile('nest', { console: { type: 'tcp', host: '127.0.0.1', port: 7001 }, l2: { accel: 'tcg' } });
  const s = cliSettings({ 'target-file': t }, { cwd: '/' }, { loadTarget: loadCliNestTarget });
  assert.deepEqual(cliTarget(s)?.console, { type: 'tcp', host: '127.0.0.1', port: 7001 });
  assert.deepEqual(cliTarget(s)?.l2, { accel: 'tcg' });
  assert.throws(() => cliSettings({ 'target-file': t }, { cwd: '/' }), /loadTarget/);
});

test('shared flags: declarations picked by name; --timeout and --jobs checked once', () => {
  assert.deepEqual(Object.keys(sharedOptions('target-file', 'timeout')), ['target-file', 'timeout']);
  assert.equal(secondsFlag(undefined), undefined);
  assert.equal(secondsFlag('1.5'), 1500);
  assert.throws(() => secondsFlag('0'), /--timeout must be a number of seconds, not '0'/);
  assert.throws(() => secondsFlag('x'), (e: Error & { code?: string }) => e.code === 'ERR_ACRN_NEST_USAGE');
  assert.equal(jobsFlag('3'), 3);
  assert.throws(() => jobsFlag('1.5'), /--jobs must be a positive integer, not '1.5'/);
});

test('what a build takes from the settings: python for local builds only; a target by name', () => {
  const s = cliSettings({ python: '/usr/bin/python3', jobs: 2, 'make-var': ['A=1'], 'target-file': targetFile('t1') }, { cwd: '/' }, { loadTarget: loadCliTarget });
  assert.deepEqual(buildOptionsFrom(s, { remote: false }), { python: '/usr/bin/python3', jobs: 2, makeVars: ['A=1'] });
  assert.deepEqual(buildOptionsFrom(s, { remote: true }), { python: undefined, jobs: 2, makeVars: ['A=1'] });
  assert.equal(targetNamed(s, 't1')?.target.name, 't1');
  assert.equal(targetNamed(s, 'other'), undefined);
  assert.equal(targetNamed(s, undefined), undefined);
});
