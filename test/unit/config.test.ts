/**
 * The extension's settings, without a window: extension/config.ts's Config over a fake
 * ConfigSource, producing hv-core's resolved settings (paths absolute, `${workspaceFolder}`,
 * `${userHome}`, `${env:…}`, `~` and relative paths expanded per resource; defaults from one place;
 * targets with `~` in identityFile / knownHostsFile expanded).
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Config } from '../../extension/config';
import type { ConfigSource } from '../../extension/config';
import { DEFAULT_MAX_FILE_MB } from '../../hv-core/files';
import { resolveSettingPath } from '../../hv-core/settings';

const HOME = os.homedir();

/** Settings per workspace folder; a resource belongs to the folder that contains it. */
function source(folders: Record<string, Record<string, unknown>>, global: Record<string, unknown> = {}): ConfigSource & { updates: [string, unknown][] } {
  const names = Object.keys(folders);
  const folderOf = (r?: string): string | undefined => (r ? names.find((f) => r.startsWith(f + path.sep)) : undefined) ?? names[0];
  const updates: [string, unknown][] = [];
  return {
    updates,
    get<T>(key: string, resource?: string): T | undefined {
      const f = folderOf(resource);
      const v = (f && key in folders[f]! ? folders[f]![key] : global[key]) as T | undefined;
      return v;
    },
    workspaceFolder: folderOf,
    update(key: string, value: unknown): Promise<void> {
      updates.push([key, value]);
      return Promise.resolve();
    },
  };
}

describe('path settings', () => {
  test('${workspaceFolder}, relative, ~ and absolute board files resolve against the resource\'s folder', () => {
    for (const [written, want] of [
      ['${workspaceFolder}/boards/b.xml', '/ws/a/boards/b.xml'],
      ['boards/b.xml', '/ws/a/boards/b.xml'],
      ['./boards/../b.xml', '/ws/a/b.xml'],
      ['~/boards/b.xml', path.join(HOME, 'boards/b.xml')],
      ['${userHome}/b.xml', path.join(HOME, 'b.xml')],
      ['/abs/b.xml', '/abs/b.xml'],
    ] as const) {
      const c = new Config(source({ '/ws/a': { 'acrnNest.boardFile': written } }));
      assert.equal(c.settings('/ws/a/scenarios/s.xml').boardFile, want, written);
    }
  });
  test('multi-root: each folder\'s own setting and own ${workspaceFolder}', () => {
    const c = new Config(source({ '/ws/a': { 'acrnNest.acrnTree': '${workspaceFolder}/acrn' }, '/ws/b': { 'acrnNest.acrnTree': 'tree' } }));
    assert.equal(c.settings('/ws/a/x.xml').acrnTree, '/ws/a/acrn');
    assert.equal(c.settings('/ws/b/x.xml').acrnTree, '/ws/b/tree');
  });
  test('no workspace folder: relative to the scenario\'s folder (as Build always did)', () => {
    const c = new Config({ get: <T>(k: string) => (k === 'acrnNest.boardFile' ? 'b.xml' : undefined) as T | undefined, workspaceFolder: () => undefined });
    assert.equal(c.settings('/tmp/s/scenario.xml').boardFile, '/tmp/s/b.xml');
  });
  test('empty means unset; ${env:NAME} expands', () => {
    assert.equal(resolveSettingPath('', { workspaceFolder: '/w' }), undefined);
    assert.equal(resolveSettingPath('   ', { workspaceFolder: '/w' }), undefined);
    assert.equal(resolveSettingPath('${env:ACRN_X}/t', { workspaceFolder: '/w', env: { ACRN_X: '/opt/acrn' } }), '/opt/acrn/t');
  });
});

describe('defaults and the server\'s settings', () => {
  test('max file size: one default (hv-core/files.ts), also when the setting is missing or bad', () => {
    assert.equal(new Config(source({ '/w': {} })).settings().limits.maxFileMB, DEFAULT_MAX_FILE_MB);
    assert.equal(new Config(source({ '/w': { 'acrnNest.maxFileSizeMB': -1 } })).settings().limits.maxFileMB, DEFAULT_MAX_FILE_MB);
    assert.equal(new Config(source({ '/w': { 'acrnNest.maxFileSizeMB': 3 } })).settings().limits.maxFileMB, 3);
  });
  test('the server gets resolved paths and \'\' for unset', () => {
    const c = new Config(source({ '/w': { 'acrnNest.boardFile': 'b/board.xml' } }));
    assert.deepEqual(c.serverSettings(), { acrnTree: '', boardFile: '/w/b/board.xml', maxFileSizeMB: DEFAULT_MAX_FILE_MB });
  });
  test('build settings: jobs 0 means "the number of CPUs" (undefined), make variables kept, python resolved', () => {
    const c = new Config(source({ '/w': { 'acrnNest.build.jobs': 0, 'acrnNest.build.makeVariables': ['RELEASE=y'], 'acrnNest.build.python': '~/py/bin/python3', 'acrnNest.build.host': 'old', 'acrnNest.build.hostAcrnTree': '/home/me/acrn' } }));
    assert.deepEqual(c.settings().build, { host: 'old', hostAcrnTree: '/home/me/acrn', python: path.join(HOME, 'py/bin/python3'), jobs: undefined, makeVariables: ['RELEASE=y'] });
  });
});

describe('targets from settings', () => {
  const resolveOpts = { sshConfigText: '', homeDir: '/home/u', localUser: 'u' };
  test('~ in identityFile and knownHostsFile (also of an ssh-serial console) expands; relative is the workspace\'s', () => {
    const c = new Config(source({ '/w': { 'acrnNest.targets': [{ name: 'nuc', host: '10.0.0.2', user: 'root', identityFile: '~/.ssh/id_nuc', knownHostsFile: 'keys/known_hosts', console: { type: 'ssh-serial', host: 'jump', path: '/dev/ttyUSB0', identityFile: ['~/.ssh/id_jump'], knownHostsFile: '~/kh' } }] } }), resolveOpts);
    const { targets, errors } = c.targets();
    assert.deepEqual(errors, []);
    const t = targets[0]!;
    assert.deepEqual(t.target.identityFiles, [path.join(HOME, '.ssh/id_nuc')]);
    assert.equal(t.target.knownHostsWrite, '/w/keys/known_hosts');
    assert.ok(t.console?.type === 'ssh-serial');
    assert.deepEqual(t.console.identityFile, [path.join(HOME, '.ssh/id_jump')]);
    assert.equal(t.console.knownHostsFile, path.join(HOME, 'kh'));
  });
  test('a bad entry is reported with its index; the others stay usable', () => {
    const c = new Config(source({ '/w': { 'acrnNest.targets': [{ name: 'ok', host: 'h' }, 42, { sshAlias: 'a', host: 'b' }] } }), resolveOpts);
    const { targets, errors } = c.targets();
    assert.deepEqual(targets.map((t) => t.target.name), ['ok']);
    assert.equal(errors.length, 2);
    assert.match(errors[0]!, /acrnNest\.targets\[1\]/);
    assert.match(errors[1]!, /acrnNest\.targets\[2\].*either "sshAlias" or "host"/);
  });
  test('console and l2 parts come with their target', () => {
    const c = new Config(source({ '/w': { 'acrnNest.targets': [{ name: 'nuc', host: 'h', console: { type: 'tcp', host: '127.0.0.1', port: 7001 }, l2: { accel: 'tcg' } }] } }), resolveOpts);
    const t = c.targets().targets[0]!;
    assert.deepEqual(t.console, { type: 'tcp', host: '127.0.0.1', port: 7001 });
    assert.deepEqual(t.l2, { accel: 'tcg' });
  });
  test('an invalid console part does not hide the target (the consoles report it when used)', () => {
    const c = new Config(source({ '/w': { 'acrnNest.targets': [{ name: 'nuc', host: 'h', console: { type: 'telepathy' } }] } }), resolveOpts);
    const { targets, errors } = c.targets();
    assert.deepEqual(errors, []);
    assert.equal(targets[0]?.target.name, 'nuc');
    assert.match(String(targets[0]?.partsError?.message), /console\.type/);
  });
  test('Select Target writes the default through the source', async () => {
    const s = source({ '/w': {} });
    await new Config(s).setDefaultTarget('nuc');
    assert.deepEqual(s.updates, [['acrnNest.defaultTarget', 'nuc']]);
  });
});
