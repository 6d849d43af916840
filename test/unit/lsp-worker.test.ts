/**
 * The language server's full analysis runs in a worker thread (language-server/documents.ts,
 * analysis-worker.ts): requests are answered from the light analysis while ACRN's checks run, the
 * diagnostics come from the full one, and a newer version of the document supersedes an older one
 * (never published). In-process server, real worker, real ACRN tree and board; no sleeps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { acrnTree, hasAcrnData } from './helpers';
import { inProcessServer } from './lsp-inprocess';
import { grown } from '../../scripts/bench/growth';
import type { DocumentInfo } from '../../language-server/protocol';

const skip = !hasAcrnData() && 'needs ../shared/acrn-data';
const dir = (): string => path.join(acrnTree('v3.3'), 'misc', 'config_tools', 'data', 'nuc11tnbi5');

test('requests are answered while the full analysis runs in the worker; diagnostics come from the full one', { skip }, async (t) => {
  const s = await inProcessServer({ acrnTree: acrnTree('v3.3'), boardFile: path.join(dir(), 'nuc11tnbi5.xml') });
  t.after(() => s.stop());
  // 16x the VMs: the datachecks take half a second on a quiet machine, the light analysis a tenth.
  const text = grown(readFileSync(path.join(dir(), 'shared_launch_6user_vm.xml'), 'utf8'), 16);
  const uri = 'file:///work/big-shared.xml';
  let diagnosticsAt = 0;
  const diags = s.diagnostics(uri).then((d) => {
    diagnosticsAt = performance.now();
    return d;
  });
  s.open(uri, text);
  const info = await s.request<DocumentInfo | null>('acrnNest/documentInfo/get', { uri });
  const infoAt = performance.now();
  const d = await diags;
  assert.ok(info, 'documentInfo answered');
  assert.ok(infoAt < diagnosticsAt, 'answered before the full analysis was published');
  const full = d.filter((x) => x.severity === 1).length;
  assert.ok(full > info.errors, `the answer came from the light analysis (${info.errors} errors) and the diagnostics from the full one (${full})`);
  assert.ok(d.some((x) => String(x.code).startsWith('datacheck/')), 'ACRN datachecks ran (in the worker)');
  assert.ok(!d.some((x) => x.code === 'internal-error'));
});

test('a newer version of the document supersedes the one being analysed: only the newest is published', { skip }, async (t) => {
  const s = await inProcessServer({ acrnTree: acrnTree('v3.3'), boardFile: path.join(dir(), 'nuc11tnbi5.xml') });
  t.after(() => s.stop());
  const small = readFileSync(path.join(dir(), 'shared_launch_6user_vm.xml'), 'utf8');
  const uri = 'file:///work/edited.xml';
  s.open(uri, grown(small, 64), 1);
  // The first version's analysis is queued or running; the edit cancels it.
  s.change(uri, small.replace('<SCHEDULER>SCHED_BVT</SCHEDULER>', '<SCHEDULER>SCHED_BVTT</SCHEDULER>'), 2);
  const d = await s.diagnostics(uri, (x) => x.some((y) => y.code === 'schema/enum'));
  assert.ok(d.length >= 1);
  assert.deepEqual(s.published.filter((p) => p.uri === uri).map((p) => p.version), [2], 'version 1 was never published');
});
