/**
 * The virtual board's pure parts (no QEMU): the settings entry made from its target file, the
 * cache key, and the CLI's usage errors. The VM itself is tested in test/integration/board-vm.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { imageKey, targetSettingFor, STANDIN_CMDLINE } from '../../hv-core/boardvm/vm';
import { runCli } from '../../hv-core/cli/main';
import { parseTarget } from '../../hv-core/ssh-target';

test('the acrnNest.targets entry of a virtual board: its target file with absolute local paths, valid as a target', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-bvm-'));
  const f = path.join(dir, 'target.json');
  writeFileSync(f, JSON.stringify({ name: 'board-vm', host: '127.0.0.1', port: 40022, user: 'acrn', identityFile: 'id_ed25519', knownHostsFile: 'known_hosts', sudo: true, cmdline: STANDIN_CMDLINE, hypervisorProbe: '/sys/hypervisor/type', console: { type: 'tcp', host: '127.0.0.1', port: 40023 } }));
  const e = targetSettingFor(f, 'vb');
  assert.equal(e.name, 'vb');
  assert.equal(e.identityFile, path.join(dir, 'id_ed25519'));
  assert.equal(e.knownHostsFile, path.join(dir, 'known_hosts'));
  const { console: c, ...rest } = e;
  assert.deepEqual(c, { type: 'tcp', host: '127.0.0.1', port: 40023 });
  assert.equal(parseTarget(rest).hypervisorProbe, '/sys/hypervisor/type');
});

test('the image cache key is the hash of the recipe: stable, 16 hex digits', () => {
  assert.match(imageKey(), /^[0-9a-f]{16}$/);
  assert.equal(imageKey(), imageKey());
});

test('board-vm CLI: usage errors exit 2 and name what is missing', async () => {
  const err: string[] = [];
  const io = { out: () => undefined, err: (l: string) => err.push(l), cwd: os.tmpdir(), env: process.env };
  assert.equal(await runCli(['board-vm', 'start'], io), 2);
  assert.match(err.join('\n'), /--dir DIR is required/);
  assert.equal(await runCli(['board-vm', 'start', '--dir', 'x', '--layout', 'fedora'], io), 2);
  assert.match(err.join('\n'), /--layout must be one of ubuntu, gsg, saved/);
  assert.equal(await runCli(['board-vm', 'reboot', '--dir', 'x'], io), 2);
  assert.equal(await runCli(['board-vm', 'status', '--dir', mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-bvm-'))], { ...io, out: (l: string) => err.push(l) }), 1);
  assert.match(err.join('\n'), /not running/);
});
