/**
 * Consoles in the real workbench: the VSIX in code-server, a target in settings whose hypervisor
 * console is the board simulator's (raw TCP, served by the board: it goes down when the board
 * reboots). "acrn-nest: Open Hypervisor Console" opens the tab; a reboot shows the dimmed
 * reconnect lines in the stream instead of killing the tab. The Nested view lists the target.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, test } from 'node:test';
import { utils } from 'ssh2';
import { BoardSimulator } from '../support/sim/board-simulator';
import { packageVsix, startCodeServer, writeWorkspace } from './harness';

before(() => {
  packageVsix();
});

test('Hypervisor console tab: banner, board output, reconnect across a reboot; Nested view', { timeout: 150_000 }, async (t) => {
  const workspace = writeWorkspace('consoles', { 'README.txt': 'consoles e2e\n' });
  const keys = utils.generateKeyPairSync('ed25519');
  const sim = await BoardSimulator.start({ dir: path.join(workspace, '.board'), authorizedKeys: [keys.public], rebootDelayMs: 500, consoleDropsOnReboot: true });
  t.after(() => sim.stop());
  const cs = await startCodeServer({
    workspace,
    name: 'consoles',
    settings: {
      // The DOM renderer keeps the terminal's text in the page, so the test can read it.
      'terminal.integrated.gpuAcceleration': 'off',
      'acrnNest.targets': [{ name: 'sim', host: '127.0.0.1', port: sim.port, user: 'acrn', console: { type: 'tcp', host: '127.0.0.1', port: sim.consolePort } }],
      'acrnNest.defaultTarget': 'sim',
    },
  });
  t.after(() => cs.stop());

  // The Nested view (in acrn-nest's activity-bar container, beside Project) activates the
  // extension and lists the target with its console.
  await cs.page.locator('.activitybar .action-item a[aria-label^="acrn-nest"]').click();
  const nested = cs.page.locator('.pane-header', { hasText: 'Nested (ACRN)' });
  await nested.waitFor({ state: 'visible' });
  if ((await nested.getAttribute('aria-expanded')) !== 'true') await nested.click();
  const tree = await cs.waitForText('.part.sidebar', /sim[\s\S]*Hypervisor console/);
  assert.match(tree, /L2 guests/);
  await cs.screenshot('consoles-nested-view');

  await cs.runCommand('acrn-nest: Open Hypervisor Console');
  const rows = '.xterm-rows';
  const banner = await cs.waitForText(rows, /ACRN hypervisor console — sim/);
  assert.match(banner, /vm_console/);
  await cs.waitForText(rows, /hypervisor console: ACRN is not running/);
  await cs.screenshot('consoles-hypervisor-tab');

  const boots = sim.bootCount;
  sim.reboot();
  const text = await cs.waitForText(rows, /reconnected to tcp 127\.0\.0\.1/, 30_000);
  assert.ok(sim.bootCount > boots);
  assert.match(text, /\[acrn-nest \d\d:\d\d:\d\d\.\d{3}\] disconnected: [\s\S]*connection refused/, 'the drop is reported with the time');
  await cs.screenshot('consoles-reconnected');
});
