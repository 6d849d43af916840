import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { acrnTree, hasAcrnData, needs, TAGS } from './helpers';
import type { XmlDocument } from '../../hv-core/xml/model';
import { analyzeText } from '../../hv-core/scenario/analyze';
import type { Finding } from '../../hv-core/findings';
import { parseXml } from '../../hv-core/xml/parser';
import { lastDatacheckStats } from '../../hv-core/schema/asserts';

const skip = !hasAcrnData() && 'needs ACRN v3.3 data (ACRN_TREE, ACRN_DATA or ../shared/acrn-data)';
const V33 = acrnTree('v3.3');
// Read only when the data is here: without it every test skips (the file must still load).
const QEMU33: XmlDocument | undefined = skip ? undefined : parseXml(readFileSync(path.join(V33, 'misc', 'config_tools', 'data', 'qemu', 'qemu.xml'), 'utf8'));

/** A small valid v3.3 scenario; `edit` replaces one fragment. */
function v33(edit?: [string, string]): string {
  let s = `<acrn-config board="qemu" scenario="t">
  <hv>
    <BUILD_TYPE>debug</BUILD_TYPE>
    <FEATURES>
      <SCHEDULER>SCHED_BVT</SCHEDULER>
    </FEATURES>
    <DEBUG_OPTIONS><SERIAL_CONSOLE>/dev/ttyS0</SERIAL_CONSOLE></DEBUG_OPTIONS>
  </hv>
  <vm id="0">
    <load_order>SERVICE_VM</load_order>
    <name>ACRN_Service_VM</name>
    <os_config><kern_type>KERNEL_BZIMAGE</kern_type><kern_mod>Linux_bzImage</kern_mod><bootargs>rw</bootargs></os_config>
  </vm>
  <vm id="1">
    <load_order>POST_LAUNCHED_VM</load_order>
    <name>POST_STD_VM1</name>
    <cpu_affinity><pcpu><pcpu_id>1</pcpu_id></pcpu></cpu_affinity>
  </vm>
</acrn-config>`;
  if (edit) {
    assert.ok(s.includes(edit[0]), `fixture holds ${edit[0]}`);
    s = s.replace(edit[0], edit[1]);
  }
  return s;
}

function lint(text: string, opts: { tree?: string; board?: boolean } = {}): Finding[] {
  const all = analyzeText(text, { acrnTree: opts.tree ?? V33, ...(opts.board === false ? {} : { board: QEMU33 }) }).findings;
  // Where an nvmx rule says the same, the schema layer's finding travels as its related
  // information (`ACRN <code>: <message>`, scenario/dedupe.ts): count it as the schema layer's.
  const absorbed = all.flatMap((f) => (f.related ?? []).flatMap((r): Finding[] => {
    const m = /^ACRN ([\w/#.-]+): ([\s\S]*)$/.exec(r.message);
    return m ? [{ severity: f.severity, source: m[1]!.split('/')[0]!, code: m[1]!, start: r.start, end: r.end, message: m[2]! }] : [];
  }));
  return [...all, ...absorbed].filter((f) => ['schema', 'assert', 'datacheck'].includes(f.source));
}

function only(findings: Finding[], code: string): Finding {
  const hits = findings.filter((f) => f.code === code);
  assert.equal(hits.length, 1, `one ${code} in ${JSON.stringify(findings.map((f) => [f.code, f.message]))}`);
  return hits[0]!;
}

test('a valid scenario that leaves defaults out has no findings', { skip }, () => {
  assert.deepEqual(lint(v33()), []);
});

test('bad enum value: range on the value, allowed values, nearest match in data', { skip }, () => {
  const text = v33(['SCHED_BVT', 'SCHED_BTV']);
  const f = only(lint(text), 'schema/enum');
  assert.equal(text.slice(f.start, f.end), 'SCHED_BTV');
  assert.equal(f.severity, 'error');
  assert.match(f.message, /SCHED_NOOP, SCHED_IORR, SCHED_BVT, SCHED_PRIO/);
  assert.match(f.message, /Did you mean `SCHED_BVT`\?/);
  assert.deepEqual((f.data as { suggestion: string }).suggestion, 'SCHED_BVT');
  assert.equal((f.data as { xpath: string }).xpath, '/acrn-config/hv/FEATURES/SCHEDULER');
});

test('unknown element: range on its name, suggestion', { skip }, () => {
  const text = v33(['<SCHEDULER>SCHED_BVT</SCHEDULER>', '<SCHEDULER>SCHED_BVT</SCHEDULER><SHEDULER_X>1</SHEDULER_X>']);
  const f = only(lint(text), 'schema/unknown-element');
  assert.equal(text.slice(f.start, f.end), 'SHEDULER_X');
});

test('element for another kind of VM is rejected with the kinds it is for', { skip }, () => {
  const text = v33(['<name>POST_STD_VM1</name>', '<name>POST_STD_VM1</name><nested_virtualization_support>y</nested_virtualization_support>']);
  const f = only(lint(text), 'schema/unknown-element');
  assert.equal(text.slice(f.start, f.end), 'nested_virtualization_support');
  assert.match(f.message, /post-launched VM.*service-vm/);
});

test('pattern and range violations', { skip }, () => {
  const p = v33(['<name>POST_STD_VM1</name>', '<name>post vm 1</name>']);
  const fp = only(lint(p), 'schema/pattern');
  assert.equal(p.slice(fp.start, fp.end), 'post vm 1');
  const r = v33(['<SCHEDULER>SCHED_BVT</SCHEDULER>', '<SCHEDULER>SCHED_BVT</SCHEDULER><VUART_RX_BUF_SIZE>100</VUART_RX_BUF_SIZE>']);
  const fr = only(lint(r), 'schema/range');
  assert.equal(r.slice(fr.start, fr.end), '100');
  assert.match(fr.message, />= 256 and <= 2560/);
  const t = v33(['<SCHEDULER>SCHED_BVT</SCHEDULER>', '<SCHEDULER>SCHED_BVT</SCHEDULER><VUART_RX_BUF_SIZE>0x100</VUART_RX_BUF_SIZE>']);
  assert.equal(only(lint(t), 'schema/type').severity, 'error');
});

test('too many occurrences and duplicates for xs:unique', { skip }, () => {
  const o = v33(['<BUILD_TYPE>debug</BUILD_TYPE>', '<BUILD_TYPE>debug</BUILD_TYPE><BUILD_TYPE>release</BUILD_TYPE>']);
  const fo = only(lint(o), 'schema/occurs');
  assert.equal(o.slice(fo.start, fo.end), 'BUILD_TYPE');
  assert.ok(fo.start > o.indexOf('<BUILD_TYPE>debug'), 'the second one is flagged');
  const u = v33(['<name>POST_STD_VM1</name>', '<name>ACRN_Service_VM</name>']);
  const fu = only(lint(u), 'schema/unique');
  assert.equal(u.slice(fu.start, fu.end), 'ACRN_Service_VM');
  assert.ok(fu.start > u.indexOf('<vm id="1">'));
  assert.equal(fu.related?.length, 1);
});

test('missing: only elements without a default are reported, at the parent', { skip: skip || needs('v2.6') }, () => {
  const text = v33(['<name>POST_STD_VM1</name>', '']);
  const f = only(lint(text), 'schema/missing');
  assert.equal(text.slice(f.start, f.end), 'vm');
  assert.ok(f.start > text.indexOf('<vm id="1">'));
  assert.equal((f.data as { element: string }).element, 'name');
  // v2.6 does not fill defaults: a defaulted element is required as written
  const v26 = readFileSync(path.join(__dirname, '..', 'fixtures', 'broken', 'v2.6', 'broken-missing-defaulted.xml'), 'utf8');
  const g = only(lint(v26, { tree: acrnTree('v2.6'), board: false }), 'schema/missing');
  assert.match(g.message, /does not fill in schema defaults/);
});

test('wrong place in an xs:sequence', { skip }, () => {
  const text = v33(['<SERIAL_CONSOLE>/dev/ttyS0</SERIAL_CONSOLE></DEBUG_OPTIONS>', `<SERIAL_CONSOLE>/dev/ttyS0</SERIAL_CONSOLE></DEBUG_OPTIONS>
    <vuart_connections><vuart_connection><name>c</name><type>legacy</type>
      <endpoint><io_port>0x2F8</io_port><vm_name>ACRN_Service_VM</vm_name></endpoint>
      <endpoint><vm_name>POST_STD_VM1</vm_name><io_port>0x2F8</io_port></endpoint>
    </vuart_connection></vuart_connections>`]);
  const f = only(lint(text), 'schema/order');
  assert.equal(text.slice(f.start, f.end), 'vm_name');
  assert.equal((f.data as { expectedBefore: string }).expectedBefore, 'io_port');
});

test('a v3 vm whose load_order matches no xs:alternative is reported (ACRN skips it)', { skip }, () => {
  const text = v33(['<load_order>POST_LAUNCHED_VM</load_order>', '<load_order>POST_LAUNCHED</load_order>']);
  const f = only(lint(text), 'schema/no-alternative');
  assert.equal(text.slice(f.start, f.end), 'POST_LAUNCHED');
  assert.equal((f.data as { suggestion: string }).suggestion, 'POST_LAUNCHED_VM');
});

test('datachecks: severity from acrn:severity, range from acrn:report-on, {xpath} filled', { skip }, () => {
  const two = v33(['<load_order>POST_LAUNCHED_VM</load_order>', '<load_order>SERVICE_VM</load_order>']);
  const hits = lint(two).filter((f) => f.code === 'datacheck/vm_types#1');
  assert.equal(hits.length, 2, 'both Service VMs are blamed');
  for (const h of hits) {
    assert.equal(h.severity, 'error');
    assert.equal(two.slice(h.start, h.end), 'vm');
  }
  const cpu = v33(['<pcpu_id>1</pcpu_id>', '<pcpu_id>63</pcpu_id>']);
  const w = only(lint(cpu), 'datacheck/cpu_assignment#1');
  assert.equal(w.severity, 'warning');
  assert.equal(cpu.slice(w.start, w.end), 'pcpu_id');
  assert.match(w.message, /The physical CPU 63 allocated to VM "POST_STD_VM1" does not exist/);
  assert.equal((w.data as { xpath: string }).xpath, '/acrn-config/vm[2]/cpu_affinity/pcpu/pcpu_id');
});

test('the board comes from board= in the tree; without a board only board-independent datachecks run', { skip }, () => {
  const cpu = v33(['<pcpu_id>1</pcpu_id>', '<pcpu_id>63</pcpu_id>']);
  assert.equal(only(lint(cpu, { board: false }), 'datacheck/cpu_assignment#1').severity, 'warning', 'board="qemu" found in the tree');
  const noBoard = cpu.replace('board="qemu"', 'board="no-such-board"');
  assert.deepEqual(lint(noBoard, { board: false }), []);
  const two = v33(['<load_order>POST_LAUNCHED_VM</load_order>', '<load_order>SERVICE_VM</load_order>']).replace('board="qemu"', 'board="no-such-board"');
  assert.equal(lint(two, { board: false }).filter((f) => f.code === 'datacheck/vm_types#1').length, 2);
});

test('v2 config.xsd asserts (XSD 1.1) are evaluated on their elements', { skip: skip || needs(...TAGS) }, () => {
  const text = readFileSync(path.join(__dirname, '..', 'fixtures', 'broken', 'v2.6', 'broken-nvmx-sched-bvt.xml'), 'utf8');
  const f = only(lint(text, { tree: acrnTree('v2.6'), board: false }), 'assert/config#2');
  assert.equal(text.slice(f.start, f.end), 'FEATURES');
  assert.equal(f.severity, 'error');
});

test('datachecks re-evaluate only what an edit can affect, with the same outcome', { skip }, () => {
  const base = v33();
  lint(base);
  const reused = lint(base.replace('Linux_bzImage', 'Linux_bzImage2'));
  assert.deepEqual(reused, []);
  assert.equal(lastDatacheckStats().evaluated, 0, 'kern_mod is read by no datacheck');
  const cpu = lint(v33(['<pcpu_id>1</pcpu_id>', '<pcpu_id>62</pcpu_id>']));
  const stats = lastDatacheckStats();
  assert.ok(stats.evaluated > 0 && stats.reused > 0, JSON.stringify(stats));
  assert.equal(only(cpu, 'datacheck/cpu_assignment#1').severity, 'warning');
  // the same failing document again: the outcome comes from the cache, mapped onto this text
  const again = v33(['<pcpu_id>1</pcpu_id>', '<pcpu_id>62</pcpu_id>']).replace('<acrn-config', '<!-- moved -->\n<acrn-config');
  const f = only(lint(again), 'datacheck/cpu_assignment#1');
  assert.equal(lastDatacheckStats().evaluated, 0);
  assert.equal(again.slice(f.start, f.end), 'pcpu_id');
});
