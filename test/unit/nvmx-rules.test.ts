/**
 * Every NVMX rule fires on a file that breaks it (positive) and stays silent on the same file
 * done right (negative); messages cite the recipe; quick fixes make the finding go away.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../../hv-core/findings';
import { checkNvmx, isNvmxData, NVMX_CODES } from '../../hv-core/nvmx/rules';
import { applyEdits } from '../../hv-core/nvmx/textEdits';
import { parseXml } from '../../hv-core/xml/parser';
import { detectDialect } from '../../hv-core/scenario/dialect';
import { LineIndex } from '../../hv-core/xml/positions';
import type { XmlDocument } from '../../hv-core/xml/model';

const BOARD = parseXml('<acrn-config board="b"><CPU_PROCESSOR_INFO>0, 1, 2, 3</CPU_PROCESSOR_INFO><processors><die><core><thread><cpu_id>0</cpu_id></thread><thread><cpu_id>1</cpu_id></thread><thread><cpu_id>2</cpu_id></thread><thread><cpu_id>3</cpu_id></thread></core></die></processors></acrn-config>');

function nvmx(text: string, board: XmlDocument | null = BOARD): Finding[] {
  const doc = parseXml(text);
  const dialect = detectDialect(doc)!;
  return checkNvmx({ text, doc, dialect, lines: new LineIndex(text), options: { board: board ?? undefined } });
}

const codes = (fs: Finding[]): string[] => [...new Set(fs.map((f) => f.code))].sort();

/** A v2.5 scenario with nested virtualization done exactly as the recipe says. */
const V2_OK = `<acrn-config board="b" scenario="s">
  <hv>
    <DEBUG_OPTIONS>
      <RELEASE>n</RELEASE>
      <SERIAL_CONSOLE>/dev/ttyS0</SERIAL_CONSOLE>
    </DEBUG_OPTIONS>
    <FEATURES>
      <RELOC>y</RELOC>
      <SCHEDULER>SCHED_NOOP</SCHEDULER>
      <NVMX_ENABLED>y</NVMX_ENABLED>
    </FEATURES>
  </hv>
  <vm id="0">
    <vm_type>SOS_VM</vm_type>
    <name>SOS</name>
    <guest_flags>
      <guest_flag>GUEST_FLAG_NVMX_ENABLED</guest_flag>
      <guest_flag>GUEST_FLAG_LAPIC_PASSTHROUGH</guest_flag>
    </guest_flags>
    <cpu_affinity>
      <pcpu_id>1</pcpu_id>
      <pcpu_id>2</pcpu_id>
    </cpu_affinity>
    <legacy_vuart id="0">
      <type>VUART_LEGACY_PIO</type>
      <base>INVALID_COM_BASE</base>
      <irq>COM1_IRQ</irq>
    </legacy_vuart>
    <console_vuart id="0">
      <base>PCI_VUART</base>
    </console_vuart>
  </vm>
  <vm id="1">
    <vm_type>POST_STD_VM</vm_type>
    <guest_flags>
      <guest_flag>0</guest_flag>
    </guest_flags>
    <cpu_affinity>
      <pcpu_id>3</pcpu_id>
    </cpu_affinity>
  </vm>
</acrn-config>
`;

const V3_OK = `<acrn-config>
  <hv>
    <BUILD_TYPE>debug</BUILD_TYPE>
    <FEATURES>
      <RELOC_ENABLED>y</RELOC_ENABLED>
      <SCHEDULER>SCHED_NOOP</SCHEDULER>
    </FEATURES>
    <vuart_connections>
      <vuart_connection>
        <name>link</name>
        <type>pci</type>
        <endpoint><vm_name>SVM</vm_name></endpoint>
        <endpoint><vm_name>PRE</vm_name></endpoint>
      </vuart_connection>
    </vuart_connections>
  </hv>
  <vm id="0">
    <load_order>PRE_LAUNCHED_VM</load_order>
    <name>PRE</name>
    <cpu_affinity><pcpu><pcpu_id>3</pcpu_id></pcpu></cpu_affinity>
  </vm>
  <vm id="1">
    <load_order>SERVICE_VM</load_order>
    <name>SVM</name>
    <console_vuart>PCI</console_vuart>
    <lapic_passthrough>y</lapic_passthrough>
    <nested_virtualization_support>y</nested_virtualization_support>
  </vm>
</acrn-config>
`;

/** Applies the first quick fix of every finding with the code, one at a time, re-checking in between. */
function fixAll(text: string, code: string): string {
  for (let i = 0; i < 10; i++) {
    const f = nvmx(text).find((x) => x.code === code);
    if (!f) return text;
    assert.ok(isNvmxData(f.data), `${code} has a quick fix`);
    text = applyEdits(text, f.data.nvmxFixes[0]!.edits);
  }
  throw new Error(`${code} never went away`);
}

test('negative: a v2 and a v3 scenario done as the recipe says have no nvmx finding', () => {
  assert.deepEqual(nvmx(V2_OK), []);
  assert.deepEqual(nvmx(V3_OK), []);
  // And a scenario without nested virtualization at all is left alone.
  const off = V2_OK.replace('<NVMX_ENABLED>y', '<NVMX_ENABLED>n').replace('SCHED_NOOP', 'SCHED_BVT').replace(/<guest_flag>GUEST_FLAG_[A-Z_]+<\/guest_flag>/g, '<guest_flag>0</guest_flag>').replace('PCI_VUART', 'INVALID_PCI_BASE').replace('<base>INVALID_COM_BASE', '<base>SOS_COM1_BASE');
  assert.deepEqual(nvmx(off), []);
});

interface Case {
  code: keyof typeof NVMX_CODES;
  base: string;
  bad: (s: string) => string;
  /** Text the finding's range must cover. */
  at: string;
  cite: RegExp;
  severity?: string;
}

const CASES: Case[] = [
  { code: 'nvmx/sched-noop', base: V2_OK, bad: (s) => s.replace('SCHED_NOOP', 'SCHED_BVT'), at: 'SCHED_BVT', cite: /recipe: Service OS VM configuration, step 1/ },
  { code: 'nvmx/sched-noop', base: V3_OK, bad: (s) => s.replace('SCHED_NOOP', 'SCHED_IORR'), at: 'SCHED_IORR', cite: /recipe: Restrictions and Constraints/ },
  { code: 'nvmx/flag-not-service-vm', base: V2_OK, bad: (s) => s.replace('<guest_flag>0</guest_flag>', '<guest_flag>GUEST_FLAG_NVMX_ENABLED</guest_flag>'), at: 'GUEST_FLAG_NVMX_ENABLED', cite: /recipe: Service OS VM configuration\)/ },
  { code: 'nvmx/flag-needs-nvmx-enabled', base: V2_OK, bad: (s) => s.replace('<NVMX_ENABLED>y', '<NVMX_ENABLED>n'), at: 'GUEST_FLAG_NVMX_ENABLED', cite: /step 1/ },
  { code: 'nvmx/flag-needs-lapic-passthrough', base: V2_OK, bad: (s) => s.replace('<guest_flag>GUEST_FLAG_LAPIC_PASSTHROUGH</guest_flag>', '<guest_flag>GUEST_FLAG_HIDE_MTRR</guest_flag>'), at: 'GUEST_FLAG_NVMX_ENABLED', cite: /step 2/ },
  { code: 'nvmx/legacy-vuart-base', base: V2_OK, bad: (s) => s.replace('<base>INVALID_COM_BASE', '<base>SOS_COM1_BASE'), at: 'SOS_COM1_BASE', cite: /step 2/ },
  { code: 'nvmx/invalid-legacy-pio', base: V2_OK, bad: (s) => s.replace('<base>INVALID_COM_BASE', '<base>INVALID_LEGACY_PIO'), at: 'INVALID_LEGACY_PIO', cite: /step 2/ },
  { code: 'nvmx/console-vuart-pci', base: V2_OK, bad: (s) => s.replace('PCI_VUART', 'INVALID_PCI_BASE'), at: 'INVALID_PCI_BASE', cite: /step 2/ },
  { code: 'nvmx/console-vuart-pci', base: V3_OK, bad: (s) => s.replace('<console_vuart>PCI', '<console_vuart>COM Port 1'), at: 'COM Port 1', cite: /step 2/ },
  { code: 'nvmx/pcpu-shared', base: V2_OK, bad: (s) => s.replace('<pcpu_id>3</pcpu_id>', '<pcpu_id>1</pcpu_id>'), at: '1', cite: /step 3/ },
  { code: 'nvmx/pcpu-shared', base: V3_OK, bad: (s) => s.replace('</acrn-config>', '  <vm id="2">\n    <load_order>POST_LAUNCHED_VM</load_order>\n    <name>POST</name>\n    <cpu_affinity><pcpu><pcpu_id>0</pcpu_id></pcpu></cpu_affinity>\n  </vm>\n</acrn-config>'), at: '0', cite: /step 3/ },
  { code: 'nvmx/service-vm-pcpu0', base: V2_OK, bad: (s) => s.replace('<pcpu_id>1</pcpu_id>', '<pcpu_id>0</pcpu_id>'), at: '0', cite: /step 2/, severity: 'warning' },
  { code: 'nvmx/service-vm-pcpu0', base: V2_OK, bad: (s) => s.replace(/ *<cpu_affinity>\n *<pcpu_id>1<\/pcpu_id>\n *<pcpu_id>2<\/pcpu_id>\n *<\/cpu_affinity>\n/, ''), at: 'SOS_VM', cite: /step 2/, severity: 'warning' },
  { code: 'nvmx/nested-only-service-vm', base: V3_OK, bad: (s) => s.replace('<name>PRE</name>', '<name>PRE</name>\n    <nested_virtualization_support>y</nested_virtualization_support>'), at: 'y', cite: /Service OS VM configuration\)/ },
  { code: 'nvmx/lapic-needs-nested', base: V3_OK, bad: (s) => s.replace('<nested_virtualization_support>y', '<nested_virtualization_support>n'), at: 'y', cite: /Restrictions and Constraints/ },
  { code: 'nvmx/nested-needs-lapic', base: V3_OK, bad: (s) => s.replace('<lapic_passthrough>y', '<lapic_passthrough>n'), at: 'y', cite: /Restrictions and Constraints/ },
  { code: 'nvmx/nested-incomplete', base: V3_OK, bad: (s) => s.replace('<lapic_passthrough>y', '<lapic_passthrough>n').replace('SCHED_NOOP', 'SCHED_BVT'), at: 'y', cite: /Restrictions and Constraints/ },
  { code: 'nvmx/vuart-unknown-vm', base: V3_OK, bad: (s) => s.replace('<vm_name>PRE</vm_name>', '<vm_name>GONE</vm_name>'), at: 'GONE', cite: /step 3/ },
];

for (const c of CASES) {
  test(`${c.code}: fires on ${c.base === V2_OK ? 'v2' : 'v3'} (${c.at}), cites the recipe, and its quick fix clears it`, () => {
    const bad = c.bad(c.base);
    assert.notEqual(bad, c.base, 'the mutation applied');
    const fs = nvmx(bad).filter((f) => f.code === c.code);
    assert.ok(fs.length > 0, `${c.code} expected, got ${codes(nvmx(bad)).join(', ')}`);
    const f = fs[0]!;
    assert.equal(bad.slice(f.start, f.end), c.at);
    assert.match(f.message, c.cite);
    assert.equal(f.severity, c.severity ?? 'error');
    assert.equal(f.source, 'nvmx');
    // Negative: the same file done right has none.
    assert.equal(nvmx(c.base).filter((x) => x.code === c.code).length, 0);
    // The fix clears it (and parses).
    const fixed = fixAll(bad, c.code);
    assert.equal(parseXml(fixed).errors.length, 0);
    assert.equal(nvmx(fixed).filter((x) => x.code === c.code).length, 0);
  });
}

test('every code in NVMX_CODES has a positive case', () => {
  assert.deepEqual([...new Set(CASES.map((c) => c.code))].sort(), Object.keys(NVMX_CODES).sort());
});

test('INVALID_LEGACY_PIO gets its own message and the fix INVALID_COM_BASE, also outside the Service VM', () => {
  const bad = V2_OK.replace('<guest_flag>0</guest_flag>\n    </guest_flags>', '<guest_flag>0</guest_flag>\n    </guest_flags>\n    <legacy_vuart id="0">\n      <base>INVALID_LEGACY_PIO</base>\n    </legacy_vuart>');
  const fs = nvmx(bad).filter((f) => f.code === 'nvmx/invalid-legacy-pio');
  assert.equal(fs.length, 1);
  assert.match(fs[0]!.message, /no ACRN schema accepts it/);
  assert.ok(isNvmxData(fs[0]!.data));
  assert.equal(fs[0]!.data.nvmxFixes[0]!.title, 'Use INVALID_COM_BASE');
  assert.equal(fs[0]!.data.nvmxFixes[0]!.edits[0]!.newText, 'INVALID_COM_BASE');
  // It is not also reported as the generic legacy-vuart-base finding.
  const svm = V2_OK.replace('<base>INVALID_COM_BASE', '<base>INVALID_LEGACY_PIO');
  assert.deepEqual(codes(nvmx(svm)), ['nvmx/invalid-legacy-pio']);
});

test('pcpu-shared names both VMs and the pCPU, points at the other VM, and the recipe names POST_STD_VM', () => {
  // pCPU 1 is the Service VM's BSP (its lowest pCPU), which ACRN never offlines for another VM.
  const bad = V2_OK.replace('<pcpu_id>3</pcpu_id>', '<pcpu_id>1</pcpu_id>');
  const f = nvmx(bad).find((x) => x.code === 'nvmx/pcpu-shared')!;
  assert.match(f.message, /pCPU 1 is in the cpu_affinity of VM 1 \(POST_STD_VM\) and of the Service VM \(VM 0 "SOS"\)/);
  assert.match(f.message, /Service VM's BSP/);
  assert.match(f.message, /delete the POST_STD_VM VMs/);
  const rel = f.related![0]!;
  assert.equal(bad.slice(rel.start, rel.end), '1');
  assert.ok(rel.start < f.start, 'related points into the Service VM');
  assert.ok(isNvmxData(f.data));
  assert.deepEqual(f.data.nvmxFixes.map((x) => x.title), ['Remove VM 1 (POST_STD_VM) (and what refers to it)', 'Re-pin VM 1 (POST_STD_VM) to pCPU 0']);
  // The Service VM without cpu_affinity (v2) takes every pCPU not used by pre-launched VMs: the board decides.
  const implicit = V2_OK.replace(/ *<cpu_affinity>\n *<pcpu_id>1<\/pcpu_id>\n *<pcpu_id>2<\/pcpu_id>\n *<\/cpu_affinity>\n/, '').replace('<pcpu_id>3</pcpu_id>', '<pcpu_id>0</pcpu_id>');
  const g = nvmx(implicit).find((x) => x.code === 'nvmx/pcpu-shared')!;
  assert.match(g.related![0]!.message, /every pCPU not used by a pre-launched VM/);
  assert.equal(nvmx(implicit, null).filter((x) => x.code === 'nvmx/pcpu-shared').length, 0, 'without a board the implicit set is unknown: no guess');
  // Two post-launched VMs sharing under SCHED_NOOP: also an error, naming both.
  const two = V2_OK.replace('</acrn-config>', '  <vm id="2">\n    <vm_type>KATA_VM</vm_type>\n    <cpu_affinity>\n      <pcpu_id>3</pcpu_id>\n    </cpu_affinity>\n  </vm>\n</acrn-config>');
  const h = nvmx(two).find((x) => x.code === 'nvmx/pcpu-shared')!;
  assert.match(h.message, /VM 2 \(KATA_VM\) and of VM 1 \(POST_STD_VM\)/);
});

test('service-vm-pcpu0 proposes free pCPUs from the board (CPU_PROCESSOR_INFO / processors) and is silent in release builds', () => {
  const bad = V2_OK.replace(/ *<cpu_affinity>\n *<pcpu_id>1<\/pcpu_id>\n *<pcpu_id>2<\/pcpu_id>\n *<\/cpu_affinity>\n/, '');
  const f = nvmx(bad).find((x) => x.code === 'nvmx/service-vm-pcpu0')!;
  assert.match(f.message, /free: pCPU 1 and 2/);
  assert.ok(isNvmxData(f.data));
  assert.equal(f.data.nvmxFixes[0]!.title, 'Pin the Service VM to pCPU 1 and 2');
  const release = bad.replace('<RELEASE>n</RELEASE>', '<RELEASE>y</RELEASE>');
  assert.equal(nvmx(release).filter((x) => x.code === 'nvmx/service-vm-pcpu0').length, 0);
});

test('no duplicate noise: lapic-needs-nested is reported with an ACRN tree too (dedupe.ts merges ACRN\'s datacheck into it); without SCHED_NOOP no sharing is reported', () => {
  const bad = V3_OK.replace('<nested_virtualization_support>y', '<nested_virtualization_support>n');
  const doc = parseXml(bad);
  const withTree = checkNvmx({ text: bad, doc, dialect: detectDialect(doc)!, lines: new LineIndex(bad), options: { board: BOARD, acrnTree: '/some/acrn' } });
  assert.equal(withTree.filter((f) => f.code === 'nvmx/lapic-needs-nested').length, 1);
  // NVMX on, scheduler not NOOP: two post-launched VMs sharing pCPU 3 with each other are not the recipe's concern (the scheduler finding is).
  const two = V2_OK.replace('SCHED_NOOP', 'SCHED_BVT').replace('</acrn-config>', '  <vm id="2">\n    <vm_type>POST_STD_VM</vm_type>\n    <cpu_affinity>\n      <pcpu_id>3</pcpu_id>\n    </cpu_affinity>\n  </vm>\n</acrn-config>');
  assert.deepEqual(codes(nvmx(two)), ['nvmx/sched-noop']);
  assert.ok(codes(nvmx(two.replace('SCHED_BVT', 'SCHED_NOOP'))).includes('nvmx/pcpu-shared'));
});

test('pcpu-shared under SCHED_NOOP: a post-launched VM on Service VM pCPUs other than its BSP is fine (offlined first); one finding per VM', () => {
  // v2: POST_STD_VM and POST_RT_VM on pCPU 2 (the Service VM's, not its BSP 1): the launch script offlines it.
  assert.deepEqual(codes(nvmx(V2_OK.replace('<pcpu_id>3</pcpu_id>', '<pcpu_id>2</pcpu_id>'))), []);
  assert.deepEqual(codes(nvmx(V2_OK.replace('<pcpu_id>3</pcpu_id>', '<pcpu_id>2</pcpu_id>').replace('POST_STD_VM', 'POST_RT_VM'))), []);
  // ... but a KATA_VM is started by the Kata runtime, which offlines nothing.
  const kata = nvmx(V2_OK.replace('<pcpu_id>3</pcpu_id>', '<pcpu_id>2</pcpu_id>').replace('POST_STD_VM', 'KATA_VM'));
  assert.deepEqual(codes(kata), ['nvmx/pcpu-shared']);
  assert.match(kata[0]!.message, /Kata runtime/);
  // v3: the Service VM takes pCPU 0, 1, 2 (PRE has 3); a post-launched RTVM on 1 and 2 is what ACRN means.
  const post = (pcpus: number[]): string => V3_OK.replace('</acrn-config>', `  <vm id="2">\n    <load_order>POST_LAUNCHED_VM</load_order>\n    <vm_type>RTVM</vm_type>\n    <name>RT</name>\n    <cpu_affinity>${pcpus.map((c) => `<pcpu><pcpu_id>${c}</pcpu_id></pcpu>`).join('')}</cpu_affinity>\n  </vm>\n</acrn-config>`);
  assert.deepEqual(codes(nvmx(post([1, 2]))), []);
  // On the Service VM's BSP and the pre-launched VM's pCPU: one finding for the VM, naming both.
  const fs = nvmx(post([0, 3])).filter((f) => f.code === 'nvmx/pcpu-shared');
  assert.equal(fs.length, 1);
  assert.match(fs[0]!.message, /VM 2 "RT" shares pCPU 0 and 3 with the Service VM \(VM 1 "SVM"\) and VM 0 "PRE"/);
  assert.match(fs[0]!.message, /pre-launched VM 0 "PRE"/);
  assert.ok(fs[0]!.related!.some((r) => /PRE" also has pCPU 3/.test(r.message)));
  assert.ok(fs[0]!.related!.some((r) => /Service VM.*runs on pCPU 0/.test(r.message)));
  assert.ok(fs[0]!.related!.some((r) => /names pCPU 3 here too/.test(r.message)));
  // Two post-launched VMs on one pCPU run at once: SCHED_NOOP can run only one of them.
  const two = post([1]).replace('</acrn-config>', '  <vm id="3">\n    <load_order>POST_LAUNCHED_VM</load_order>\n    <name>STD</name>\n    <cpu_affinity><pcpu><pcpu_id>1</pcpu_id></pcpu></cpu_affinity>\n  </vm>\n</acrn-config>');
  const t = nvmx(two).filter((f) => f.code === 'nvmx/pcpu-shared');
  assert.equal(t.length, 1);
  assert.match(t[0]!.message, /pCPU 1 is in the cpu_affinity of VM 3 "STD" and of VM 2 "RT"/);
});
