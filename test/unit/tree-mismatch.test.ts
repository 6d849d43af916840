/**
 * Issue 11 defect 1: a scenario whose dialect does not match the configured ACRN tree's version is
 * flagged as soon as it is opened (a warning on the root element), with a quick fix
 * "Choose ACRN tree..." that runs the extension's command. No diagnostic when they match.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-protocol';
import { Commands } from '../../extension/constants';
import { CHOOSE_TREE_COMMAND } from '../../language-server/features/treeMismatch';
import { inProcessServer } from './lsp-inprocess';

function fakeTree(dir: string, major: number, minor: number): string {
  const t = path.join(dir, `acrn-v${major}.${minor}`);
  mkdirSync(path.join(t, 'misc', 'config_tools'), { recursive: true });
  mkdirSync(path.join(t, 'hypervisor'), { recursive: true });
  writeFileSync(path.join(t, 'VERSION'), `MAJOR_VERSION=${major}\nMINOR_VERSION=${minor}\nEXTRA_VERSION=\n`);
  writeFileSync(path.join(t, 'Makefile'), '# fake\n');
  return t;
}

test('a v2 scenario with a v3.3 tree configured: a warning on <acrn-config> and "Choose ACRN tree..."', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-mismatch-'));
  const v33 = fakeTree(dir, 3, 3);
  const v26 = fakeTree(dir, 2, 6);
  const server = await inProcessServer({ acrnTree: v33 });
  t.after(() => {
    server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const text = readFileSync(path.join(__dirname, '..', '..', 'demo', 'workspace', 'nuc-v26-nested.xml'), 'utf8');
  const uri = pathToFileURL(path.join(dir, 'nuc-v26-nested.xml')).toString();
  const isMismatch = (d: Diagnostic): boolean => d.code === 'scenario/tree-mismatch';
  const got = server.diagnostics(uri, (ds) => ds.some(isMismatch));
  server.open(uri, text);
  const diags = await got;
  const d = diags.find(isMismatch)!;
  assert.match(d.message, /v2 scenario .* ACRN tree .* is v3\.3/);
  const rootLine = text.split('\n').findIndex((l) => l.includes('<acrn-config'));
  assert.equal(d.range.start.line, rootLine);
  const actions = await server.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d], only: ['quickfix'] } });
  const fix = actions.find((a) => a.title === 'Choose ACRN tree...');
  assert.ok(fix, JSON.stringify(actions.map((a) => a.title)));
  assert.equal(fix.command?.command, Commands.chooseAcrnTree);
  assert.equal(CHOOSE_TREE_COMMAND, Commands.chooseAcrnTree);
  // The tree of the scenario's own version: the warning goes away.
  const cleared = server.diagnostics(uri, (ds) => !ds.some(isMismatch));
  await server.configure({ acrnTree: v26 });
  await cleared;
});

test('each scenario is checked against its own folder\'s tree (a v2.6 folder and a v3.3 folder, as the demo has)', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-mismatch-'));
  const v33 = fakeTree(dir, 3, 3);
  const v26 = fakeTree(dir, 2, 6);
  const v2Folder = pathToFileURL(path.join(dir, 'v2.6')).toString();
  const server = await inProcessServer({ acrnTree: v33 }, { scoped: (scope) => (scope.startsWith(`${v2Folder}/`) ? { acrnTree: v26 } : undefined) });
  t.after(() => {
    server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const demo = (f: string): string => readFileSync(path.join(__dirname, '..', '..', 'demo', 'workspace', f), 'utf8');
  const v2uri = `${v2Folder}/nuc-v26-nested.xml`;
  const v3uri = pathToFileURL(path.join(dir, 'v3.3', 'nuc11-v33-shared.xml')).toString();
  for (const [uri, text] of [[v2uri, demo('nuc-v26-nested.xml')], [v3uri, demo('nuc11-v33-shared.xml')]] as const) {
    const got = server.diagnostics(uri);
    server.open(uri, text);
    const diags = await got;
    assert.deepEqual(diags.filter((d) => d.code === 'scenario/tree-mismatch').map((d) => d.message), [], uri);
  }
});
