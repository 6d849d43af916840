/**
 * make output -> findings: the line parser on lines taken from real ACRN builds (v3.3 validator,
 * v2.7 under GCC 12, a configuration conflict), and XPath -> range mapping on ACRN's own scenario
 * and board files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { BuildOutputParser, compilerFinding, formatBuildFinding, mapValidatorPath, validatorFindings, v2KeyToXpath } from '../../hv-core/acrn-build/parse';
import type { MappedFile } from '../../hv-core/acrn-build/parse';
import { compareVersions, parseRequirements } from '../../hv-core/acrn-build/preflight';
import { parseConfigH } from '../../hv-core/acrn-build/build';
import { loadFile } from '../../hv-core/files';
import { parseXml } from '../../hv-core/xml/parser';
import { acrnTree, hasAcrnData, needs } from './helpers';
import { linkTarget } from '../acrn-data';

const noData = !hasAcrnData() && 'no ../shared/acrn-data';

function mapped(file: string): MappedFile {
  const l = loadFile(file);
  return { file: l.path, text: l.text, doc: parseXml(l.text) };
}

/** 1-based line and column of a needle (the n-th occurrence), plus `shift` characters. */
function lc(text: string, needle: string, nth = 1, shift = 0): string {
  let i = -1;
  for (let k = 0; k < nth; k++) i = text.indexOf(needle, i + 1);
  assert.ok(i >= 0, needle);
  i += shift;
  const before = text.slice(0, i);
  return `${before.split('\n').length}:${i - before.lastIndexOf('\n')}`;
}

test('validator lines: severity, one or several XPaths, message; the summary is not a finding', () => {
  const p = new BuildOutputParser('/acrn');
  assert.deepEqual(p.parse("CRITICAL:root:/acrn-config/hv/FEATURES/SCHEDULER: value must be one of ['SCHED_NOOP', 'SCHED_IORR', 'SCHED_BVT', 'SCHED_PRIO']"), {
    kind: 'validator',
    severity: 'error',
    level: 'CRITICAL',
    paths: ['/acrn-config/hv/FEATURES/SCHEDULER'],
    message: "value must be one of ['SCHED_NOOP', 'SCHED_IORR', 'SCHED_BVT', 'SCHED_PRIO']",
  });
  const two = p.parse('ERROR:root:/acrn-config/vm[1]/cpu_affinity/pcpu[1]/pcpu_id, /acrn-config/vm[3]/cpu_affinity/pcpu[2]/pcpu_id: pCPU 2 is shared: a: b');
  assert.equal(two?.kind, 'validator');
  assert.deepEqual(two.kind === 'validator' && two.paths, ['/acrn-config/vm[1]/cpu_affinity/pcpu[1]/pcpu_id', '/acrn-config/vm[3]/cpu_affinity/pcpu[2]/pcpu_id']);
  assert.equal(two.kind === 'validator' && two.message, 'pCPU 2 is shared: a: b');
  const w = p.parse('WARNING:root:/acrn-config/hv/CACHE_REGION: x');
  assert.equal(w?.kind === 'validator' && w.severity, 'warning');
  assert.equal(p.parse('ERROR:root:Board nuc11tnbi5 and scenario shared_launch_6user_vm are inconsistent: 1 syntax errors, 1 data errors, 0 warnings.')?.kind, 'validator-summary');
  assert.equal(p.parse('ERROR:root:Python package `xmlschema` is not installed.')?.kind, 'validator-message');
  assert.equal(p.parse('Validating scenario configurations...'), undefined);
});

test('v2 keys (scenario_cfg_gen), with the colour codes print_red adds', () => {
  const p = new BuildOutputParser('/acrn');
  const r = p.parse("\x1b[31mhv,FEATURES,SCHEDULER: 'SCHEDULER' value must be one of\x1b[0m");
  assert.equal(r?.kind === 'validator' && r.paths[0], '/acrn-config/hv/FEATURES/SCHEDULER');
  assert.equal(v2KeyToXpath('vm:id=1,guest_flags,guest_flag'), "/acrn-config/vm[@id='1']/guest_flags/guest_flag");
});

test('gcc lines resolve against the directory make entered (real v2.7 + GCC 12 output)', () => {
  const p = new BuildOutputParser('/tmp/acrn-v2.7');
  assert.equal(p.parse("make[1]: Entering directory '/tmp/acrn-v2.7/hypervisor'"), undefined);
  const r = p.parse('lib/crypto/mbedtls/md.c:86:67: error: the comparison will always evaluate as ‘false’ for the address of ‘hmac_ctx’ will never be NULL [-Werror=address]');
  assert.equal(r?.kind, 'compiler');
  if (r?.kind !== 'compiler') return;
  assert.equal(r.file, '/tmp/acrn-v2.7/hypervisor/lib/crypto/mbedtls/md.c');
  const f = compilerFinding(r);
  assert.equal(formatBuildFinding(f), '/tmp/acrn-v2.7/hypervisor/lib/crypto/mbedtls/md.c:86:67: error: the comparison will always evaluate as ‘false’ for the address of ‘hmac_ctx’ will never be NULL [-Werror=address]');
  assert.equal(p.parse("make[1]: Leaving directory '/tmp/acrn-v2.7/hypervisor'"), undefined);
  const top = p.parse('boot/x.c:3: warning: no column');
  assert.equal(top?.kind === 'compiler' && top.file, '/tmp/acrn-v2.7/boot/x.c');
  assert.equal(top?.kind === 'compiler' && top.column, undefined);
  assert.deepEqual(p.parse('make: *** [Makefile:109: hypervisor] Error 2'), { kind: 'make-error', message: '[Makefile:109: hypervisor] Error 2' });
});

test('configuration conflict, missing prerequisites, python exceptions, make fatal errors', () => {
  const p = new BuildOutputParser('/acrn');
  assert.equal(p.parse('scripts/makefile/config.mk:190: *** Configuration conflict identified.  Stop.')?.kind, 'conflict');
  assert.deepEqual(p.parse("scripts/makefile/config.mk:190: The command line sets SCENARIO to be 'other', but an existing build is configured with 'shared_launch_6user_vm'"), {
    kind: 'conflict-detail',
    message: "The command line sets SCENARIO to be 'other', but an existing build is configured with 'shared_launch_6user_vm'",
  });
  assert.deepEqual(p.parse('The python3 library *elementpath* is not installed'), { kind: 'missing-prerequisite', what: 'elementpath', message: 'python3 cannot import elementpath' });
  assert.equal(p.parse('Cannot find executable *iasl*')?.kind, 'missing-prerequisite');
  assert.equal(p.parse('xml.etree.ElementTree.ParseError: syntax error: line 1, column 0')?.kind, 'python-error');
  assert.deepEqual(p.parse("Makefile:64: *** SCENARIO = 'x' is neither path to a file nor name of a predefined board.  Stop."), { kind: 'make-error', message: "SCENARIO = 'x' is neither path to a file nor name of a predefined board" });
});

test('XPath -> range in ACRN v3.3 files: scenario value, board data, nearest ancestor', { skip: noData }, () => {
  const dir = path.join(acrnTree('v3.3'), 'misc', 'config_tools', 'data', 'nuc11tnbi5');
  // shared.xml is a symlink: a real one (a Linux checkout) or a git placeholder (followed by loadFile).
  const scen = mapped(path.join(dir, 'shared.xml'));
  const board = mapped(path.join(dir, 'nuc11tnbi5.xml'));
  assert.equal(path.basename(realpathSync(scen.file)), 'shared_launch_6user_vm.xml');
  assert.equal(path.basename(linkTarget(path.join(dir, 'shared.xml'))), 'shared_launch_6user_vm.xml');
  const name = path.basename(scen.file);
  const at = (xp: string): string => {
    const m = mapValidatorPath(xp, scen, board);
    const before = m.file.text.slice(0, m.start);
    return `${path.basename(m.file.file)}:${before.split('\n').length}:${m.start - before.lastIndexOf('\n')}:${m.file.text.slice(m.start, m.end)}:${m.exact}`;
  };
  assert.equal(at('/acrn-config/hv/FEATURES/SCHEDULER'), `${name}:${lc(scen.text, 'SCHED_BVT')}:SCHED_BVT:true`);
  assert.equal(at('/acrn-config/vm[2]/name'), `${name}:${lc(scen.text, '<name>POST_STD_VM1', 1, '<name>'.length)}:POST_STD_VM1:true`);
  assert.equal(at('/acrn-config/vm[1]/@id'), `${name}:${lc(scen.text, '<vm id="0"', 1, '<vm id="'.length)}:0:true`);
  const cpu = /<cpu_id>([^<]*)<\/cpu_id>/.exec(board.text)!;
  assert.equal(at('/acrn-config/processors/die/core/thread/cpu_id'), `nuc11tnbi5.xml:${lc(board.text, '<cpu_id>', 1, '<cpu_id>'.length)}:${cpu[1]}:true`);
  // Not in the file (ACRN filled a default): the deepest existing ancestor, vm[1].
  assert.equal(at('/acrn-config/vm[1]/epc_section/base'), `${name}:${lc(scen.text, '<vm id="0"', 1, 1)}:vm:false`);
  const fs = validatorFindings({ kind: 'validator', severity: 'error', level: 'ERROR', paths: ['/acrn-config/vm[1]/name', '/acrn-config/vm[2]/name'], message: 'dup' }, scen, board);
  assert.equal(fs.length, 2);
  assert.match(fs[0]!.message, /^ACRN validator: dup \(also: \/acrn-config\/vm\[2\]\/name\)$/);
  assert.equal(fs[1]!.line + 1, Number(lc(scen.text, '<name>POST_STD_VM1').split(':')[0]));
});

test('v2 key -> range by vm id in an ACRN v2.6 scenario', { skip: needs('v2.6') }, () => {
  const scen = mapped(path.join(acrnTree('v2.6'), 'misc', 'config_tools', 'data', 'nuc7i7dnb', 'industry.xml'));
  const p = new BuildOutputParser('/acrn');
  const r = p.parse("vm:id=1,guest_flags: 'guest_flags' bad");
  assert.equal(r?.kind, 'validator');
  if (r?.kind !== 'validator') return;
  const [f] = validatorFindings(r, scen);
  assert.equal(`${f!.line + 1}`, lc(scen.text, '<guest_flags>', 2).split(':')[0]);
});

test('preflight helpers: versions, requirements.txt, config.h', () => {
  assert.equal(compareVersions('2.4.1', '2.5.0'), -1);
  assert.equal(compareVersions('4.1.0', '2.5.0'), 1);
  assert.equal(compareVersions('2.5', '2.5.0'), 0);
  assert.deepEqual(parseRequirements('defusedxml\nlxml\nelementpath>=2.5.0\nxmlschema\n'), { elementpath: '2.5.0' });
  assert.deepEqual(parseConfigH('#ifndef CONFIG_H\n#define CONFIG_H\n#define CONFIG_SCENARIO "shared"\n#define CONFIG_NVMX_ENABLED 1\n'), { CONFIG_H: '', CONFIG_SCENARIO: 'shared', CONFIG_NVMX_ENABLED: '1' });
});
