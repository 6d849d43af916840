/**
 * "acrn-nest: Upgrade Scenario to v3…" in the real workbench: the VSIX in code-server, a v2.7
 * scenario and an ACRN v3.3 tree (its schema) set in acrnNest.acrnTree. The command creates
 * shared.v3.xml beside the v2 file, opens it, and shows the report beside it.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { acrnTree, hasAcrnData } from '../unit/helpers';
import { packageVsix, startCodeServer, WAIT_MS, writeWorkspace } from './harness';

function lineCol(text: string, needle: string): { line: number; col: number } {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, needle);
  const before = text.slice(0, i);
  return { line: before.split('\n').length, col: i - before.lastIndexOf('\n') };
}

before(() => {
  packageVsix();
});

test('VSIX in code-server: Upgrade Scenario to v3… writes NAME.v3.xml beside the v2 file and shows the report', { timeout: 300_000, skip: !hasAcrnData() && 'no ../shared/acrn-data' }, async (t) => {
  const v2 = readFileSync(path.join(acrnTree('v2.7'), 'misc', 'config_tools', 'data', 'whl-ipc-i5', 'shared.xml'), 'utf8');
  const workspace = writeWorkspace('upgrade', { 'scenarios/shared.xml': v2 });
  const tree = path.join(workspace, 'acrn-v3');
  cpSync(path.join(acrnTree('v3.3'), 'misc', 'config_tools', 'schema'), path.join(tree, 'misc', 'config_tools', 'schema'), { recursive: true });
  const cs = await startCodeServer({ workspace, name: 'upgrade', settings: { 'acrnNest.acrnTree': tree } });
  t.after(() => cs.stop());

  await cs.openFile('scenarios/shared.xml');
  await cs.waitForStatusBar(/ACRN v2\.7 scenario/);
  await cs.runCommand('acrn-nest: Upgrade Scenario to v3…');
  // The new file in the active group, the report (a Markdown preview) in the group beside it.
  await cs.waitForText('#workbench\\.parts\\.editor', /shared\.v3\.xml[\s\S]*shared\.xml\.upgrade\.md|shared\.xml\.upgrade\.md[\s\S]*shared\.v3\.xml/, WAIT_MS).catch(async (e: unknown) => {
    const notes = await cs.page.locator('.notifications-toasts').innerText().catch(() => '');
    await cs.screenshot('upgrade-failed');
    throw new Error(`${e instanceof Error ? e.message : String(e)}\nnotifications: ${notes}`);
  });
  // The report's text, in the Markdown preview's webview.
  const preview = cs.page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  await preview.locator('h1', { hasText: 'Upgrade of shared.xml to v3' }).waitFor({ state: 'visible', timeout: WAIT_MS });
  await preview.locator('table').first().waitFor({ state: 'visible', timeout: WAIT_MS });
  // Its rows link to the v2 lines: the first dropped value is LOG_DESTINATION.
  const at = lineCol(v2, '<LOG_DESTINATION>');
  const link = preview.locator('a', { hasText: `shared.xml:${at.line}:${at.col}` }).first();
  await link.waitFor({ state: 'visible', timeout: WAIT_MS });
  await cs.screenshot('upgrade-report');
  await link.click();
  await cs.waitForStatusBar(new RegExp(`Ln ${at.line}, Col ${at.col}\\b`));
  const out = path.join(workspace, 'scenarios', 'shared.v3.xml');
  assert.ok(existsSync(out), 'shared.v3.xml was created');
  assert.match(readFileSync(out, 'utf8'), /<load_order>SERVICE_VM<\/load_order>/);
  assert.equal(readFileSync(path.join(workspace, 'scenarios', 'shared.xml'), 'utf8'), v2, 'the v2 file is untouched');
});
