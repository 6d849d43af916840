/** `acrn-nest nvmx status|enable|disable`: in-process runs on copies of real ACRN files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../hv-core/cli/main';
import type { CliIO } from '../../hv-core/cli/io';
import { planEnable } from '../../hv-core/nvmx/engine';
import { parseXml } from '../../hv-core/xml/parser';
import { acrnTree, fixture, hasAcrnData, needs, TAGS } from './helpers';

async function cli(cwd: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (l) => out.push(l), err: (l) => err.push(l), cwd, env: {} };
  const code = await runCli(['nvmx', ...args], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const DATA = (tag: 'v2.6' | 'v3.3', ...p: string[]): string => path.join(acrnTree(tag), 'misc', 'config_tools', 'data', ...p);

/** A folder laid out like ACRN's data folder: the scenario next to its board. */
function workdir(tag: 'v2.6' | 'v3.3', board: string, scenario: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'acrn-nest-nvmx-cli-'));
  copyFileSync(DATA(tag, board, `${board}.xml`), path.join(dir, `${board}.xml`));
  copyFileSync(DATA(tag, board, scenario), path.join(dir, scenario));
  return dir;
}

test('enable --dry-run prints the unified diff and leaves the file alone', { skip: needs(...TAGS) }, async (t) => {
  const dir = workdir('v2.6', 'whl-ipc-i5', 'hybrid.xml');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const before = readFileSync(path.join(dir, 'hybrid.xml'), 'utf8');
  const r = await cli(dir, 'enable', 'hybrid.xml', '--dry-run', '--remove-sharing-vms');
  assert.equal(r.code, 0, r.err);
  assert.equal(readFileSync(path.join(dir, 'hybrid.xml'), 'utf8'), before);
  // The same diff as the committed golden file (the board was found next to the scenario).
  const golden = readFileSync(fixture('nvmx', 'v2.6-whl-ipc-i5-hybrid.enable.diff'), 'utf8').replace(/whl-ipc-i5\/hybrid\.xml/g, 'hybrid.xml');
  assert.ok(r.out.includes(golden.trimEnd()), r.out);
  assert.match(r.out, /^- set hv\.FEATURES\.NVMX_ENABLED to y \(recipe: Service OS VM configuration, step 1\)$/m);
});

test('enable writes in place atomically (mode kept, no temp file left), disable reverts, status shows the checklist', { skip: !hasAcrnData() }, async (t) => {
  const dir = workdir('v3.3', 'qemu', 'shared.xml');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'shared.xml');
  const before = readFileSync(file, 'utf8');
  chmodSync(file, 0o640);
  let r = await cli(dir, 'status', 'shared.xml');
  assert.equal(r.code, 0);
  assert.match(r.out, /ACRN v3\.x scenario; nested virtualization off/);
  assert.match(r.out, /^\[ \] Service VM nested_virtualization_support = y: nested_virtualization_support is n \(default\)$/m);
  assert.match(r.out, /^ {4}shared\.xml:60:3 \(recipe: Service OS VM configuration, step 2\)$/m);
  r = await cli(dir, 'enable', 'shared.xml', '--remove-sharing-vms');
  assert.equal(r.code, 0, r.err);
  const after = readFileSync(file, 'utf8');
  assert.equal(after, planEnable(before, { board: parseXml(readFileSync(path.join(dir, 'qemu.xml'), 'utf8')), defaultChoice: 'remove' }).result);
  assert.equal(statSync(file).mode & 0o777, 0o640);
  assert.deepEqual(readdirSync(dir).sort(), ['qemu.xml', 'shared.xml']);
  r = await cli(dir, 'status', 'shared.xml', '--format', 'json');
  const st = JSON.parse(r.out) as { enabled: boolean; complete: boolean; steps: { satisfied: boolean; line: number }[] };
  assert.equal(st.enabled, true);
  assert.equal(st.complete, true);
  r = await cli(dir, 'enable', 'shared.xml');
  assert.match(r.out, /nothing to change/);
  r = await cli(dir, 'disable', 'shared.xml');
  assert.equal(r.code, 0, r.err);
  const off = readFileSync(file, 'utf8');
  assert.ok(off.includes('<SCHEDULER>SCHED_BVT</SCHEDULER>\n') && off.includes('<console_vuart>COM Port 1</console_vuart>\n') && !off.includes('acrn-nest:'));
});

test('enable without a choice keeps the sharing VMs, says how to resolve them, and exits 1', { skip: !hasAcrnData() }, async (t) => {
  const dir = workdir('v3.3', 'qemu', 'shared.xml');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // POST_STD_VM1 on pCPU 0, the Service VM's BSP (on pCPU 1, as shipped, it may stay: the launch
  // script offlines that pCPU from the Service VM before the VM starts).
  const file = path.join(dir, 'shared.xml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('<pcpu_id>1</pcpu_id>', '<pcpu_id>0</pcpu_id>'));
  const r = await cli(dir, 'enable', 'shared.xml', '--dry-run');
  assert.equal(r.code, 1);
  assert.match(r.err, /keeps sharing pCPU/);
  assert.match(r.err, /--remove-sharing-vms or --repin-sharing-vms/);
  assert.match(r.err, /shared\.xml:\d+:\d+: error: pCPU \d is in the cpu_affinity of VM 1 "POST_STD_VM1".*\[nvmx\/pcpu-shared\]/);
});

test('usage and input errors: exit 2 for usage, 1 with a clear message for bad files', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'acrn-nest-nvmx-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal((await cli(dir)).code, 2);
  assert.equal((await cli(dir, 'frobnicate', 'x.xml')).code, 2);
  assert.equal((await cli(dir, 'enable')).code, 2);
  assert.equal((await cli(dir, 'enable', 'x.xml', '--remove-sharing-vms', '--repin-sharing-vms')).code, 2);
  const missing = await cli(dir, 'status', 'nope.xml');
  assert.equal(missing.code, 1);
  assert.match(missing.err, /nope\.xml: no such file/);
  if (hasAcrnData()) {
    const board = await cli(dir, 'enable', DATA('v3.3', 'qemu', 'qemu.xml'));
    assert.equal(board.code, 1);
    assert.match(board.err, /ACRN board, not a scenario/);
  }
});
