/**
 * Build in the real workbench: the VSIX in code-server, a workspace holding the fake ACRN tree
 * (test/fixtures/fake-acrn-tree) and a scenario ACRN's validator rejects. "acrn-nest: Build
 * Hypervisor" runs make; the validator's XPath findings appear in the Problems panel at the
 * scenario lines they concern.
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { utils } from 'ssh2';
import { BoardSimulator } from '../support/sim/board-simulator';
import { packageVsix, REPO, startCodeServer, writeWorkspace } from './harness';

const SCENARIO = `<?xml version="1.0" encoding="utf-8"?>
<acrn-config>
  <hv>
    <BUILD_TYPE>debug</BUILD_TYPE>
    <FEATURES>
      <SCHEDULER>SCHED_FOO</SCHEDULER>
    </FEATURES>
  </hv>
  <vm id="0">
    <load_order>SERVICE_VM</load_order>
    <name>ACRN_Service_VM</name>
    <lapic_passthrough>y</lapic_passthrough>
  </vm>
  <vm id="1">
    <load_order>POST_LAUNCHED_VM</load_order>
    <name>POST_STD_VM1</name>
  </vm>
</acrn-config>
`;

function lineCol(text: string, needle: string, shift = 0): { line: number; col: number } {
  const i = text.indexOf(needle) + shift;
  const before = text.slice(0, i);
  return { line: before.split('\n').length, col: i - before.lastIndexOf('\n') };
}

before(() => {
  packageVsix();
});

/** A workspace with the fake ACRN tree, a board, the scenario; PATH stand-ins for tools it does not use. */
function buildWorkspace(name: string, scenario: string): { workspace: string; env: Record<string, string>; settings: Record<string, unknown> } {
  const workspace = writeWorkspace(name, {
    'scenarios/nested.xml': scenario,
    'boards/fake.xml': '<acrn-config board="fake">\n  <BIOS_INFO>fake</BIOS_INFO>\n  <processors/>\n</acrn-config>\n',
  });
  cpSync(path.join(REPO, 'test', 'fixtures', 'fake-acrn-tree'), path.join(workspace, 'acrn'), { recursive: true });
  // Stand-ins for the prerequisites the fake tree does not use (a CI machine has no iasl).
  const bin = path.join(workspace, '.bin');
  mkdirSync(bin);
  for (const [tool, body] of Object.entries({ iasl: 'echo "ASL+ Optimizing Compiler/Disassembler version 20200925"', xsltproc: 'echo xsltproc', xmllint: 'echo xmllint', cc: 'echo 12.2.0' })) {
    writeFileSync(path.join(bin, tool), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(bin, tool), 0o755);
  }
  return {
    workspace,
    env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` },
    settings: {
      'acrnNest.acrnTree': path.join(workspace, 'acrn'),
      'acrnNest.boardFile': path.join(workspace, 'boards', 'fake.xml'),
      'acrnNest.build.python': '/usr/bin/python3',
      'acrnNest.build.jobs': 1,
    },
  };
}

/** A build workspace with a scenario ACRN accepts, and a board simulator to deploy to (its key in the workspace). */
async function deployWorkspace(name: string, simOptions: { sudoPassword?: string }): Promise<ReturnType<typeof buildWorkspace> & { key: string; sim: BoardSimulator; knownHosts: string }> {
  const good = SCENARIO.replace('SCHED_FOO', 'SCHED_NOOP')
    .replace('<lapic_passthrough>y</lapic_passthrough>', '<nested_virtualization_support>y</nested_virtualization_support>\n    <os_config>\n      <kern_mod>Linux_bzImage</kern_mod>\n    </os_config>');
  const ws = buildWorkspace(name, good);
  const keys = utils.generateKeyPairSync('ed25519');
  const key = path.join(ws.workspace, '.ssh-id');
  writeFileSync(key, keys.private, { mode: 0o600 });
  const sim = await BoardSimulator.start({ dir: path.join(ws.workspace, '.board'), authorizedKeys: [keys.public], rebootDelayMs: 300, consolePort: false, ...simOptions });
  return { ...ws, key, sim, knownHosts: path.join(ws.workspace, '.known_hosts') };
}

test('Build (command and task): ACRN validator findings in the Problems panel at the scenario line', { timeout: 240_000 }, async (t) => {
  const { workspace, env, settings } = buildWorkspace('build', SCENARIO);
  // The acrn-nest task type in tasks.json, as the default build task, with the $acrn-nest matcher.
  mkdirSync(path.join(workspace, '.vscode'));
  writeFileSync(
    path.join(workspace, '.vscode', 'tasks.json'),
    JSON.stringify({ version: '2.0.0', tasks: [{ label: 'ACRN: build', type: 'acrn-nest', action: 'build', scenario: '${workspaceFolder}/scenarios/nested.xml', problemMatcher: '$acrn-nest', group: { kind: 'build', isDefault: true }, presentation: { reveal: 'never' } }] }, null, 2),
  );
  const cs = await startCodeServer({ workspace, name: 'build', env, settings });
  t.after(() => cs.stop());

  await cs.openFile('scenarios/nested.xml');
  // The status-bar buttons appear for a scenario.
  await cs.waitForStatusBar(/Build[\s\S]*Deploy/);
  const sched = lineCol(SCENARIO, 'SCHED_FOO');
  const lapic = lineCol(SCENARIO, '<lapic_passthrough>y', '<lapic_passthrough>'.length);

  // 1. The command: findings from the diagnostics collection (with their codes).
  await cs.runCommand('acrn-nest: Build Hypervisor');
  const text = await cs.waitForProblems(new RegExp(`ACRN validator: value must be one of[\\s\\S]*?\\[Ln ${sched.line}, Col ${sched.col}\\]`), 60_000);
  assert.match(text, new RegExp(`ACRN validator: The Service VM may not use LAPIC passthrough[\\s\\S]*?\\[Ln ${lapic.line}, Col ${lapic.col}\\]`));
  assert.match(text, /acrn-nest build/);
  await cs.screenshot('build-validator-problems');
  // The failure notification names the step.
  await cs.waitForText('.notifications-toasts', /Build failed at build \(validate\): ACRN's validator rejected the scenario: 2 error\(s\)/, 30_000);

  // 2. The task from tasks.json: its terminal output goes through the $acrn-nest problem matcher
  // (those problems carry no code, the command's do).
  await cs.runCommand('Tasks: Run Build Task');
  await cs.problems(); // the Problems panel stays in front (the task's terminal is not revealed)
  // A matcher problem: message, source, position (no code line between source and position).
  const fromTask = await cs.waitForProblems(new RegExp(`ACRN validator: value must be one of[^\\n]*\\s+acrn-nest build\\s+\\[Ln ${sched.line}, Col ${sched.col}\\]`), 60_000);
  assert.match(fromTask, new RegExp(`may not use LAPIC passthrough[^\\n]*\\s+acrn-nest build\\s+\\[Ln ${lapic.line}, Col ${lapic.col}\\]`));
  await cs.screenshot('build-task-problems');
});

test('Build and Deploy to the board simulator: modal host-key trust, five steps, ACRN running', { timeout: 180_000 }, async (t) => {
  const { workspace, env, settings, key, sim, knownHosts } = await deployWorkspace('deploy', {});
  t.after(() => sim.stop());
  const cs = await startCodeServer({
    workspace,
    name: 'build-deploy',
    env,
    settings: {
      ...settings,
      'acrnNest.targets': [{ name: 'sim', host: '127.0.0.1', port: sim.port, user: 'acrn', identityFile: key, knownHostsFile: knownHosts }],
      'acrnNest.defaultTarget': 'sim',
    },
  });
  t.after(() => cs.stop());

  await cs.openFile('scenarios/nested.xml');
  await cs.waitForStatusBar(/Build[\s\S]*Deploy/);
  const bootsBefore = sim.bootCount;
  await cs.runCommand('acrn-nest: Build and Deploy');
  // A deploy reboots the board: a modal asks first (issue 11 defect 6), nothing sent before.
  const reboot = cs.page.locator('.monaco-dialog-box', { hasText: /reboots the board/ });
  await reboot.waitFor({ state: 'visible', timeout: 90_000 });
  assert.match(await reboot.innerText(), new RegExp(`Deploy to sim \\(acrn@127\\.0\\.0\\.1:${sim.port}\\) reboots the board`));
  assert.equal(sim.bootCount, bootsBefore, 'no reboot before the answer');
  assert.ok(!sim.commandLog.length, `nothing ran on the board before the answer: ${sim.commandLog.join('; ')}`);
  await cs.screenshot('build-deploy-reboot-question');
  await reboot.getByRole('button', { name: "Reboot, Don't Ask Again for This Target" }).click();
  // The unknown host key: a modal naming the host and the SHA256 fingerprint.
  const dialog = cs.page.locator('.monaco-dialog-box', { hasText: /host key/ });
  await dialog.waitFor({ state: 'visible', timeout: 60_000 });
  const text = await dialog.innerText();
  assert.match(text, new RegExp(`host key of 127\\.0\\.0\\.1:${sim.port} is not known`));
  assert.ok(text.includes(sim.hostFingerprint), text);
  assert.equal(existsSync(knownHosts), false, 'nothing recorded before the user agrees');
  await cs.screenshot('build-deploy-host-key');
  await dialog.getByRole('button', { name: 'Trust and Connect' }).click();
  await cs.waitForText('.notifications-toasts', /Build and Deploy: deployed to sim/, 90_000);
  assert.match(readFileSync(knownHosts, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sim.port} ssh-ed25519 `));
  assert.equal(sim.grubEnv().saved_entry, 'acrn-nest', 'the new entry became the default after ACRN came up');
  // After the deploy the hypervisor console tab opens by itself.
  await cs.waitForText('.part.panel', /ACRN hypervisor — sim/, 60_000);
  const done = await cs.screenshot('build-deploy-done');
  console.log(`screenshots: ${path.dirname(done)}`);
  // The README's picture of the main job: refreshed on request (the file is committed).
  if (process.env.ACRN_NEST_DOCS_SCREENSHOTS === '1') {
    mkdirSync(path.join(REPO, 'docs', 'images'), { recursive: true });
    copyFileSync(done, path.join(REPO, 'docs', 'images', 'build-and-deploy.png'));
  }
});

test('Select Target, the sudo password (asked once, kept, forgotten) and Clean ACRN Build', { timeout: 300_000 }, async (t) => {
  const PASSWORD = "s3cret 'pw' $x";
  const { workspace, env, settings, key, sim, knownHosts } = await deployWorkspace('targets', { sudoPassword: PASSWORD });
  t.after(() => sim.stop());
  writeFileSync(knownHosts, `[127.0.0.1]:${sim.port} ${sim.hostKeyPub}\n`);
  const sim2 = { name: 'other', host: '127.0.0.1', port: sim.port, user: 'someone', identityFile: key, knownHostsFile: knownHosts };
  const cs = await startCodeServer({
    workspace,
    name: 'targets',
    env,
    settings: {
      ...settings,
      'acrnNest.targets': [{ name: 'sim', host: '127.0.0.1', port: sim.port, user: 'acrn', identityFile: key, knownHostsFile: knownHosts }, sim2],
      'acrnNest.defaultTarget': 'sim',
    },
  });
  t.after(() => cs.stop());
  const page = cs.page;
  const quickTitle = (pattern: RegExp) => page.locator('.quick-input-widget .quick-input-title', { hasText: pattern });
  const toasts = '.notifications-toasts';
  // After a deploy the hypervisor console terminal opens and takes the focus; commands start from
  // the editor, as a user's would.
  const focusEditor = (): Promise<void> => page.locator('.editor-instance .monaco-editor .view-lines').first().click();
  const clearToasts = async (): Promise<void> => {
    await focusEditor();
    await cs.runCommand('Notifications: Clear All Notifications');
  };
  /** Runs a palette command whose first act is a quick pick / input box (runCommand waits for the palette to close). */
  const startCommand = async (title: string): Promise<void> => {
    await focusEditor();
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: title }) }).first().click();
  };

  await cs.openFile('scenarios/nested.xml');
  await cs.waitForStatusBar(/Build[\s\S]*Deploy/);

  // 1. sudo asks for a password: acrn-nest asks once (a password box), then deploys. First the
  // reboot question (once: "Don't ask again for this target").
  await cs.runCommand('acrn-nest: Build and Deploy');
  const reboot = page.locator('.monaco-dialog-box', { hasText: /reboots the board/ });
  await reboot.waitFor({ state: 'visible', timeout: 90_000 });
  await reboot.getByRole('button', { name: "Reboot, Don't Ask Again for This Target" }).click();
  await quickTitle(/sudo password for acrn@127\.0\.0\.1/).waitFor({ state: 'visible', timeout: 90_000 });
  assert.equal(await page.locator('.quick-input-widget .quick-input-box input').getAttribute('type'), 'password', 'the box hides what is typed');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await cs.waitForText(toasts, /Build and Deploy: deployed to sim/, 90_000);
  assert.equal(sim.grubEnv().saved_entry, 'acrn-nest');
  assert.ok(!sim.commandLog.some((l) => l.includes(PASSWORD)), 'the password never appears in a command line');
  const settingsFile = path.join(cs.userDataDir, 'User', 'settings.json');
  assert.ok(!readFileSync(settingsFile, 'utf8').includes(PASSWORD), 'nor in settings');

  // 2. Kept in SecretStorage: the next deploy does not ask (it would wait for the box forever).
  await clearToasts();
  const boots = sim.bootCount;
  await cs.runCommand('acrn-nest: Build and Deploy');
  await cs.waitForText(toasts, /Build and Deploy: deployed to sim/, 90_000);
  assert.equal(sim.bootCount, boots + 1, 'deployed (and rebooted) again');

  // 3. Forget Sudo Password: the next deploy asks again; Escape cancels it.
  await clearToasts();
  await cs.runCommand('acrn-nest: Forget Sudo Password');
  await cs.waitForText(toasts, /sudo password for sim forgotten/);
  await clearToasts();
  await cs.runCommand('acrn-nest: Build and Deploy');
  await quickTitle(/sudo password for acrn@127\.0\.0\.1/).waitFor({ state: 'visible', timeout: 90_000 });
  await cs.screenshot('targets-sudo-password');
  await page.keyboard.press('Escape');
  await cs.waitForText(toasts, /Build and Deploy failed/, 60_000);
  assert.equal(sim.bootCount, boots + 1, 'no deploy without the password');

  // 4. Select Target: always asks, the current default first; the pick becomes the workspace's default.
  await clearToasts();
  await startCommand('acrn-nest: Select Target');
  await quickTitle(/target for deploying/).waitFor({ state: 'visible' });
  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  assert.match(await rows.first().innerText(), /sim[\s\S]*the current default/);
  await rows.filter({ hasText: 'someone@127.0.0.1' }).first().click();
  await cs.waitForText(toasts, /deploying to other \(someone@127\.0\.0\.1:\d+\) from now on/);
  const ws = JSON.parse(readFileSync(path.join(workspace, '.vscode', 'settings.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(ws['acrnNest.defaultTarget'], 'other');

  // 5. Clean ACRN Build (make clean): make clean in the tree removes the build output.
  const out = path.join(workspace, 'acrn', 'build', 'hypervisor');
  assert.ok(existsSync(out), 'built before');
  await focusEditor();
  await cs.runCommand('acrn-nest: Clean ACRN Build (make clean)');
  await cs.waitForText(toasts, /make clean done in/, 60_000);
  assert.equal(existsSync(out), false, 'make clean removed build/hypervisor');
});

// The deploy notification names the target as the user knows it: Add Target names an
// ~/.ssh/config host by its alias ("sim-board"), and until issue 11's walkthrough test the
// messages dropped an alias name and said only "deployed to acrn@127.0.0.1:PORT".
test('the walkthrough, from a fresh profile to a deployed board and the hypervisor console (issue 11)', { timeout: 300_000 }, async (t) => {
  const { workspace, env, key, sim, knownHosts } = await deployWorkspace('walkthrough', {});
  t.after(() => sim.stop());
  // A fresh profile: no acrnNest settings at all. The board is an ~/.ssh/config host (HOME of this test).
  const home = path.join(workspace, '.home');
  mkdirSync(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
  writeFileSync(path.join(home, '.ssh', 'config'), `Host sim-board\n  HostName 127.0.0.1\n  Port ${sim.port}\n  User acrn\n  IdentityFile ${key}\n  UserKnownHostsFile ${knownHosts}\n`, { mode: 0o600 });
  // The DOM renderer keeps the terminal's text in the page (the console's lines are read below).
  const cs = await startCodeServer({ workspace, name: 'walkthrough', env: { ...env, HOME: home }, settings: { 'terminal.integrated.gpuAcceleration': 'off' } });
  t.after(() => cs.stop());
  const page = cs.page;
  const shots: string[] = [];
  const shot = async (name: string): Promise<void> => void shots.push(await cs.screenshot(`walkthrough-${name}`));
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const palette = async (title: string): Promise<void> => {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: title }) }).first().click();
  };
  /** VS Code's simple file dialog (code-server has no native one): type the path, accept. */
  const chooseInDialog = async (p: string): Promise<void> => {
    await input.waitFor({ state: 'visible' });
    // The dialog shows its start folder at once, reads it, then lists it and writes the folder into
    // the box again (over anything typed before): type once it lists the folder (the ".." row).
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.quick-input-widget .quick-input-list .monaco-list-row')).some((r) => (r as HTMLElement).innerText.trim().startsWith('..')));
    await input.fill(p);
    await page.waitForFunction((want) => (document.querySelector('.quick-input-widget .quick-input-box input') as HTMLInputElement | null)?.value === want, p);
    await page.keyboard.press('Enter');
    // A folder typed in is entered first (a file is accepted at once); the dialog then lists it and
    // rewrites the box. Once it has, its own accept button (the "Choose" beside the box) takes the
    // folder: a second Enter pressed while it still lists is dropped (seen under load in CI).
    const closed = await input.waitFor({ state: 'hidden', timeout: 5000 }).then(() => true, () => false);
    if (!closed) {
      await page.waitForFunction(() => Array.from(document.querySelectorAll('.quick-input-widget .quick-input-list .monaco-list-row')).some((r) => (r as HTMLElement).innerText.trim().startsWith('..')));
      await page.locator('.quick-input-widget .quick-input-action .monaco-button').first().click();
      await input.waitFor({ state: 'hidden' });
    }
  };
  const step = (title: string) => page.locator('.getting-started-step', { hasText: title });
  /** A step ticked off: its checkbox shows the pass icon. */
  const done = (title: string) => ({
    waitFor: async (o: { timeout: number }): Promise<void> => {
      const el = page.locator('.getting-started-step[aria-checked="true"]', { hasText: title }).first();
      await el.waitFor(o).catch(async (e: unknown) => {
        throw new Error(`walkthrough step "${title}" not ticked off: ${await step(title).first().evaluate((n) => n.outerHTML).catch(() => '?')}`, { cause: e });
      });
    },
  });
  const openWalkthrough = async (): Promise<void> => {
    await palette('Welcome: Open Walkthrough...');
    await input.fill('acrn-nest');
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'from install to a deployed board' }).first().click();
    await step('Pick the ACRN tree').waitFor({ state: 'visible' });
  };

  // 0. The walkthrough, and acrn-nest's own activity-bar container with the Project view.
  await openWalkthrough();
  await shot('0-start');
  await page.locator('.activitybar .action-item a[aria-label^="acrn-nest"]').click();
  await cs.waitForText('.part.sidebar', /Project[\s\S]*ACRN tree\s*not set/i);

  // 1. The ACRN tree, from the step's button.
  await step('Pick the ACRN tree').click();
  await page.getByRole('button', { name: 'Choose ACRN Tree...' }).click();
  await chooseInDialog(path.join(workspace, 'acrn'));
  await done('Pick the ACRN tree').waitFor({ timeout: 30_000 });
  // 2. A scenario in the editor.
  await cs.openFile('scenarios/nested.xml');
  // The status item that builds and deploys says so.
  await cs.waitForStatusBar(/Build and Deploy/);
  // The dialect item opens the useful actions; "Lint workspace" checks every XML file of the workspace.
  await page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: /ACRN v[\d.x]+ scenario/ }).first().click();
  await page.locator('.quick-input-widget .quick-input-title', { hasText: /detected from/ }).waitFor({ state: 'visible' });
  const actions = await page.locator('.quick-input-widget .quick-input-list').innerText();
  for (const a of ['Open NVMX wizard', 'Choose ACRN tree...', 'Choose Board XML...', 'Lint workspace', 'Show acrn-nest log']) assert.ok(actions.includes(a), `the dialect item offers "${a}": ${actions}`);
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Lint workspace' }).first().click();
  await cs.waitForText('.notifications-toasts', /linted \d+ XML file\(s\) of the workspace/, 60_000);
  await page.locator('.markers-panel').waitFor({ state: 'visible' });
  // 3. The board XML.
  await palette('acrn-nest: Choose Board XML...');
  await chooseInDialog(path.join(workspace, 'boards', 'fake.xml'));
  // 4. Add Target...: the ~/.ssh/config host, the host-key fingerprint, the setting written.
  await palette('acrn-nest: Add Target...');
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'sim-board' }).first().click();
  const hostKey = page.locator('.monaco-dialog-box', { hasText: /host key/ });
  await hostKey.waitFor({ state: 'visible', timeout: 60_000 });
  assert.ok((await hostKey.innerText()).includes(sim.hostFingerprint));
  await shot('4-host-key');
  await hostKey.getByRole('button', { name: 'Trust and Connect' }).click();
  await cs.waitForText('.notifications-toasts', new RegExp(`target sim-board added: acrn@127\\.0\\.0\\.1:${sim.port}, host key ${sim.hostFingerprint.replace(/[+/]/g, '\\$&')}`), 60_000);
  // 5 + 6. Build and Deploy (the build picks a python3 with ACRN's modules by itself); the reboot question.
  await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
  await cs.runCommand('acrn-nest: Build Hypervisor');
  await cs.waitForText('.notifications-toasts', /Build: (built|up to date)/, 120_000);
  await cs.runCommand('acrn-nest: Build and Deploy');
  const reboot = page.locator('.monaco-dialog-box', { hasText: /reboots the board/ });
  await reboot.waitFor({ state: 'visible', timeout: 90_000 });
  await shot('6-reboot-question');
  await reboot.getByRole('button', { name: 'Reboot', exact: true }).click();
  await cs.waitForText('.notifications-toasts', new RegExp(`Build and Deploy: deployed to sim-board \\(acrn@127\\.0\\.0\\.1:${sim.port}\\), rebooted, ACRN running`), 120_000);
  assert.equal(sim.grubEnv().saved_entry, 'acrn-nest', 'the new entry became the default after ACRN came up');
  // 7. The hypervisor console opened by itself.
  await cs.waitForText('.part.panel', /ACRN hypervisor — sim-board/, 60_000);
  // Add Target set no console, so it is the hypervisor log over SSH (a board with a shell has it;
  // the simulator answers that one script): what the hypervisor logged since it booted.
  await cs.waitForText('.xterm-rows', /hypervisor log \(acrnlog\) on sim-board[\s\S]*ACRN Hypervisor \(simulated by acrn-nest board simulator\)[\s\S]*vm0 \(ACRN_Service_VM\) started/, 60_000);
  await shot('7-console');
  // The Project view (acrn-nest's container; the Explorer was in front since the scenario was
  // opened) keeps the last deploy's result after the notification is gone.
  await page.locator('.activitybar .action-item a[aria-label^="acrn-nest"]').click();
  await cs.waitForText('.part.sidebar', /Last deploy[\s\S]*deployed to sim-board \(acrn@127\.0\.0\.1:\d+\), rebooted, ACRN running/);
  await shot('7-project-view');
  // The walkthrough has every step done.
  await openWalkthrough();
  for (const title of ['Pick the ACRN tree', 'Open or create a scenario', 'Choose the board XML', 'Add a target', 'Build', 'Build and Deploy', 'Open the hypervisor console']) {
    await done(title).waitFor({ timeout: 30_000 });
  }
  await shot('8-all-done');
  console.log(`walkthrough screenshots:\n${shots.join('\n')}`);
});
