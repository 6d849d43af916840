/**
 * The scenario-intelligence LSP features through the language server (in-process, real LSP
 * messages): completion, hover, quick fixes and outline on ACRN's own v2.6 and v3.3 scenarios
 * with their own schema trees, the bundled fallback without a tree, and settings changes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { CodeAction, CompletionItem, CompletionList, Diagnostic, DocumentSymbol, Hover, MarkupContent, Position, TextEdit } from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { acrnTree, hasAcrnData, needs } from './helpers';
import type { InProcessServer } from './lsp-inprocess';
import { inProcessServer } from './lsp-inprocess';

const skip = !hasAcrnData();
const V33 = path.join(acrnTree('v3.3'), 'misc', 'config_tools', 'data', 'nuc11tnbi5', 'shared_launch_6user_vm.xml');
const V26 = path.join(acrnTree('v2.6'), 'misc', 'config_tools', 'data', 'nuc11tnbi5', 'industry.xml');
const CARET = '‸';
const NESTED_NOTE = 'Only KVM is supported as the L1 hypervisor, in 64-bit mode with EPT (recipe: Restrictions and Constraints)';

let server: InProcessServer;
let version = 1;
let tmp: string;

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-intel-'));
  server = await inProcessServer({ acrnTree: skip ? '' : acrnTree('v3.3'), boardFile: '', maxFileSizeMB: 10 });
});
after(() => {
  server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** Opens `text` as if it lived next to `file` (so its tree and board are found from it). */
function openAs(file: string, text: string): string {
  const uri = pathToFileURL(file.replace(/\.xml$/, `.t${version}.xml`)).toString();
  server.open(uri, text, version++);
  return uri;
}

/** Removes the caret marker; returns the text and the caret's position. */
function caret(text: string): { text: string; position: Position } {
  const i = text.indexOf(CARET);
  assert.ok(i >= 0, 'caret marker not found');
  const clean = text.slice(0, i) + text.slice(i + CARET.length);
  return { text: clean, position: TextDocument.create('x', 'xml', 0, clean).positionAt(i) };
}

function edit(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `text does not contain ${from}`);
  return text.replace(from, to);
}

async function complete(file: string, marked: string): Promise<CompletionItem[]> {
  const { text, position } = caret(marked);
  const uri = openAs(file, text);
  const r = await server.request<CompletionList | CompletionItem[] | null>('textDocument/completion', { textDocument: { uri }, position });
  return Array.isArray(r) ? r : (r?.items ?? []);
}

async function hover(file: string, marked: string): Promise<string> {
  const { text, position } = caret(marked);
  const uri = openAs(file, text);
  const h = await server.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position });
  return h ? (h.contents as MarkupContent).value : '';
}

function apply(text: string, edits: TextEdit[]): string {
  return TextDocument.applyEdits(TextDocument.create('x', 'xml', 0, text), edits);
}

function editsOf(a: CodeAction): TextEdit[] {
  const dc = a.edit?.documentChanges?.[0];
  assert.ok(dc && 'edits' in dc, 'a versioned text document edit');
  return dc.edits as TextEdit[];
}

/** Opens text, waits for a diagnostic matching pred, asks for its quick fixes. */
async function quickFixes(file: string, text: string, pred: (d: Diagnostic) => boolean): Promise<{ uri: string; diag: Diagnostic; actions: CodeAction[] }> {
  const uri = pathToFileURL(file.replace(/\.xml$/, `.t${version}.xml`)).toString();
  const got = server.diagnostics(uri, (ds) => ds.some(pred));
  server.open(uri, text, version++);
  const diags = await got;
  const diag = diags.find(pred)!;
  const actions = await server.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: diag.range, context: { diagnostics: [diag], only: ['quickfix'] } });
  return { uri, diag, actions };
}

const labels = (items: CompletionItem[]): string[] => [...items].sort((a, b) => (a.sortText ?? '').localeCompare(b.sortText ?? '')).map((i) => i.label);

test('v3.3: SCHEDULER values from the schema, default preselected, replacing the whole value', { skip }, async () => {
  const items = await complete(V33, edit(readFileSync(V33, 'utf8'), '<SCHEDULER>SCHED_BVT', `<SCHEDULER>SCHED_${CARET}BVT`));
  assert.deepEqual(labels(items), ['SCHED_NOOP', 'SCHED_IORR', 'SCHED_BVT', 'SCHED_PRIO']);
  const bvt = items.find((i) => i.label === 'SCHED_BVT')!;
  assert.equal(bvt.preselect, true);
  const te = bvt.textEdit as { insert: { start: Position; end: Position }; replace: { start: Position; end: Position } };
  assert.equal(te.replace.end.character - te.replace.start.character, 'SCHED_BVT'.length);
  assert.equal(te.insert.end.character - te.insert.start.character, 'SCHED_'.length);
  assert.match((bvt.documentation as MarkupContent).value, /Borrowed Virtual Time/);
});

test('v3.3: value completions carry the schema\'s description (acrn:title as detail, xs:documentation as markdown)', { skip }, async () => {
  const items = await complete(V33, edit(readFileSync(V33, 'utf8'), '<SCHEDULER>SCHED_BVT', `<SCHEDULER>${CARET}SCHED_BVT`));
  const bvt = items.find((i) => i.label === 'SCHED_BVT')!;
  // The value's acrn:title, and that it is the default, in the short line.
  assert.equal(bvt.detail, 'Borrowed Virtual Time — default');
  const doc = bvt.documentation as MarkupContent;
  assert.equal(doc.kind, 'markdown');
  // The bullet of SchedulerType's xs:documentation that describes this value, then the element's own.
  assert.match(doc.value, /^\*\*`SCHED_BVT`\*\* — Borrowed Virtual Time/);
  assert.match(doc.value, /virtual time-based scheduling algorithm\. It dispatches the runnable thread with the earliest effective virtual time/);
  assert.match(doc.value, /Select the scheduling algorithm for determining the priority of User VMs/);
  const noop = items.find((i) => i.label === 'SCHED_NOOP')!;
  assert.equal(noop.detail, 'No-Operation (NOOP)');
  assert.match((noop.documentation as MarkupContent).value, /strict one-to-one mapping between vCPUs and pCPUs/);
  // Board-derived values: where they come from, and what the setting is.
  const serial = await complete(V33, edit(readFileSync(V33, 'utf8'), '<SERIAL_CONSOLE>/dev/ttyS0</SERIAL_CONSOLE>', `<SERIAL_CONSOLE>${CARET}</SERIAL_CONSOLE>`));
  const tty = serial.find((i) => i.label === '/dev/ttyS0')!;
  assert.equal(tty.detail, 'from nuc11tnbi5 — Serial console port');
  assert.match((tty.documentation as MarkupContent).value, /Offered by the board file \(nuc11tnbi5\)[\s\S]*Select the host serial device used for hypervisor debugging/);
  // VM names offered as references: the element's description too.
  const names = await complete(V33, edit(readFileSync(V33, 'utf8'), '<vm_name>POST_STD_VM1</vm_name>', `<vm_name>${CARET}</vm_name>`));
  const ref = names.find((i) => i.label === 'ACRN_Service_VM')!;
  assert.match(ref.detail ?? '', /vm id=0/);
  assert.ok(((ref.documentation as MarkupContent | undefined)?.value ?? '').includes('**vm_name**'), JSON.stringify(ref.documentation));
});

test('v3.3: after "<" in FEATURES, the elements not yet present, in schema order, with defaults as snippet choices', { skip }, async () => {
  const items = await complete(V33, edit(readFileSync(V33, 'utf8'), '<FEATURES>', `<FEATURES>\n      <${CARET}`));
  const l = labels(items);
  assert.ok(!l.includes('RELOC_ENABLED') && !l.includes('SCHEDULER'), 'present elements are not offered again');
  assert.deepEqual(l.slice(0, 3), ['SERVICE_VM_SUPERVISOR_ENABLED', 'KEEP_IRQ_DISABLED', 'VUART_RX_BUF_SIZE']);
  const keep = items.find((i) => i.label === 'KEEP_IRQ_DISABLED')!;
  assert.equal(keep.insertTextFormat, 2);
  assert.equal((keep.textEdit as TextEdit & { insert: unknown }) && (keep.textEdit as { newText: string }).newText, 'KEEP_IRQ_DISABLED>${1|n,y|}</KEEP_IRQ_DISABLED>');
  // A partially typed tag name: the range covers what was typed.
  const typed = await complete(V33, edit(readFileSync(V33, 'utf8'), '<FEATURES>', `<FEATURES>\n      <KEE${CARET}`));
  const k2 = typed.find((i) => i.label === 'KEEP_IRQ_DISABLED')!;
  const r = (k2.textEdit as { replace: { start: Position; end: Position } }).replace;
  assert.equal(r.end.character - r.start.character, 3);
  assert.ok(!labels(typed).includes('SCHEDULER'), 'the siblings the unclosed tag swallowed still count');
});

test('v3.3: the Service VM is offered nested_virtualization_support; a post-launched VM is not', { skip }, async () => {
  const base = readFileSync(V33, 'utf8');
  const sos = labels(await complete(V33, edit(base, '<name>ACRN_Service_VM</name>', `<name>ACRN_Service_VM</name>\n    ${CARET}`)));
  assert.ok(sos.includes('nested_virtualization_support'));
  assert.ok(sos.includes('lapic_passthrough'));
  assert.ok(!sos.includes('os_type') && !sos.includes('cpu_affinity'), 'post/pre-launched-only elements are sliced away');
  // A space typed between elements (trigger character) does not pop the element list up.
  const { text, position } = caret(edit(base, '<name>ACRN_Service_VM</name>', `<name>ACRN_Service_VM</name>\n     ${CARET}`));
  const uri = openAs(V33, text);
  const spaced = await server.request<CompletionList | null>('textDocument/completion', { textDocument: { uri }, position, context: { triggerKind: 2, triggerCharacter: ' ' } });
  assert.deepEqual(spaced?.items ?? [], []);
  const post = labels(await complete(V33, edit(base, '<name>POST_STD_VM1</name>', `<name>POST_STD_VM1</name>\n    ${CARET}`)));
  assert.ok(!post.includes('nested_virtualization_support'));
  assert.ok(post.includes('lapic_passthrough'));
});

test('v3.3: values drawn from the board (acrn:options): serial ports and pCPU ids', { skip }, async () => {
  const base = readFileSync(V33, 'utf8');
  const serial = await complete(V33, edit(base, '<SERIAL_CONSOLE>/dev/ttyS0</SERIAL_CONSOLE>', `<SERIAL_CONSOLE>${CARET}</SERIAL_CONSOLE>`));
  assert.deepEqual(labels(serial), ['/dev/ttyS0', 'None']);
  assert.equal(serial[0]!.detail, 'from nuc11tnbi5 — Serial console port');
  // pcpu ids: the board's four threads, minus the one the other vCPU of this VM already uses.
  const cpus = await complete(V33, edit(base, '<pcpu_id>0</pcpu_id>', `<pcpu_id>${CARET}</pcpu_id>`));
  assert.deepEqual(labels(cpus), ['0', '2', '3']);
  // vUART endpoints name VMs of this scenario.
  const names = await complete(V33, edit(base, '<vm_name>POST_STD_VM1</vm_name>', `<vm_name>${CARET}</vm_name>`));
  assert.ok(labels(names).includes('ACRN_Service_VM') && labels(names).includes('POST_RT_VM1'));
});

test('v3.3: hover renders the schema documentation and adds the recipe restriction on nested elements', { skip }, async () => {
  const base = readFileSync(V33, 'utf8');
  const nested = await hover(V33, edit(base, '<name>ACRN_Service_VM</name>', `<name>ACRN_Service_VM</name>\n    <nested_virtual${CARET}ization_support>y</nested_virtualization_support>`));
  assert.match(nested, /\*\*nested_virtualization_support\*\* — Nested virtualization/);
  assert.match(nested, /Default: `n`/);
  assert.ok(nested.includes(NESTED_NOTE));
  const build = await hover(V33, edit(base, '<BUILD_TYPE>', `<BUILD_${CARET}TYPE>`));
  assert.match(build, /- `Debug` enables the debug shell/);
  assert.ok(!build.includes('``'), 'no reStructuredText literals left');
  assert.ok(!build.includes(NESTED_NOTE));
  const value = await hover(V33, edit(base, '<console_vuart>COM Port 1</console_vuart>', `<console_vuart>COM ${CARET}Port 1</console_vuart>`));
  assert.match(value, /^\*\*`COM Port 1`\*\*/);
});

test('v3.3: quick fix for a misspelt enum value and a misspelt element name', { skip }, async () => {
  const base = readFileSync(V33, 'utf8');
  const bad = edit(base, '<SCHEDULER>SCHED_BVT</SCHEDULER>', '<SCHEDULER>SCHED_NOP</SCHEDULER>');
  const { actions } = await quickFixes(V33, bad, (d) => d.code === 'schema/enum');
  const fix = actions.find((a) => a.isPreferred)!;
  assert.equal(fix.title, "Change to 'SCHED_NOOP'");
  assert.equal(apply(bad, editsOf(fix)), edit(base, '<SCHEDULER>SCHED_BVT</SCHEDULER>', '<SCHEDULER>SCHED_NOOP</SCHEDULER>'));

  const misspelt = edit(base, '<MULTIBOOT2_ENABLED>y</MULTIBOOT2_ENABLED>', '<MULTIBOOT_ENABLED>y</MULTIBOOT_ENABLED>');
  const r = await quickFixes(V33, misspelt, (d) => d.code === 'schema/unknown-element');
  const rename = r.actions.find((a) => a.isPreferred)!;
  assert.equal(rename.title, 'Change <MULTIBOOT_ENABLED> to <MULTIBOOT2_ENABLED>');
  assert.equal(apply(misspelt, editsOf(rename)), base);
});

test('v3.3: outline names each VM by id, name, load_order/vm_type, and lists the vUART connections', { skip }, async () => {
  const uri = openAs(V33, readFileSync(V33, 'utf8'));
  const syms = await server.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
  assert.equal(syms[0]!.name, 'hv');
  assert.deepEqual(syms.slice(1, 3).map((s) => s.name), ['vm id=0: ACRN_Service_VM (SERVICE_VM/STANDARD_VM)', 'vm id=1: POST_STD_VM1 (POST_LAUNCHED_VM/STANDARD_VM)']);
  const conns = syms[0]!.children!.find((c) => c.name === 'vuart_connections')!;
  assert.equal(conns.children![0]!.name, 'Connection_1');
  assert.equal(conns.children![0]!.detail, 'legacy: ACRN_Service_VM ↔ POST_STD_VM1');
});

test('v2.6: guest_flag and legacy_vuart values; outline in v2 terms', { skip: skip || needs('v2.6') }, async () => {
  await server.configure({ acrnTree: acrnTree('v2.6') });
  const base = readFileSync(V26, 'utf8');
  const flags = labels(await complete(V26, edit(base, '<guest_flag>0</guest_flag>', `<guest_flag>${CARET}</guest_flag>`)));
  assert.ok(flags.includes('GUEST_FLAG_NVMX_ENABLED') && flags.includes('GUEST_FLAG_LAPIC_PASSTHROUGH'));
  const bases = labels(await complete(V26, edit(base, '<base>SOS_COM1_BASE</base>', `<base>${CARET}</base>`)));
  assert.deepEqual(bases, ['SOS_COM1_BASE', 'SOS_COM2_BASE', 'COM1_BASE', 'COM2_BASE', 'COM3_BASE', 'COM4_BASE', 'INVALID_COM_BASE']);
  const hv = await hover(V26, edit(base, '<NVMX_ENABLED>', `<NVMX_EN${CARET}ABLED>`));
  assert.ok(hv.includes(NESTED_NOTE));
  const uri = openAs(V26, base);
  const syms = await server.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
  assert.equal(syms[1]!.name, 'vm id=0: ACRN SOS VM (SOS_VM)');
  assert.deepEqual(syms[0]!.children!.map((c) => c.name), ['DEBUG_OPTIONS', 'FEATURES', 'MEMORY', 'CAPACITIES', 'MISC_CFG']);
});

test('v2.6: quick fixes insert a missing required element in schema order and remove a duplicate', { skip: skip || needs('v2.6') }, async () => {
  await server.configure({ acrnTree: acrnTree('v2.6') });
  const base = readFileSync(V26, 'utf8');
  const block = '    <console_vuart id="0">\n      <base>INVALID_PCI_BASE</base>\n    </console_vuart>\n';
  const missing = edit(base, block, '');
  const m = await quickFixes(V26, missing, (d) => d.code === 'schema/missing' && d.message.includes('console_vuart'));
  const insert = m.actions.find((a) => a.title === 'Insert the missing <console_vuart>')!;
  assert.ok(insert, `actions: ${m.actions.map((a) => a.title).join(', ')}`);
  assert.equal(apply(missing, editsOf(insert)), base, 'the inserted element is exactly what ACRN ships, where it ships it');

  const vuart1 = base.slice(base.indexOf('    <legacy_vuart id="1">'), base.indexOf('    <console_vuart id="0">'));
  const dup = edit(base, vuart1, vuart1 + vuart1);
  const d = await quickFixes(V26, dup, (x) => x.code === 'schema/occurs');
  const remove = d.actions.find((a) => a.isPreferred)!;
  assert.match(remove.title, /Remove this duplicate <legacy_vuart>/);
  assert.equal(apply(dup, editsOf(remove)), base);
});

test('without an ACRN tree the bundled model answers; setting acrnNest.acrnTree switches to the tree and re-validates', { skip }, async () => {
  await server.configure({ acrnTree: '' });
  const file = path.join(tmp, 'scenario.xml');
  const text = readFileSync(V33, 'utf8');
  const marked = edit(text, '<SCHEDULER>', `<SCHED${CARET}ULER>`);
  const before = await hover(file, marked);
  assert.match(before, /ACRN v3\.3 \(bundled\) schema, bundled with acrn-nest/);
  const values = await complete(file, edit(text, '<SCHEDULER>SCHED_BVT', `<SCHEDULER>${CARET}SCHED_BVT`));
  assert.deepEqual(labels(values), ['SCHED_NOOP', 'SCHED_IORR', 'SCHED_BVT', 'SCHED_PRIO']);

  const { text: clean, position } = caret(marked);
  const uri = pathToFileURL(file).toString();
  server.open(uri, clean, version++);
  await server.diagnostics(uri);
  const again = server.diagnostics(uri);
  await server.configure({ acrnTree: acrnTree('v3.3') });
  await again; // re-validated after the settings change
  const h = await server.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position });
  const after = (h!.contents as MarkupContent).value;
  assert.match(after, /\*ACRN v3\.3 schema\*/);
  assert.match(after, /Select the scheduling algorithm/, 'the tree\'s own documentation');
});
