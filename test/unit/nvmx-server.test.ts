/** The server side of NVMX: quick fixes from the current analysis (never stale), CodeLenses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CodeLens, Connection, Diagnostic } from 'vscode-languageserver/node';
import { AnalysisCache } from '../../language-server/documents';
import { toDiagnostic } from '../../language-server/convert';
import type { ServerContext } from '../../language-server/features/feature';
import { NVMX_WIZARD_COMMAND, nvmxCodeActions, nvmxLensFeature } from '../../language-server/features/nvmxActions';
import { applyEdits } from '../../hv-core/nvmx/textEdits';
import { LineIndex } from '../../hv-core/xml/positions';
import { nvmxStatus, planEnable } from '../../hv-core/nvmx/engine';
import { nvmxSummary } from '../../hv-core/nvmx/state';

const URI = 'file:///ws/scenario.xml';
const TEXT = `<acrn-config board="b" scenario="s">
  <hv>
    <DEBUG_OPTIONS><RELEASE>y</RELEASE></DEBUG_OPTIONS>
    <FEATURES>
      <SCHEDULER>SCHED_BVT</SCHEDULER>
      <NVMX_ENABLED>y</NVMX_ENABLED>
    </FEATURES>
  </hv>
  <vm id="0">
    <vm_type>SOS_VM</vm_type>
    <guest_flags>
      <guest_flag>GUEST_FLAG_NVMX_ENABLED</guest_flag>
      <guest_flag>GUEST_FLAG_LAPIC_PASSTHROUGH</guest_flag>
    </guest_flags>
    <legacy_vuart id="0"><base>INVALID_COM_BASE</base></legacy_vuart>
    <console_vuart id="0"><base>PCI_VUART</base></console_vuart>
  </vm>
</acrn-config>
`;

function context(doc: TextDocument): { ctx: ServerContext; lens: () => CodeLens[] } {
  let lensHandler: ((p: { textDocument: { uri: string } }) => CodeLens[]) | undefined;
  const connection = { onCodeLens: (h: typeof lensHandler) => (lensHandler = h) } as unknown as Connection;
  const docs = new Map([[doc.uri, doc]]);
  const ctx = {
    connection,
    documents: { get: (u: string) => docs.get(u) },
    cache: new AnalysisCache(() => ({})),
    settings: () => ({ acrnTree: '', boardFile: '', maxFileSizeMB: 10 }),
    guard: <T>(_w: string, _f: T, fn: () => T): T => fn(),
    revalidateAll: () => {},
  } as unknown as ServerContext;
  nvmxLensFeature.register(ctx);
  return { ctx, lens: () => lensHandler!({ textDocument: { uri: doc.uri } }) };
}

function diagnostics(ctx: ServerContext, doc: TextDocument): Diagnostic[] {
  const st = ctx.cache.get(doc);
  return st.analysis.findings.filter((f) => f.code.startsWith('nvmx/')).map((f) => toDiagnostic(doc.uri, st.lines, f));
}

test('quick fix for nvmx/sched-noop: a versioned WorkspaceEdit that clears the finding', () => {
  const doc = TextDocument.create(URI, 'xml', 1, TEXT);
  const { ctx } = context(doc);
  const diags = diagnostics(ctx, doc);
  const d = diags.find((x) => x.code === 'nvmx/sched-noop')!;
  assert.ok(d, `diagnostics: ${diags.map((x) => x.code).join(', ')}`);
  const actions = nvmxCodeActions(ctx, URI, [d]);
  assert.equal(actions.length, 1);
  const a = actions[0]!;
  assert.equal(a.title, 'Set SCHEDULER to SCHED_NOOP (remembering the old value)');
  assert.equal(a.isPreferred, true);
  const change = a.edit!.documentChanges![0] as { textDocument: { version: number }; edits: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[] };
  assert.equal(change.textDocument.version, 1);
  const lines = new LineIndex(TEXT);
  const fixed = applyEdits(TEXT, change.edits.map((e) => ({ start: lines.offsetAt(e.range.start), end: lines.offsetAt(e.range.end), newText: e.newText })));
  assert.ok(fixed.includes('<SCHEDULER>SCHED_NOOP</SCHEDULER> <!-- acrn-nest: SCHEDULER was SCHED_BVT -->'));
  const doc2 = TextDocument.create(URI, 'xml', 2, fixed);
  const { ctx: ctx2 } = context(doc2);
  assert.equal(diagnostics(ctx2, doc2).filter((x) => x.code === 'nvmx/sched-noop').length, 0);
});

test('a diagnostic from an older version of the document gets no (stale) fix', () => {
  const doc = TextDocument.create(URI, 'xml', 1, TEXT);
  const { ctx } = context(doc);
  const d = diagnostics(ctx, doc).find((x) => x.code === 'nvmx/sched-noop')!;
  // The user typed a line above: the old diagnostic's range no longer matches any finding.
  TextDocument.update(doc, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '<!-- x -->\n' }], 2);
  assert.deepEqual(nvmxCodeActions(ctx, URI, [d]), []);
  // Non-nvmx diagnostics are not ours.
  assert.deepEqual(nvmxCodeActions(ctx, URI, [{ ...d, code: 'schema/enum' }]), []);
});

test('CodeLenses above FEATURES and above the Service VM open the wizard', () => {
  const doc = TextDocument.create(URI, 'xml', 1, TEXT);
  const { lens } = context(doc);
  const lenses = lens();
  assert.equal(lenses.length, 2);
  assert.deepEqual(lenses.map((l) => l.range.start.line), [3, 8]);
  for (const l of lenses) {
    assert.equal(l.command!.command, NVMX_WIZARD_COMMAND);
    assert.deepEqual(l.command!.arguments, [URI]);
    // Issue 11 defect 4: NVMX_ENABLED is y but SCHEDULER is SCHED_BVT: not "on", partly on, with the count.
    assert.match(l.command!.title, /^Nested virtualization: partly on \(\d+ of \d+ steps\)/);
  }
  const st = nvmxStatus(TEXT);
  const applicable = st.steps.filter((x) => !x.notApplicable);
  assert.deepEqual(nvmxSummary(st), { state: 'partly', satisfied: applicable.filter((x) => x.satisfied).length, total: applicable.length, text: `partly on (${applicable.filter((x) => x.satisfied).length} of ${applicable.length} steps)` });
  // Enabled by the wizard but no board known: the pCPU step cannot be checked, so still not "on".
  const fixed = planEnable(TEXT, { defaultChoice: 'remove' }).result;
  assert.equal(nvmxSummary(nvmxStatus(fixed)).text, `partly on (${applicable.length - 1} of ${applicable.length} steps)`);
  assert.deepEqual(nvmxSummary({ enabled: true, complete: true, steps: applicable.map((x) => ({ ...x, satisfied: true })) }).text, 'on');
  const off = TEXT.replace('<NVMX_ENABLED>y</NVMX_ENABLED>', '<NVMX_ENABLED>n</NVMX_ENABLED>').replace('<guest_flag>GUEST_FLAG_NVMX_ENABLED</guest_flag>', '');
  assert.equal(nvmxSummary(nvmxStatus(off)).state, 'off');
  // Not for board files or broken files.
  const board = TextDocument.create('file:///ws/b.xml', 'xml', 1, '<acrn-config board="b"><BIOS_INFO/><processors/></acrn-config>');
  assert.deepEqual(context(board).lens(), []);
});
