/**
 * The NVMX engine and rules on every official v2.5/v2.6/v3.3 scenario with a Service VM: the
 * time to plan `enable --remove-sharing-vms` and to run the recipe's rules, next to ACRN's own
 * check of the result when a full ACRN checkout is at hand (validator.py needs scenario_config/,
 * which ../shared/acrn-data does not carry: set ACRN_SRC=/path/to/acrn-hypervisor to include it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Report } from '../bench';
import { median } from '../bench';
import { loadFile } from '../../hv-core/files';
import { findBoardFile } from '../../hv-core/schema/tree';
import { planEnable } from '../../hv-core/nvmx/engine';
import { checkNvmx } from '../../hv-core/nvmx/rules';
import { detectDialect } from '../../hv-core/scenario/dialect';
import { parseXml } from '../../hv-core/xml/parser';
import { LineIndex } from '../../hv-core/xml/positions';
import { acrnTree, dataFiles } from '../../test/unit/helpers';

export const title = 'NVMX recipe engine (enable plan, rules)';

export async function run(report: Report): Promise<void> {
  const items: { tag: string; text: string; board: ReturnType<typeof parseXml>; boardPath: string }[] = [];
  for (const tag of ['v2.5', 'v2.6', 'v3.3'] as const) {
    const seen = new Set<string>();
    for (const f of dataFiles(tag)) {
      const l = loadFile(f);
      if (seen.has(l.path) || !/<vm[\s>]/.test(l.text) || !/>\s*(SOS_VM|SERVICE_VM)\s*</.test(l.text)) continue;
      seen.add(l.path);
      const b = findBoardFile({ scenarioPath: l.path, text: l.text, acrnTree: acrnTree(tag) });
      if (b) items.push({ tag, text: l.text, board: parseXml(readFileSync(b, 'utf8')), boardPath: b });
    }
  }
  const plan: number[] = [];
  const rules: number[] = [];
  const results: string[] = [];
  for (let round = 0; round < 5; round++) {
    for (const it of items) {
      let t0 = performance.now();
      const p = planEnable(it.text, { board: it.board, defaultChoice: 'remove' });
      plan.push(performance.now() - t0);
      if (round === 0) results.push(p.result);
      t0 = performance.now();
      const doc = parseXml(p.result);
      checkNvmx({ text: p.result, doc, dialect: detectDialect(doc)!, lines: new LineIndex(p.result), options: { board: it.board } });
      rules.push(performance.now() - t0);
    }
  }
  report({ figure: `enable plan, per scenario (${items.length} official scenarios)`, value: `${median(plan).toFixed(2)} ms`, target: '< 50 ms', ok: median(plan) < 50 });
  report({ figure: 'parse + NVMX rules on the result, per scenario', value: `${median(rules).toFixed(2)} ms`, target: '< 50 ms', ok: median(rules) < 50 });

  const src = process.env.ACRN_SRC;
  const validator = src ? path.join(src, 'misc', 'config_tools', 'scenario_config', 'validator.py') : '';
  if (validator && existsSync(validator)) {
    const dir = mkdtempSync(path.join(tmpdir(), 'acrn-nest-bench-nvmx-'));
    try {
      const v3 = items.map((it, i) => ({ it, i })).filter(({ it }) => it.tag === 'v3.3').slice(0, 3);
      const times: number[] = [];
      for (const { it, i } of v3) {
        const f = path.join(dir, `s${i}.xml`);
        writeFileSync(f, results[i]!);
        const t0 = performance.now();
        spawnSync('/usr/bin/python3', [validator, it.boardPath, f], { cwd: path.dirname(validator), encoding: 'utf8' });
        times.push(performance.now() - t0);
      }
      report({ figure: "ACRN v3.3 validator.py on one enabled scenario (baseline: ACRN's own check)", value: `${median(times).toFixed(0)} ms`, baseline: 'acrn-nest plan + rules', ratio: `${(median(times) / (median(plan) + median(rules))).toFixed(0)}x` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    report({ figure: "ACRN's validator.py (baseline)", value: 'skipped: set ACRN_SRC to an acrn-hypervisor checkout' });
  }
}
