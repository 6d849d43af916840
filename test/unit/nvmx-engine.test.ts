/** The NVMX recipe engine: exact diffs (golden), minimal edits, round trips, status. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { nvmxStatus, planDisable, planEnable } from '../../hv-core/nvmx/engine';
import { AcrnNestError } from '../../hv-core/errors';
import { parseXml } from '../../hv-core/xml/parser';
import { analyzeText } from '../../hv-core/scenario/analyze';
import { acrnTree, fixture, hasAcrnData, needs, TAGS } from './helpers';

const data = (tag: 'v2.5' | 'v2.6' | 'v3.3', ...p: string[]): string => path.join(acrnTree(tag), 'misc', 'config_tools', 'data', ...p);
const read = (p: string): string => readFileSync(p, 'utf8');
const board = (p: string) => parseXml(read(p));

/** The golden diff: exactly what `acrn-nest nvmx enable --remove-sharing-vms --dry-run` shows. */
function goldenDiff(name: string, before: string, after: string): string {
  return createTwoFilesPatch(name, name, before, after, undefined, undefined, { context: 3 }).replace(/^Index: [^\n]*\n=+\n/, '');
}

const GOLDEN = [
  { name: 'v2.6-whl-ipc-i5-hybrid', tag: 'v2.6' as const, scenario: ['whl-ipc-i5', 'hybrid.xml'], board: ['whl-ipc-i5', 'whl-ipc-i5.xml'] },
  { name: 'v3.3-generic_board-hybrid', tag: 'v3.3' as const, scenario: ['generic_board', 'hybrid.xml'], board: ['generic_board', 'generic_board.xml'] },
];

for (const g of GOLDEN) {
  test(`golden: enable --remove-sharing-vms on ${g.name} gives exactly the committed diff`, { skip: needs(g.tag) }, () => {
    const text = read(data(g.tag, ...g.scenario));
    const plan = planEnable(text, { board: board(data(g.tag, ...g.board)), defaultChoice: 'remove' });
    const diff = goldenDiff(g.scenario.join('/'), text, plan.result);
    const file = fixture('nvmx', `${g.name}.enable.diff`);
    if (process.env.UPDATE_GOLDEN) writeFileSync(file, diff);
    assert.equal(diff, read(file));
    assert.deepEqual(plan.problems, []);
  });
}

test('v2 golden plan touches only the lines the recipe names (every other byte identical)', { skip: needs(...TAGS) }, () => {
  const text = read(data('v2.6', 'whl-ipc-i5', 'hybrid.xml'));
  const plan = planEnable(text, { board: board(data('v2.6', 'whl-ipc-i5', 'whl-ipc-i5.xml')), defaultChoice: 'keep' });
  // Each edit replaces less than one line, except whole-line inserts/deletes.
  for (const e of plan.edits) {
    const removed = text.slice(e.start, e.end);
    assert.ok(!removed.includes('\n') || /^[ \t]*<[^\n]*>[^\n]*\n$/.test(removed) || e.newText === '', `edit at ${e.start} spans lines: ${JSON.stringify(removed)}`);
  }
  // Apart from the edited spans, the text is unchanged: rebuild it from the untouched slices.
  const sorted = [...plan.edits].sort((a, b) => a.start - b.start);
  let pos = 0;
  let untouched = '';
  for (const e of sorted) {
    untouched += text.slice(pos, e.start);
    pos = e.end;
  }
  untouched += text.slice(pos);
  let resultUntouched = '';
  let rpos = 0;
  let delta = 0;
  for (const e of sorted) {
    const rs = e.start + delta;
    resultUntouched += plan.result.slice(rpos, rs);
    rpos = rs + e.newText.length;
    delta += e.newText.length - (e.end - e.start);
  }
  resultUntouched += plan.result.slice(rpos);
  assert.equal(resultUntouched, untouched);
});

const SMALL_V2 = `<?xml version="1.0"?>
<acrn-config board="b" scenario="s">
  <hv>
    <DEBUG_OPTIONS>
      <RELEASE>y</RELEASE>
    </DEBUG_OPTIONS>
    <!-- our lab's settings: keep -->
    <FEATURES> <!-- a comment next to FEATURES -->
      <RELOC>y</RELOC>
      <SCHEDULER>SCHED_IORR</SCHEDULER>   <!-- tuned 2021 -->
      <MULTIBOOT2>y</MULTIBOOT2>
      <NVMX_ENABLED>n</NVMX_ENABLED>
    </FEATURES>
  </hv>
  <vm id="0">
    <vm_type>SOS_VM</vm_type>
    <name   >SOS</name>
    <guest_flags>
      <guest_flag>0</guest_flag>
    </guest_flags>
    <cpu_affinity>
      <pcpu_id>1</pcpu_id>
    </cpu_affinity>
    <legacy_vuart id="0">
      <type>VUART_LEGACY_PIO</type>
      <base>SOS_COM1_BASE</base>
      <irq>SOS_COM1_IRQ</irq>
    </legacy_vuart>
    <console_vuart id="0">
      <base>INVALID_PCI_BASE</base>
    </console_vuart>
  </vm>
</acrn-config>
`;

test('a comment next to FEATURES and every untouched byte survive; attribute spacing kept', () => {
  const plan = planEnable(SMALL_V2);
  assert.deepEqual(plan.problems, []);
  const r = plan.result;
  assert.ok(r.includes('<FEATURES> <!-- a comment next to FEATURES -->\n'));
  assert.ok(r.includes('<!-- our lab\'s settings: keep -->'));
  assert.ok(r.includes('<SCHEDULER>SCHED_NOOP</SCHEDULER> <!-- acrn-nest: SCHEDULER was SCHED_IORR -->   <!-- tuned 2021 -->'));
  assert.ok(r.includes('<name   >SOS</name>'));
  assert.ok(r.includes('      <guest_flag>GUEST_FLAG_NVMX_ENABLED</guest_flag>\n      <guest_flag>GUEST_FLAG_LAPIC_PASSTHROUGH</guest_flag>\n'));
  // Release build: the Service VM's cpu_affinity is left alone.
  assert.ok(r.includes('<pcpu_id>1</pcpu_id>'));
  const before = SMALL_V2.split('\n');
  const after = r.split('\n');
  assert.equal(after.length, before.length + 1, 'one line added (the second guest flag)');
});

test('enable then disable restores the remembered values and leaves no acrn-nest comment', () => {
  const en = planEnable(SMALL_V2).result;
  const dis = planDisable(en).result;
  assert.ok(!dis.includes('acrn-nest:'));
  assert.ok(dis.includes('<SCHEDULER>SCHED_IORR</SCHEDULER>   <!-- tuned 2021 -->'));
  assert.ok(dis.includes('<base>SOS_COM1_BASE</base>'));
  assert.ok(dis.includes('<base>INVALID_PCI_BASE</base>'));
  assert.ok(dis.includes('<NVMX_ENABLED>n</NVMX_ENABLED>'));
  assert.ok(!dis.includes('GUEST_FLAG_NVMX_ENABLED') && !dis.includes('GUEST_FLAG_LAPIC_PASSTHROUGH'));
  // Here the round trip is byte-exact: only values were changed and one flag line added.
  assert.equal(dis, SMALL_V2);
  // And twice is a no-op.
  assert.equal(planDisable(dis).edits.length, 0);
  assert.equal(planEnable(en).edits.length, 0);
});

test('CRLF files get CRLF lines and tab indentation is followed', () => {
  const crlf = SMALL_V2.replace(/\n/g, '\r\n').replace(/ {2}/g, '\t');
  const r = planEnable(crlf).result;
  assert.ok(!/[^\r]\n/.test(r), 'every newline is CRLF');
  assert.ok(r.includes('\t\t\t<guest_flag>GUEST_FLAG_LAPIC_PASSTHROUGH</guest_flag>\r\n'));
});

test('debug build: the Service VM is pinned without pCPU0, inserted in schema order after guest_flags', () => {
  const text = SMALL_V2.replace('<RELEASE>y</RELEASE>', '<RELEASE>n</RELEASE>').replace(/ *<cpu_affinity>\n.*\n *<\/cpu_affinity>\n/, '');
  const b = parseXml('<acrn-config board="b"><CPU_PROCESSOR_INFO>0, 1, 2, 3</CPU_PROCESSOR_INFO></acrn-config>');
  const r = planEnable(text, { board: b }).result;
  assert.match(r, /<\/guest_flags>\n {4}<cpu_affinity>\n {6}<pcpu_id>1<\/pcpu_id>\n {6}<pcpu_id>2<\/pcpu_id>\n {6}<pcpu_id>3<\/pcpu_id>\n {4}<\/cpu_affinity>\n/);
  // Without a board the engine says what it needs instead of guessing.
  const p = planEnable(text);
  assert.ok(p.problems.some((x) => x.includes('--board')));
});

test('sharing VMs: remove takes their vUART references along (v2), re-pin moves them to free pCPUs', () => {
  // A KATA_VM on a Service VM pCPU conflicts under SCHED_NOOP (no launch script offlines it).
  const text = `<acrn-config board="b" scenario="s">
  <hv><DEBUG_OPTIONS><RELEASE>y</RELEASE></DEBUG_OPTIONS><FEATURES><SCHEDULER>SCHED_BVT</SCHEDULER><NVMX_ENABLED>n</NVMX_ENABLED></FEATURES></hv>
  <vm id="0">
    <vm_type>SOS_VM</vm_type>
    <guest_flags>
      <guest_flag>0</guest_flag>
    </guest_flags>
    <legacy_vuart id="0">
      <base>SOS_COM1_BASE</base>
    </legacy_vuart>
    <legacy_vuart id="1">
      <base>SOS_COM2_BASE</base>
      <target_vm_id>1</target_vm_id>
      <target_uart_id>1</target_uart_id>
    </legacy_vuart>
    <console_vuart id="0">
      <base>INVALID_PCI_BASE</base>
    </console_vuart>
    <communication_vuart id="1">
      <base>PCI_VUART</base>
      <target_vm_id>1</target_vm_id>
      <target_uart_id>1</target_uart_id>
    </communication_vuart>
  </vm>
  <vm id="1">
    <vm_type>KATA_VM</vm_type>
    <cpu_affinity>
      <pcpu_id>2</pcpu_id>
      <pcpu_id>3</pcpu_id>
    </cpu_affinity>
  </vm>
</acrn-config>
`;
  const b = parseXml('<acrn-config board="b"><CPU_PROCESSOR_INFO>0, 1, 2, 3, 4, 5</CPU_PROCESSOR_INFO></acrn-config>');
  const svc = text.replace('<vm_type>SOS_VM</vm_type>', '<vm_type>SOS_VM</vm_type>\n    <cpu_affinity>\n      <pcpu_id>0</pcpu_id>\n      <pcpu_id>1</pcpu_id>\n      <pcpu_id>2</pcpu_id>\n    </cpu_affinity>');
  const rm = planEnable(svc, { board: b, defaultChoice: 'remove' });
  assert.equal(rm.sharing.length, 1);
  assert.equal(rm.sharing[0]!.id, '1');
  assert.ok(!rm.result.includes('<vm id="1">'));
  // ACRN v2's generator looks up every vUART's target_vm_id, even disabled ones: the vUARTs that
  // pointed at the removed VM stay, disabled and aimed at the Service VM (like ACRN's own files).
  assert.ok(!rm.result.includes('<target_vm_id>1</target_vm_id>'));
  assert.ok(rm.result.includes('<base>INVALID_COM_BASE</base>\n      <target_vm_id>0</target_vm_id>\n      <target_uart_id>1</target_uart_id>\n    </legacy_vuart>'));
  assert.ok(rm.result.includes('<base>INVALID_PCI_BASE</base>\n      <target_vm_id>0</target_vm_id>'), 'the communication_vuart stays (ACRN needs one), disabled, aimed at the Service VM');
  const rp = planEnable(svc, { board: b, choices: { '1': 'repin' } });
  assert.deepEqual(rp.sharing[0]!.repinTo, [3, 4]);
  assert.ok(rp.result.includes('<pcpu_id>3</pcpu_id>\n      <pcpu_id>4</pcpu_id>'));
  const keep = planEnable(svc, { board: b, choices: { '1': 'keep' } });
  assert.ok(keep.problems.some((p) => p.includes('keeps sharing pCPU 2')));
  assert.ok(keep.result.includes('<vm id="1">'));
});

test('v3: vuart_connections naming a removed VM go with it; status steps carry element ranges', { skip: !hasAcrnData() }, () => {
  // POST_STD_VM1 pinned to pCPU 0, the Service VM's BSP (on pCPU 1 it would be kept: the launch
  // script offlines that pCPU from the Service VM before the VM starts).
  const text = read(data('v3.3', 'qemu', 'shared.xml')).replace('<pcpu_id>1</pcpu_id>', '<pcpu_id>0</pcpu_id>');
  const b = board(data('v3.3', 'qemu', 'qemu.xml'));
  const st0 = nvmxStatus(text, { board: b });
  assert.equal(st0.enabled, false);
  const nested = st0.steps.find((s) => s.id === 'nested')!;
  assert.equal(nested.satisfied, false);
  assert.equal(text.slice(nested.start, nested.end), '<vm id="0">');
  const p = planEnable(text, { board: b, defaultChoice: 'remove' });
  assert.ok(!p.result.includes('<vuart_connection>'));
  assert.ok(!p.result.includes('POST_STD_VM1'));
  const st = nvmxStatus(p.result, { board: b });
  assert.equal(st.enabled, true);
  assert.deepEqual(st.steps.filter((s) => !s.satisfied).map((s) => s.id), []);
  const sched = st.steps.find((s) => s.id === 'scheduler')!;
  assert.equal(p.result.slice(sched.start, sched.end), '<SCHEDULER>');
  // Disable keeps a file ACRN's checks (our validator) accept.
  const d = planDisable(p.result, { board: b }).result;
  const errors = analyzeText(d, { board: b, acrnTree: acrnTree('v3.3') }).findings.filter((f) => f.severity === 'error');
  assert.deepEqual(errors, []);
  assert.ok(d.includes('<SCHEDULER>SCHED_BVT</SCHEDULER>\n'));
  assert.ok(d.includes('<console_vuart>COM Port 1</console_vuart>\n'));
});

test('clear errors for files the engine cannot handle', () => {
  assert.throws(() => planEnable('<acrn-config><BIOS_INFO/><processors/></acrn-config>'), /board/);
  assert.throws(() => planEnable('<project/>'), /not an ACRN file/);
  assert.throws(() => planEnable('<acrn-config><hv><FEATURES></hv></acrn-config>'), /not well-formed/);
  const noSvm = planEnable('<acrn-config board="b" scenario="s"><hv><FEATURES><RELOC>y</RELOC></FEATURES></hv><vm id="0"><vm_type>PRE_STD_VM</vm_type><guest_flags><guest_flag>0</guest_flag></guest_flags></vm></acrn-config>');
  assert.equal(noSvm.edits.length, 0);
  assert.match(noSvm.problems[0]!, /only on the Service VM/);
});

test('v2 removal keeps VM ids 0..n-1: later VMs are renumbered with their vUART targets and IVSHMEM regions', () => {
  const vm = (id: number, type: string, pcpu: number, target: number): string => `  <vm id="${id}">
    <vm_type>${type}</vm_type>
    <cpu_affinity>
      <pcpu_id>${pcpu}</pcpu_id>
    </cpu_affinity>
    <legacy_vuart id="1">
      <base>COM2_BASE</base>
      <target_vm_id>${target}</target_vm_id>
      <target_uart_id>1</target_uart_id>
    </legacy_vuart>
  </vm>
`;
  const text = `<acrn-config board="b" scenario="s">
  <hv>
    <DEBUG_OPTIONS><RELEASE>y</RELEASE></DEBUG_OPTIONS>
    <FEATURES>
      <SCHEDULER>SCHED_BVT</SCHEDULER>
      <NVMX_ENABLED>n</NVMX_ENABLED>
      <IVSHMEM>
        <IVSHMEM_ENABLED>y</IVSHMEM_ENABLED>
        <IVSHMEM_REGION>hv:/shm_region_0, 2, 0:2</IVSHMEM_REGION>
        <IVSHMEM_REGION>hv:/shm_region_1, 2, 1:2</IVSHMEM_REGION>
      </IVSHMEM>
    </FEATURES>
  </hv>
${vm(0, 'SOS_VM', 0, 2).replace('SOS_VM</vm_type>', 'SOS_VM</vm_type>\n    <guest_flags>\n      <guest_flag>0</guest_flag>\n    </guest_flags>')}${vm(1, 'POST_STD_VM', 0, 0)}${vm(2, 'POST_RT_VM', 3, 0)}</acrn-config>
`;
  const b = parseXml('<acrn-config board="b"><CPU_PROCESSOR_INFO>0, 1, 2, 3</CPU_PROCESSOR_INFO></acrn-config>');
  // The Service VM has pCPU 0 explicitly; VM 1 shares it (removed), VM 2 (pCPU 3) stays and becomes VM 1.
  const p = planEnable(text, { board: b, defaultChoice: 'remove' });
  assert.deepEqual(p.sharing.map((s) => s.id), ['1']);
  const r = p.result;
  assert.ok(!r.includes('<vm id="2">'));
  assert.match(r, /<vm id="1">\n {4}<vm_type>POST_RT_VM<\/vm_type>/);
  assert.ok(r.includes('<target_vm_id>1</target_vm_id>'), "the Service VM's vUART follows VM 2 -> 1");
  assert.ok(r.includes('<IVSHMEM_REGION>hv:/shm_region_0, 2, 0:1</IVSHMEM_REGION>'));
  assert.ok(r.includes('<IVSHMEM_REGION></IVSHMEM_REGION>'), 'a region left with one VM is emptied');
  assert.ok(p.changes.some((c) => /renumber VM 2 \(POST_RT_VM\) to VM 1/.test(c)));
});

test('the engine\'s errors carry stable codes (front ends act on codes, not wording)', () => {
  const codeOf = (text: string): string | undefined => {
    try {
      planEnable(text);
    } catch (e) {
      assert.ok(e instanceof AcrnNestError, `an AcrnNestError, not ${String(e)}`);
      return e.code;
    }
    return undefined;
  };
  assert.equal(codeOf('<acrn-config><BIOS_INFO/><processors/></acrn-config>'), 'nvmx/not-scenario');
  assert.equal(codeOf('<project/>'), 'nvmx/not-acrn');
  assert.equal(codeOf('<acrn-config><hv><FEATURES></hv></acrn-config>'), 'nvmx/not-well-formed');
  assert.equal(codeOf(''), 'nvmx/not-xml');
});
