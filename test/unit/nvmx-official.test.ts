/**
 * For EVERY official v2.5, v2.6 and v3.3 scenario with a Service VM: `acrn-nest nvmx enable
 * --remove-sharing-vms` (the real CLI command, in-process, on a copy) produces a file that ACRN's
 * own validation for that version accepts and that satisfies every NVMX rule; `disable` too.
 *  - v2: config.xsd as XSD 1.1 + datachecks.xsd, through Debian's python3-xmlschema (the way
 *    ACRN v2's scenario_cfg_gen.py validates), test/fixtures/nvmx/xsd11_validate.py.
 *  - v3: acrn-nest's own validator (the schema checker, same findings as ACRN's validator.py).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../hv-core/cli/main';
import type { CliIO } from '../../hv-core/cli/io';
import { loadFile } from '../../hv-core/files';
import { findBoardFile } from '../../hv-core/schema/tree';
import { nvmxStatus } from '../../hv-core/nvmx/engine';
import { analyzeText } from '../../hv-core/scenario/analyze';
import { parseXml } from '../../hv-core/xml/parser';
import { acrnTree, dataFiles, fixture, hasAcrnData, needs } from './helpers';

const PY = '/usr/bin/python3';
const hasXmlschema = existsSync(PY) && spawnSync(PY, ['-c', 'import xmlschema, lxml'], { encoding: 'utf8' }).status === 0;

interface Case {
  tag: 'v2.5' | 'v2.6' | 'v3.3';
  scenario: string;
  board: string;
  enabled: string;
  disabled: string;
}

function scenariosWithServiceVm(tag: Case['tag']): { scenario: string; board: string }[] {
  const out: { scenario: string; board: string }[] = [];
  const seen = new Set<string>();
  for (const f of dataFiles(tag)) {
    const l = loadFile(f);
    if (seen.has(l.path)) continue;
    seen.add(l.path);
    if (!/<vm[\s>]/.test(l.text) || !/>\s*(SOS_VM|SERVICE_VM)\s*</.test(l.text)) continue;
    const board = findBoardFile({ scenarioPath: l.path, text: l.text, acrnTree: acrnTree(tag) });
    assert.ok(board, `board for ${f}`);
    out.push({ scenario: l.path, board });
  }
  return out;
}

async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (l) => out.push(l), err: (l) => err.push(l), cwd: process.cwd(), env: process.env };
  const code = await runCli(args, io);
  return { code, out, err };
}

const work = mkdtempSync(path.join(tmpdir(), 'acrn-nest-nvmx-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

async function enableDisable(tag: Case['tag']): Promise<Case[]> {
  const cases: Case[] = [];
  for (const { scenario, board } of scenariosWithServiceVm(tag)) {
    const base = `${tag}-${path.basename(path.dirname(scenario))}-${path.basename(scenario, '.xml')}`;
    const enabled = path.join(work, `${base}.enabled.xml`);
    copyFileSync(scenario, enabled);
    const en = await cli(['nvmx', 'enable', enabled, '--board', board, '--remove-sharing-vms']);
    assert.equal(en.code, 0, `enable ${scenario}: ${en.err.join('\n')}`);
    const disabled = path.join(work, `${base}.disabled.xml`);
    copyFileSync(enabled, disabled);
    const dis = await cli(['nvmx', 'disable', disabled, '--board', board]);
    assert.equal(dis.code, 0, `disable ${scenario}: ${dis.err.join('\n')}`);
    cases.push({ tag, scenario, board, enabled, disabled });
  }
  return cases;
}

function assertRules(c: Case): void {
  const board = parseXml(readFileSync(c.board, 'utf8'));
  const text = readFileSync(c.enabled, 'utf8');
  const st = nvmxStatus(text, { board });
  assert.equal(st.enabled, true, c.scenario);
  assert.deepEqual(st.steps.filter((s) => !s.satisfied).map((s) => `${s.id}: ${s.detail}`), [], c.scenario);
  const nvmx = analyzeText(text, { board }).findings.filter((f) => f.source === 'nvmx');
  assert.deepEqual(nvmx.map((f) => `${f.code}: ${f.message}`), [], c.scenario);
  const off = nvmxStatus(readFileSync(c.disabled, 'utf8'), { board });
  assert.equal(off.enabled, false, `${c.scenario} disabled`);
}

for (const tag of ['v2.5', 'v2.6'] as const) {
  test(`${tag}: every official scenario with a Service VM, enabled and disabled, passes ACRN's XSD 1.1 validation and every NVMX rule`, { skip: needs(tag) || !hasXmlschema }, async () => {
    const cases = await enableDisable(tag);
    assert.ok(cases.length >= 25, `found ${cases.length} ${tag} scenarios`);
    for (const c of cases) assertRules(c);
    const items = cases.flatMap((c) => [c.enabled, c.disabled].map((scenario) => ({ scenario, board: c.board })));
    const schemaDir = path.join(acrnTree(tag), 'misc', 'config_tools', 'schema');
    const r = spawnSync(PY, [fixture('nvmx', 'xsd11_validate.py')], { input: JSON.stringify({ schemaDir, items }), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, r.stderr);
    const results = JSON.parse(r.stdout) as { scenario: string; errors: string[] }[];
    assert.equal(results.length, items.length);
    assert.deepEqual(results.filter((x) => x.errors.length), []);
    // The check can fail: the recipe's INVALID_LEGACY_PIO is rejected by the same validator.
    const bad = path.join(work, `${tag}-bad.xml`);
    writeFileSync(bad, readFileSync(cases[0]!.enabled, 'utf8').replace(/<base>INVALID_COM_BASE<\/base>/, '<base>INVALID_LEGACY_PIO</base>'));
    const neg = spawnSync(PY, [fixture('nvmx', 'xsd11_validate.py')], { input: JSON.stringify({ schemaDir, items: [{ scenario: bad, board: null }] }), encoding: 'utf8' });
    assert.equal(neg.status, 0, neg.stderr);
    assert.ok((JSON.parse(neg.stdout) as { errors: string[] }[])[0]!.errors.length > 0, 'INVALID_LEGACY_PIO is rejected');
  });
}

test('v3.3: every official scenario with a Service VM, enabled and disabled, passes acrn-nest\'s ACRN validator (no error, no warning) and every NVMX rule', { skip: !hasAcrnData() }, async () => {
  const cases = await enableDisable('v3.3');
  assert.ok(cases.length >= 15, `found ${cases.length} v3.3 scenarios`);
  for (const c of cases) {
    assertRules(c);
    const board = parseXml(readFileSync(c.board, 'utf8'));
    for (const f of [c.enabled, c.disabled]) {
      const findings = analyzeText(readFileSync(f, 'utf8'), { board, acrnTree: acrnTree('v3.3') }).findings.filter((x) => x.severity === 'error' || x.severity === 'warning');
      assert.deepEqual(findings.map((x) => `${x.code}: ${x.message}`), [], `${c.scenario} (${path.basename(f)})`);
    }
  }
});
