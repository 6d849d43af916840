/**
 * The NVMX wizard end to end: the VSIX in code-server, ACRN v3.3's official qemu `shared.xml`
 * scenario open, "acrn-nest: Nested Virtualization…" opens the webview, the checklist shows the
 * recipe's unmet steps, Apply enables nested virtualization as one edit, every step turns
 * satisfied (screenshot kept), the saved file is exactly the engine's plan, and one undo restores
 * the original bytes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import type { FrameLocator } from 'playwright-core';
import { planEnable } from '../../hv-core/nvmx/engine';
import { parseXml } from '../../hv-core/xml/parser';
import { acrnData, readAcrnFile } from '../acrn-data';
import { packageVsix, startCodeServer, WAIT_MS, writeWorkspace } from './harness';

const DATA = acrnData();
const skip = DATA.skip('v3.3');
const QEMU = path.join(DATA.tree('v3.3'), 'misc', 'config_tools', 'data', 'qemu');

before(() => {
  if (!skip) packageVsix();
});

test('NVMX wizard in code-server: enable, every recipe step satisfied, one undo restores the file', { timeout: 180_000, skip }, async (t) => {
  // POST_STD_VM1 pinned to pCPU 0, the Service VM's BSP (as shipped, on pCPU 1, it may stay: the
  // launch script offlines that pCPU from the Service VM under SCHED_NOOP; see docs/analysis.md).
  const scenario = readAcrnFile(path.join(QEMU, 'shared.xml')).replace('<pcpu_id>1</pcpu_id>', '<pcpu_id>0</pcpu_id>');
  const boardText = readAcrnFile(path.join(QEMU, 'qemu.xml'));
  const workspace = writeWorkspace('nvmx-wizard', { 'scenarios/shared.xml': scenario, 'boards/qemu.xml': boardText });
  const boardPath = path.join(workspace, 'boards', 'qemu.xml');
  const cs = await startCodeServer({ workspace, name: 'nvmx-wizard', settings: { 'acrnNest.boardFile': boardPath, 'files.autoSave': 'off' } });
  t.after(() => cs.stop());
  const { page } = cs;

  await cs.openFile('scenarios/shared.xml');
  await cs.waitForStatusBar(/ACRN v3\.x scenario/);
  await cs.runCommand('acrn-nest: Nested Virtualization…');

  // The webview: code-server nests the content in iframe.webview > iframe#active-frame.
  const view: FrameLocator = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  const steps = view.locator('[data-testid="steps"]');
  await steps.waitFor({ state: 'visible', timeout: WAIT_MS });
  await view.locator('[data-step="nested"][data-satisfied="false"]').waitFor({ timeout: WAIT_MS });
  assert.match(await view.locator('h1').innerText(), /shared\.xml/);
  assert.match(await view.locator('body').innerText(), /ACRN v3\.x scenario/);
  // The post-launched VM that would share the Service VM's pCPU is listed with a choice.
  await view.locator('[data-testid="sharing"] [data-vm="1"]').waitFor({ timeout: WAIT_MS });
  // The preview is the engine's exact plan.
  const diff = view.locator('[data-testid="diff"]');
  await diff.waitFor({ timeout: WAIT_MS });
  const diffText = await diff.innerText();
  assert.match(diffText, /\+\s*<SCHEDULER>SCHED_NOOP<\/SCHEDULER> <!-- acrn-nest: SCHEDULER was SCHED_BVT -->/);
  assert.match(diffText, /\+\s*<nested_virtualization_support>y<\/nested_virtualization_support>/);
  await cs.screenshot('nvmx-wizard-before');

  // Keyboard: the Apply button is reachable and works with Enter.
  const apply = view.locator('[data-testid="apply"]');
  await apply.focus();
  await page.keyboard.press('Enter');
  await view.locator('[data-testid="message"]').filter({ hasText: /Enabled nested virtualization/ }).waitFor({ timeout: WAIT_MS });
  // Re-validated after applying: the state is pushed again and every step is satisfied.
  await view.locator('[data-testid="nvmx-state"]', { hasText: 'ON' }).waitFor({ timeout: WAIT_MS });
  await view.locator('[data-step="nested"][data-satisfied="true"]').waitFor({ timeout: WAIT_MS });
  const unsatisfied = await view.locator('[data-testid="steps"] li[data-satisfied="false"]').count();
  assert.equal(unsatisfied, 0, 'every recipe step satisfied');
  assert.equal(await view.locator('[data-testid="steps"] li[data-satisfied="true"]').count(), await view.locator('[data-testid="steps"] li').count());
  await cs.screenshot('nvmx-wizard-enabled');

  // Save: the file on disk is exactly the engine's plan (choices: remove the sharing VM).
  const expected = planEnable(scenario, { board: parseXml(boardText), defaultChoice: 'remove' }).result;
  const file = path.join(workspace, 'scenarios', 'shared.xml');
  // The scenario's editor is in the first group (the wizard opened beside it): focus it.
  const editor = page.locator('.editor-instance .monaco-editor .view-lines').first();
  await editor.click();
  await page.keyboard.press('Control+S');
  await waitForFile(file, expected);

  // One undo restores the original, byte for byte.
  await editor.click();
  await page.keyboard.press('Control+Z');
  await page.keyboard.press('Control+S');
  await waitForFile(file, scenario);
});

// Issue 13: acrnNest.boardFile written with ${workspaceFolder} (or relative) reaches the wizard
// resolved (it used to be read raw, so the wizard worked without the board).
test('NVMX wizard: a ${workspaceFolder} board setting is resolved (the wizard names the board)', { timeout: 120_000, skip }, async (t) => {
  const workspace = writeWorkspace('nvmx-wizard-board', { 'scenarios/shared.xml': readAcrnFile(path.join(QEMU, 'shared.xml')), 'boards/qemu.xml': readAcrnFile(path.join(QEMU, 'qemu.xml')) });
  const cs = await startCodeServer({ workspace, name: 'nvmx-wizard-board', settings: { 'acrnNest.boardFile': '${workspaceFolder}/boards/qemu.xml', 'files.autoSave': 'off' } });
  t.after(() => cs.stop());
  await cs.openFile('scenarios/shared.xml');
  await cs.waitForStatusBar(/ACRN v3\.x scenario/);
  await cs.runCommand('acrn-nest: Nested Virtualization…');
  const view: FrameLocator = cs.page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  await view.locator('[data-testid="steps"]').waitFor({ state: 'visible', timeout: WAIT_MS });
  await view.locator('.meta').filter({ hasText: /board qemu\.xml/ }).waitFor({ timeout: WAIT_MS });
});

/** Waits (bounded, on polling the file the editor saves) until the file holds `text`. */
async function waitForFile(file: string, text: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  let last = '';
  while (Date.now() < deadline) {
    last = readFileSync(file, 'utf8');
    if (last === text) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(last, text, `${file} did not reach the expected content`);
}
