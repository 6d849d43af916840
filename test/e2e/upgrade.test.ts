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
  await cs.waitForText('.tabs-container', /shared\.v3\.xml/, WAIT_MS);
  await cs.waitForText('.tabs-container', /shared\.xml\.upgrade\.md/, WAIT_MS);
  const out = path.join(workspace, 'scenarios', 'shared.v3.xml');
  assert.ok(existsSync(out), 'shared.v3.xml was created');
  assert.match(readFileSync(out, 'utf8'), /<load_order>SERVICE_VM<\/load_order>/);
  assert.equal(readFileSync(path.join(workspace, 'scenarios', 'shared.xml'), 'utf8'), v2, 'the v2 file is untouched');
  await cs.screenshot('upgrade-report');
});
