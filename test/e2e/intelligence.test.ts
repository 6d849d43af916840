/**
 * Scenario intelligence in the real editor: the packaged VSIX in code-server + Chromium, a v3.3
 * scenario with no ACRN tree around it (so the bundled v3.3 model answers) and a board file set
 * in acrnNest.boardFile. A completion list inside SCHEDULER's value, the board's serial ports in
 * SERIAL_CONSOLE, and the hover on nested_virtualization_support (with the recipe's restriction)
 * are read back from the workbench; screenshots are kept in test-results/e2e/.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { packageVsix, REPO, startCodeServer, WAIT_MS, writeWorkspace } from './harness';

const demo = (name: string): string => readFileSync(path.join(REPO, 'demo', 'workspace', name), 'utf8');
const scenario = demo('nuc11-v33-shared.xml');
const board = demo('nuc11tnbi5-board.xml');

/** 1-based line and column of the first occurrence of `needle`, plus `delta` characters. */
function lineCol(text: string, needle: string, delta = 0): string {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `${needle} not in the scenario`);
  const before = text.slice(0, i + delta);
  return `${before.split('\n').length}:${i + delta - (before.lastIndexOf('\n') + 1) + 1}`;
}

/** Moves the cursor with Go to Line/Column (Ctrl+G) in the active editor. */
async function goTo(page: Page, where: string): Promise<void> {
  await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: WAIT_MS });
  await input.fill(`:${where}`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: WAIT_MS });
}

/** Opens the suggest widget at the cursor and returns its text once it matches. */
async function suggest(page: Page, pattern: RegExp): Promise<string> {
  const widget = page.locator('.editor-widget.suggest-widget');
  let text = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.keyboard.press('Control+Space');
    try {
      await widget.filter({ hasText: pattern }).waitFor({ state: 'visible', timeout: WAIT_MS / 3 });
      return await widget.innerText();
    } catch {
      text = await widget.innerText().catch(() => '');
      await page.keyboard.press('Escape');
    }
  }
  throw new Error(`the completion list never matched ${pattern}; last seen: ${text}`);
}

before(() => {
  packageVsix();
});

test('VSIX in code-server: completions and hover from the schema, values from the board', { timeout: 300_000 }, async (t) => {
  const workspace = writeWorkspace('intelligence', { 'scenarios/shared.xml': scenario, 'boards/nuc11tnbi5.xml': board });
  const cs = await startCodeServer({ workspace, name: 'intelligence', settings: { 'acrnNest.boardFile': path.join(workspace, 'boards', 'nuc11tnbi5.xml'), 'editor.quickSuggestions': { other: false, comments: false, strings: false } } });
  t.after(() => cs.stop());
  const { page } = cs;

  await cs.openFile('scenarios/shared.xml');
  await cs.waitForStatusBar(/ACRN v3\.x scenario/);

  // 1. Inside SCHEDULER's value: the scheduler values, in schema order.
  await goTo(page, lineCol(scenario, '<SCHEDULER>SCHED_BVT', '<SCHEDULER>SCHED_'.length));
  const list = await suggest(page, /SCHED_NOOP/);
  for (const v of ['SCHED_NOOP', 'SCHED_IORR', 'SCHED_BVT', 'SCHED_PRIO']) assert.match(list, new RegExp(v));
  await cs.screenshot('intelligence-completion');
  await page.keyboard.press('Escape');

  // 2. SERIAL_CONSOLE: the board's serial ports (acrn:options over the board file).
  const serial = scenario.match(/<SERIAL_CONSOLE>([^<]*)<\/SERIAL_CONSOLE>/);
  assert.ok(serial, 'the demo scenario sets SERIAL_CONSOLE');
  await goTo(page, lineCol(scenario, serial[0], '<SERIAL_CONSOLE>'.length));
  const ports = await suggest(page, /from nuc11tnbi5|\/dev\/ttyS0/);
  assert.match(ports, /\/dev\/ttyS0/);
  await cs.screenshot('intelligence-board-values');
  await page.keyboard.press('Escape');

  // 3. Hover on nested_virtualization_support: schema documentation + the recipe's restriction.
  await goTo(page, lineCol(scenario, '<nested_virtualization_support>', 5));
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+I');
  const hover = page.locator('.monaco-hover').filter({ hasText: /Only KVM is supported as the L1 hypervisor/ });
  await hover.waitFor({ state: 'visible', timeout: WAIT_MS });
  // The hover fades in: wait for its (finite) CSS animations, on it and its ancestors, to finish.
  await hover.evaluate(async (el) => {
    const anims: Animation[] = [];
    for (let n: Element | null = el; n; n = n.parentElement) anims.push(...n.getAnimations().filter((a) => a.effect?.getComputedTiming().iterations !== Infinity));
    await Promise.all(anims.map((a) => a.finished));
  });
  const hoverText = await hover.innerText();
  assert.match(hoverText, /nested_virtualization_support/);
  assert.match(hoverText, /Default: n/);
  assert.match(hoverText, /bundled with acrn-nest/, 'no ACRN tree here: the bundled v3.3 model answered');
  await cs.screenshot('intelligence-hover');
});
