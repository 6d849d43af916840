/**
 * "acrn-nest: Start Virtual Board" in the real workbench: the VSIX in code-server starts the
 * virtual board (hv-core/boardvm: a Debian VM with real GRUB under QEMU TCG, from the cached image
 * `npm test`'s board-vm-image stage built), adds it to acrnNest.targets as "board-vm" and makes it
 * the default target; "Stop Virtual Board" stops the VM.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { missingHostTools } from '../../hv-core/boardvm/vm';
import { pidAlive } from '../integration/console-helpers';
import { packageVsix, startCodeServer, writeWorkspace } from './harness';

const missing = missingHostTools('xen-standin');

before(() => {
  packageVsix();
});

test('Start Virtual Board: the VM starts, becomes the default target "board-vm"; Stop Virtual Board stops it', { timeout: 1_200_000, skip: missing.length ? `the virtual board needs ${missing.join(', ')}` : false }, async (t) => {
  const workspace = writeWorkspace('boardvm', { 'scenario.xml': '<?xml version="1.0" encoding="utf-8"?>\n<acrn-config>\n  <hv>\n    <BUILD_TYPE>debug</BUILD_TYPE>\n  </hv>\n  <vm id="0">\n    <load_order>SERVICE_VM</load_order>\n    <name>ACRN_Service_VM</name>\n  </vm>\n</acrn-config>\n' });
  const cs = await startCodeServer({ workspace, name: 'boardvm', keepUserData: true });
  const vmDir = (): string => {
    const storage = path.join(cs.userDataDir, 'User', 'globalStorage');
    return path.join(storage, 'acrn-nest.acrn-nest', 'board-vm');
  };
  t.after(async () => {
    // Whatever happened, no QEMU is left behind.
    const state = path.join(vmDir(), 'vm.json');
    if (existsSync(state)) {
      const pid = (JSON.parse(readFileSync(state, 'utf8')) as { pid: number }).pid;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await cs.stop();
  });
  const page = cs.page;
  // A user opens their scenario first; the extension is loaded then.
  await cs.openFile('scenario.xml');
  await cs.waitForStatusBar(/Build[\s\S]*Deploy/);
  await cs.runCommand('acrn-nest: Start Virtual Board');
  // The layout question, then the start (resume of the cached guest, the layout's update-grub).
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: /^ubuntu$/ }) }).first().click();
  await cs.waitForText('.notifications-toasts', /the virtual board is up and is the target "board-vm"/, 900_000).catch(async (e: unknown) => {
    await cs.screenshot('boardvm-failed');
    throw e;
  });
  await cs.screenshot('boardvm-started');
  const state = JSON.parse(readFileSync(path.join(vmDir(), 'vm.json'), 'utf8')) as { pid: number; accel: string; layout: string };
  assert.ok(pidAlive(state.pid), 'QEMU runs');
  assert.equal(state.layout, 'ubuntu');
  // The target is in the settings, with the pinned host key file beside the VM.
  const settingsFiles = [path.join(workspace, '.vscode', 'settings.json'), path.join(cs.userDataDir, 'User', 'settings.json')].filter(existsSync);
  const settings = settingsFiles.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>);
  const targets = settings.flatMap((s) => (Array.isArray(s['acrnNest.targets']) ? (s['acrnNest.targets'] as Record<string, unknown>[]) : []));
  const vmTarget = targets.find((x) => x.name === 'board-vm');
  assert.ok(vmTarget, `acrnNest.targets has "board-vm": ${JSON.stringify(settings)}`);
  assert.equal(vmTarget.host, '127.0.0.1');
  assert.ok(typeof vmTarget.knownHostsFile === 'string' && existsSync(vmTarget.knownHostsFile), 'the host key is pinned in a file that exists');
  assert.ok(settings.some((s) => s['acrnNest.defaultTarget'] === 'board-vm'), 'board-vm is the default target');

  await cs.runCommand('acrn-nest: Stop Virtual Board');
  await cs.waitForText('.notifications-toasts', /the virtual board is stopped/, 120_000);
  assert.equal(pidAlive(state.pid), false, 'QEMU is gone');
});
