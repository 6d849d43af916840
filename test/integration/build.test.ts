/**
 * The build driver and `acrn-nest build` against the fake ACRN tree (test/fixtures/fake-acrn-tree):
 * real make, real processes, an ACRN-style validator. Prerequisite tools the fake build does not
 * use (iasl, cc, xsltproc, xmllint) are stand-ins in a temporary PATH so preflight can be tested
 * with missing, old and new versions; python3 is Debian's (with or without its site packages).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanBuild, runBuild } from '../../hv-core/acrn-build/index';
import type { BuildOptions, BuildResult } from '../../hv-core/acrn-build/index';
import { runCli } from '../../hv-core/cli/main';
import { fixture } from '../unit/helpers';

const DEBIAN_PY = '/usr/bin/python3';

interface Tools {
  cc?: string | null;
  iasl?: string | null;
  /** python3 without Debian's dist-packages (so lxml & co. are missing). */
  pythonNoSite?: boolean;
}

/** A temp dir: a copy of the fake tree, a board, a PATH with stand-in tools. */
function setup(tools: Tools = {}, version?: string): { tree: string; dir: string; board: string; env: NodeJS.ProcessEnv; counter: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-build-'));
  const tree = path.join(dir, 'acrn');
  cpSync(fixture('fake-acrn-tree'), tree, { recursive: true });
  if (version) writeFileSync(path.join(tree, 'VERSION'), version);
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  const script = (name: string, body: string): void => {
    writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  };
  if (tools.cc !== null) script('cc', `echo ${tools.cc ?? '12.2.0'}`);
  if (tools.iasl !== null) script('iasl', `echo "Intel ACPI Component Architecture"; echo "ASL+ Optimizing Compiler/Disassembler version ${tools.iasl ?? '20200925'}"`);
  script('xsltproc', 'echo "Using libxml 21004"');
  script('xmllint', 'echo "xmllint: using libxml version 21004"');
  script('python3', `exec ${DEBIAN_PY}${tools.pythonNoSite ? ' -S' : ''} "$@"`);
  // Nothing else on PATH: the tools the fake make uses are linked in, so a tool the test leaves
  // out is really missing (spawn fails with ENOENT).
  for (const tool of ['make', 'mkdir', 'cat', 'cp', 'rm', 'sleep']) {
    const real = ['/usr/bin', '/bin'].map((d) => path.join(d, tool)).find((p) => existsSync(p));
    assert.ok(real, `${tool} is installed`);
    symlinkSync(real, path.join(bin, tool));
  }
  const board = path.join(dir, 'fake.xml');
  writeFileSync(board, '<acrn-config board="fake">\n  <BIOS_INFO>fake</BIOS_INFO>\n  <processors/>\n</acrn-config>\n');
  const counter = path.join(dir, 'make-count');
  // Only the stand-ins, make and the shell utilities: no other python3 ahead of ours.
  return { tree, dir, board, counter, env: { PATH: bin, FAKE_ACRN_COUNTER: counter } };
}

const GOOD = `<?xml version="1.0" encoding="utf-8"?>
<acrn-config>
  <hv>
    <BUILD_TYPE>debug</BUILD_TYPE>
    <FEATURES>
      <SCHEDULER>SCHED_NOOP</SCHEDULER>
    </FEATURES>
  </hv>
  <vm id="0">
    <load_order>SERVICE_VM</load_order>
    <name>ACRN_Service_VM</name>
    <nested_virtualization_support>y</nested_virtualization_support>
    <lapic_passthrough>y</lapic_passthrough>
  </vm>
  <vm id="1">
    <load_order>POST_LAUNCHED_VM</load_order>
    <name>POST_STD_VM1</name>
  </vm>
</acrn-config>
`;

function writeScenario(dir: string, text: string, name = 'nested.xml'): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

function build(s: ReturnType<typeof setup>, scenario: string, extra: Partial<BuildOptions> = {}): Promise<BuildResult> {
  return runBuild({ acrnTree: s.tree, board: s.board, scenario, env: s.env, jobs: 1, ...extra });
}

function makeRuns(s: ReturnType<typeof setup>): number {
  return existsSync(s.counter) ? readFileSync(s.counter, 'utf8').trim().split('\n').filter(Boolean).length : 0;
}

/** Runs the CLI in-process (callers set process.env.PATH: the CLI builds with the process env). */
async function cli(args: string[], cwd: string): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), cwd, env: process.env });
  return { code, out, err };
}

/** 1-based line of the first occurrence of `needle` and its 1-based column. */
function lineCol(text: string, needle: string): { line: number; col: number } {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, needle);
  const before = text.slice(0, i);
  return { line: before.split('\n').length, col: i - before.lastIndexOf('\n') };
}

test('success: acrn.bin built, config.h read, output streamed line by line', async () => {
  const s = setup();
  const scenario = writeScenario(s.dir, GOOD);
  const lines: string[] = [];
  const steps: string[] = [];
  const r = await build(s, scenario, { onLine: (l) => lines.push(l), onStep: (st) => steps.push(st) });
  assert.equal(r.error, undefined, r.error?.message);
  assert.equal(r.ok, true);
  assert.equal(r.upToDate, false);
  assert.equal(r.image, path.join(s.tree, 'build', 'hypervisor', 'acrn.bin'));
  assert.ok(readFileSync(r.image).includes(Buffer.from('nested_virtualization_support')));
  assert.equal(r.config?.CONFIG_NVMX_ENABLED, '1');
  assert.equal(r.config?.CONFIG_SCENARIO, 'nested');
  assert.equal(r.tree?.label, 'v3.3');
  assert.deepEqual(r.makeArgv, ['make', '-j1', `BOARD=${s.board}`, `SCENARIO=${scenario}`, 'hypervisor']);
  assert.ok(lines.includes('Validating scenario configurations...'), lines.join('\n'));
  assert.ok(lines.includes('objcopy -O binary acrn.out acrn.bin'));
  assert.deepEqual(steps, ['inputs', 'tree', 'preflight', 'make', 'output']);
  assert.equal(r.preflight?.tools.iasl, '20200925');
  assert.deepEqual(r.preflight?.problems, []);
});

test('CLI: exit 0 and the image path as the last line of stdout; make output on stderr', async () => {
  const s = setup();
  writeScenario(s.dir, GOOD);
  const saved = process.env.PATH;
  process.env.PATH = s.env.PATH;
  process.env.FAKE_ACRN_COUNTER = s.counter;
  try {
    const r = await cli(['build', '--acrn-tree', s.tree, '--board', s.board, '--scenario', 'nested.xml', '--jobs', '1'], s.dir);
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.equal(r.out[r.out.length - 1], path.join(s.tree, 'build', 'hypervisor', 'acrn.bin'));
    assert.ok(r.err.includes('Validating scenario configurations...'));
    assert.ok(r.err.some((l) => /built in .*ACRN v3\.3, scenario nested, CONFIG_NVMX_ENABLED=y/.test(l)), r.err.join('\n'));
    const again = await cli(['build', '--acrn-tree', s.tree, '--board', s.board, '--scenario', 'nested.xml'], s.dir);
    assert.equal(again.code, 0);
    assert.ok(again.err.some((l) => l.includes('up to date')), again.err.join('\n'));
    assert.equal(again.out[again.out.length - 1], path.join(s.tree, 'build', 'hypervisor', 'acrn.bin'));
    const usage = await cli(['build', '--acrn-tree', s.tree, '--board', s.board], s.dir);
    assert.equal(usage.code, 2);
    assert.match(usage.err.join('\n'), /--scenario is required/);
  } finally {
    process.env.PATH = saved;
    delete process.env.FAKE_ACRN_COUNTER;
  }
});

test('validator lines land on the scenario line and column they concern', async () => {
  const s = setup();
  const text = GOOD.replace('SCHED_NOOP', 'SCHED_FOO').replace('<nested_virtualization_support>y', '<nested_virtualization_support>n').replace('POST_STD_VM1', 'ACRN_Service_VM');
  const scenario = writeScenario(s.dir, text);
  const r = await build(s, scenario);
  assert.equal(r.ok, false);
  assert.equal(r.error?.step, 'validate');
  assert.equal(r.error?.code, 'build/validator');
  assert.match(r.error!.message, /3 error\(s\), 0 warning\(s\)/);
  const at = (xp: string): { line: number; col: number; msg: string } => {
    const f = r.findings.find((x) => x.xpath === xp);
    assert.ok(f, `${xp} in ${JSON.stringify(r.findings)}`);
    assert.equal(f.file, scenario);
    return { line: f.line + 1, col: f.character + 1, msg: f.message };
  };
  const sched = at('/acrn-config/hv/FEATURES/SCHEDULER');
  assert.deepEqual({ line: sched.line, col: sched.col }, lineCol(text, 'SCHED_FOO'));
  assert.match(sched.msg, /value must be one of/);
  const lapic = at('/acrn-config/vm[1]/lapic_passthrough');
  const lp = lineCol(text, '<lapic_passthrough>y');
  assert.deepEqual({ line: lapic.line, col: lapic.col }, { line: lp.line, col: lp.col + '<lapic_passthrough>'.length });
  assert.match(lapic.msg, /may not use LAPIC passthrough/);
  // One message naming two paths: a finding at each.
  const n1 = at('/acrn-config/vm[1]/name');
  const n2 = at('/acrn-config/vm[2]/name');
  assert.notEqual(n1.line, n2.line);
  assert.match(n2.msg, /VM names must be unique.*\(also: \/acrn-config\/vm\[1\]\/name\)/);
  // The summary line is not a finding.
  assert.equal(r.findings.filter((f) => /inconsistent/.test(f.message)).length, 0);
});

test('a path to an element the file leaves out lands on its nearest ancestor', async () => {
  const s = setup();
  const text = GOOD.replace('<name>ACRN_Service_VM</name>', '<name>MISSING_ELEMENT</name>');
  const scenario = writeScenario(s.dir, text);
  const r = await build(s, scenario);
  assert.equal(r.error?.code, 'build/validator');
  const f = r.findings.find((x) => x.xpath === '/acrn-config/vm[1]/epc_section/base');
  assert.ok(f, JSON.stringify(r.findings));
  assert.equal(f.severity, 'warning');
  assert.equal(f.line + 1, lineCol(text, '<vm id="0">').line);
  assert.match(f.message, /not in the file: shown on its nearest ancestor/);
  assert.match(r.error!.message, /0 error\(s\), 1 warning\(s\) \(ACRN v3 stops on warnings too\)/);
});

test('gcc errors are findings at the source line; the CLI prints FILE:LINE:COL: error: MESSAGE', async () => {
  const s = setup();
  const scenario = writeScenario(s.dir, GOOD.replace('<acrn-config>', '<acrn-config>\n  <!-- fake-acrn: gcc-error -->'));
  const r = await build(s, scenario);
  assert.equal(r.error?.step, 'compile');
  const src = path.join(s.tree, 'hypervisor', 'arch', 'x86', 'guest', 'vmcs.c');
  const err = r.findings.find((f) => f.source === 'gcc' && f.severity === 'error');
  assert.deepEqual(err && { file: err.file, line: err.line, character: err.character }, { file: src, line: 41, character: 16 });
  assert.ok(r.findings.some((f) => f.source === 'gcc' && f.severity === 'warning' && f.line === 56));
  assert.match(r.error!.message, /did not compile: 1 error\(s\), first hypervisor\/arch\/x86\/guest\/vmcs\.c:42: 'CONFIG_NVMX_FAKE' undeclared/);

  const saved = process.env.PATH;
  process.env.PATH = s.env.PATH;
  try {
    const c = await cli(['build', '--acrn-tree', s.tree, '--board', s.board, '--scenario', scenario, '--force'], s.dir);
    assert.equal(c.code, 1);
    assert.ok(c.out.includes(`acrn/hypervisor/arch/x86/guest/vmcs.c:42:17: error: 'CONFIG_NVMX_FAKE' undeclared (first use in this function)`), c.out.join('\n'));
    assert.ok(c.err.some((l) => l.startsWith('acrn-nest build: failed at compile: ')));
  } finally {
    process.env.PATH = saved;
  }
});

test('"Configuration conflict identified": a clear error offering make clean, which fixes it', async () => {
  const s = setup();
  const a = await build(s, writeScenario(s.dir, GOOD, 'first.xml'));
  assert.equal(a.ok, true, a.error?.message);
  const second = writeScenario(s.dir, GOOD, 'second.xml');
  const b = await build(s, second);
  assert.equal(b.error?.code, 'build/config-conflict');
  assert.match(b.error!.message, /^Configuration conflict identified: The command line sets SCENARIO to be 'second', but an existing build is configured with 'first'/);
  assert.match(b.error!.hint!, /make clean/);
  await cleanBuild({ acrnTree: s.tree, env: s.env });
  const c = await build(s, second);
  assert.equal(c.ok, true, c.error?.message);
  assert.equal(c.config?.CONFIG_SCENARIO, 'second');
});

test('not an ACRN tree: says which parts are missing', async () => {
  const s = setup();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'not-acrn-'));
  writeFileSync(path.join(dir, 'Makefile'), 'all:\n');
  const r = await runBuild({ acrnTree: dir, board: s.board, scenario: writeScenario(s.dir, GOOD), env: s.env });
  assert.equal(r.error?.step, 'tree');
  assert.equal(r.error?.code, 'tree/not-acrn');
  assert.equal(r.error?.message, `${dir} is not an ACRN tree: no hypervisor/, no misc/config_tools/`);
  assert.match(r.error!.hint!, /acrn-hypervisor/);
  const missing = await runBuild({ acrnTree: path.join(dir, 'nope'), board: s.board, scenario: writeScenario(s.dir, GOOD), env: s.env });
  assert.equal(missing.error?.code, 'tree/missing');
  assert.equal(makeRuns(s), 0);
});

test('paths ACRN\'s make would split or run: the inputs are copied to safe names; an unsafe tree is refused', async () => {
  const s = setup();
  const scenario = writeScenario(s.dir, GOOD.replace('SCHED_NOOP', 'SCHED_FOO'), 'my scenario; $(touch pwned).xml');
  const r = await build(s, scenario);
  assert.equal(r.error?.code, 'build/validator');
  assert.equal(r.findings[0]?.file, scenario, 'findings point at the user\'s file');
  assert.equal(r.makeArgv?.find((a) => a.startsWith('SCENARIO=')), `SCENARIO=${path.join(s.tree, 'build', 'acrn-nest-inputs', 'scenario', path.basename(s.dir), 'my_scenario____touch_pwned_.xml')}`);
  assert.equal(existsSync(path.join(s.dir, 'pwned')) || existsSync(path.join(s.tree, 'pwned')), false);
  const spaced = path.join(s.dir, 'acrn tree');
  cpSync(s.tree, spaced, { recursive: true });
  const t = await runBuild({ acrnTree: spaced, board: s.board, scenario: writeScenario(s.dir, GOOD), env: s.env });
  assert.equal(t.error?.code, 'inputs/unsafe-path');
  assert.match(t.error!.message, /ACRN tree .*acrn tree contains a space: ACRN's Makefiles use this path unquoted/);
});

test('preflight: PATH\'s python3 lacks lxml & co.: the build probes the machine\'s interpreters, uses /usr/bin/python3 and says so (issue 11 defect 2)', async () => {
  const s = setup({ pythonNoSite: true });
  const lines: string[] = [];
  const r = await build(s, writeScenario(s.dir, GOOD), { onLine: (l) => lines.push(l) });
  assert.equal(r.ok, true, r.error?.message);
  assert.equal(r.python?.executable, DEBIAN_PY);
  assert.match(r.python!.reason, /PATH's python3 .* lacks ACRN's modules/);
  assert.ok(lines.some((l) => l.includes(`using ${DEBIAN_PY} as python3`)), lines.join('\n'));
  assert.equal(makeRuns(s), 1);
});

test('preflight: python3 without lxml & co. is named, with how to fix it; make never runs', async () => {
  const s = setup({ pythonNoSite: true });
  const r = await build(s, writeScenario(s.dir, GOOD), { pythonCandidates: [] });
  assert.equal(r.error?.step, 'preflight');
  assert.equal(r.error?.code, 'preflight/python-module');
  assert.match(r.error!.message, /python3 \(.*python3.*, Python 3\.\d+\.\d+\) cannot import lxml, xmlschema, elementpath, defusedxml/);
  assert.match(r.error!.hint!, /sudo apt install python3-lxml python3-xmlschema python3-elementpath python3-defusedxml/);
  assert.equal(makeRuns(s), 0);
  // --python points make (and preflight) at an interpreter that has them.
  const ok = await build(s, writeScenario(s.dir, GOOD), { python: DEBIAN_PY });
  assert.equal(ok.ok, true, ok.error?.message);
  assert.equal(ok.preflight?.tools.python?.modules.lxml !== null, true);
});

test('preflight: missing iasl, old iasl, and GCC 12 with a v2 tree', async () => {
  const noIasl = setup({ iasl: null });
  const r1 = await build(noIasl, writeScenario(noIasl.dir, GOOD));
  assert.equal(r1.error?.code, 'preflight/iasl-missing');
  assert.match(r1.error!.hint!, /acpica-tools/);
  const old = setup({ iasl: '20180105' });
  const r2 = await build(old, writeScenario(old.dir, GOOD));
  assert.equal(r2.error?.code, 'preflight/iasl-old');
  assert.match(r2.error!.message, /iasl 20180105 is too old: ACRN v3\.3 needs >= 20190703/);
  const v2 = setup({ cc: '12.2.0' }, 'MAJOR_VERSION=2\nMINOR_VERSION=7\n');
  const v2scenario = '<acrn-config board="fake" scenario="s">\n  <hv><FEATURES><SCHEDULER>SCHED_NOOP</SCHEDULER><RELOC>y</RELOC></FEATURES></hv>\n  <vm id="0"><vm_type>SERVICE_VM</vm_type><guest_flags><guest_flag>0</guest_flag></guest_flags></vm>\n</acrn-config>\n';
  const r3 = await build(v2, writeScenario(v2.dir, v2scenario));
  assert.equal(r3.error?.code, 'preflight/gcc-too-new');
  assert.match(r3.error!.message, /ACRN v2\.7 does not build with GCC 12\.2\.0/);
  assert.match(r3.error!.hint!, /--build-host/);
  const v2ok = setup({ cc: '11.4.0' }, 'MAJOR_VERSION=2\nMINOR_VERSION=7\n');
  const r4 = await build(v2ok, writeScenario(v2ok.dir, v2scenario));
  assert.ok(!r4.preflight?.problems.length, JSON.stringify(r4.preflight?.problems));
  // A v3 scenario into a v2 tree is refused before make.
  const r5 = await build(v2ok, writeScenario(v2ok.dir, GOOD));
  assert.equal(r5.error?.code, 'inputs/dialect-mismatch');
});

test('up to date: the second build does not run make; an edit does, with the new scenario', async () => {
  const s = setup();
  const scenario = writeScenario(s.dir, GOOD);
  const a = await build(s, scenario);
  assert.equal(a.ok, true, a.error?.message);
  assert.equal(makeRuns(s), 1);
  const t0 = Date.now();
  const b = await build(s, scenario);
  assert.equal(b.ok, true);
  assert.equal(b.upToDate, true);
  assert.equal(b.makeRan, false);
  assert.equal(b.image, a.image);
  assert.equal(makeRuns(s), 1);
  assert.ok(Date.now() - t0 < 5000);
  // Edit: make runs, and ACRN's cached copy of the scenario is the new one.
  writeFileSync(scenario, GOOD.replace('POST_STD_VM1', 'POST_STD_VM2'));
  const c = await build(s, scenario);
  assert.equal(c.ok, true, c.error?.message);
  assert.equal(c.upToDate, false);
  assert.equal(makeRuns(s), 2);
  assert.match(readFileSync(path.join(s.tree, 'build', 'hypervisor', '.scenario.xml'), 'utf8'), /POST_STD_VM2/);
  // --force rebuilds anyway; a removed image rebuilds.
  const d = await build(s, scenario, { force: true });
  assert.equal(d.makeRan, true);
  assert.equal(makeRuns(s), 3);
});

test('cancel kills make and everything it started', async () => {
  const s = setup();
  const pidfile = path.join(s.dir, 'pids');
  const scenario = writeScenario(s.dir, GOOD.replace('<acrn-config>', '<acrn-config>\n  <!-- fake-acrn: slow -->'));
  const ac = new AbortController();
  const t0 = Date.now();
  const r = await build(s, scenario, {
    env: { ...s.env, FAKE_ACRN_PIDFILE: pidfile },
    signal: ac.signal,
    onLine: (l) => {
      if (l === 'compiling slowly...') ac.abort();
    },
  });
  assert.equal(r.error?.code, 'build/cancelled');
  assert.ok(Date.now() - t0 < 20000, 'cancel is prompt');
  const pids = readFileSync(pidfile, 'utf8').trim().split(/\s+/).map(Number);
  assert.equal(pids.length, 2);
  const gone = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    // A zombie waiting for its reaper is dead too.
    try {
      return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return true;
    }
  };
  for (const pid of pids) assert.ok(gone(pid), `process ${pid} still running after cancel`);
});
