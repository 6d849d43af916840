/**
 * How analysis cost grows with the file: the official nuc11tnbi5 `shared.xml` (v3.3,
 * shared_launch_6user_vm.xml) with its post-launched VM blocks repeated 1x..64x (ids and names
 * made unique), with its board and ACRN tree, every check on (the datacheck outcome cache cleared
 * before each run). Prints the curve: time, time per KB, and the step ratio (2x the VMs should
 * cost about 2x); plus parse + structure alone, which must stay linear.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Report } from '../bench';
import { median } from '../bench';
import { analyzeText } from '../../hv-core/scenario/analyze';
import type { AnalysisContext } from '../../hv-core/scenario/analyze';
import { clearDatacheckCache } from '../../hv-core/schema/asserts';
import { checkSchema } from '../../hv-core/schema/checker';
import { detectDialect } from '../../hv-core/scenario/dialect';
import { parseXml } from '../../hv-core/xml/parser';
import { LineIndex } from '../../hv-core/xml/positions';
import { acrnTree, hasAcrnData } from '../../test/unit/helpers';

export const title = 'Cost growth with the number of VMs (nuc11tnbi5 shared.xml, 1x..64x)';

/** The scenario with its post-launched VM blocks repeated k times. */
export function grown(text: string, k: number): string {
  const vms = [...text.matchAll(/ {2}<vm id="(\d+)">[\s\S]*?<\/vm>\n/g)];
  const last = vms[vms.length - 1]!;
  let extra = '';
  for (let i = 1; i < k; i++) {
    for (const m of vms.slice(1)) {
      const id = 100 + i * 10 + Number(m[1]);
      extra += m[0].replace(/<vm id="\d+">/, `<vm id="${id}">`).replace(/<name>([^<]*)<\/name>/, (_s, n: string) => `<name>${n.slice(0, 10)}_${id}</name>`);
    }
  }
  const at = last.index! + last[0].length;
  return text.slice(0, at) + extra + text.slice(at);
}

export async function run(report: Report): Promise<void> {
  if (!hasAcrnData()) {
    report({ figure: 'growth curve', value: 'not measured', target: 'needs ../shared/acrn-data' });
    return;
  }
  const tree = acrnTree('v3.3');
  const dir = path.join(tree, 'misc', 'config_tools', 'data', 'nuc11tnbi5');
  const base = readFileSync(path.join(dir, 'shared_launch_6user_vm.xml'), 'utf8');
  const board = parseXml(readFileSync(path.join(dir, 'nuc11tnbi5.xml'), 'utf8'));
  // Unbounded budget: the curve is the full cost (the budget would cut it off at 5 s).
  const options = { acrnTree: tree, board, budgetMs: 1e9 };
  analyzeText(base, options); // warm-up: schema model, board DOM, XPath compilation
  let prev: number | undefined;
  for (const k of [1, 2, 4, 8, 16, 32, 64]) {
    const text = grown(base, k);
    const runs: number[] = [];
    const n = k <= 8 ? 5 : k <= 32 ? 3 : 1;
    let findings = 0;
    for (let i = 0; i < n; i++) {
      clearDatacheckCache();
      const t0 = performance.now();
      findings = analyzeText(text, options).findings.length;
      runs.push(performance.now() - t0);
    }
    const ms = median(runs);
    const kb = text.length / 1024;
    report({
      figure: `${String(k).padStart(2)}x VMs (${kb.toFixed(0)} KB, ${findings} findings): full analysis`,
      value: `${ms.toFixed(0)} ms`,
      baseline: `${(ms / kb).toFixed(1)} ms/KB`,
      ratio: prev === undefined ? undefined : `${(ms / prev).toFixed(2)} for 2x`,
      target: prev === undefined ? undefined : '<= 2.5 for 2x',
      ok: prev === undefined ? undefined : ms / prev <= 2.5,
    });
    prev = ms;
  }
  // The sizes: 144 KB and 555 KB.
  for (const kb of [144, 555]) {
    let k = 1;
    while (grown(base, k).length < kb * 1024) k++;
    const text = grown(base, k);
    clearDatacheckCache();
    const t0 = performance.now();
    analyzeText(text, options);
    const ms = performance.now() - t0;
    report({ figure: `${(text.length / 1024).toFixed(0)} KB (${k}x VMs): full analysis`, value: `${(ms / 1000).toFixed(2)} s`, baseline: kb === 144 ? '14 s before' : '288 s before', ratio: `${((kb === 144 ? 14000 : 288000) / ms).toFixed(0)}x faster` });
  }
  // Parse + structure + types alone: linear.
  const s1 = grown(base, 32);
  const s8 = grown(base, 256);
  const structure = (text: string): number => {
    const out: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const doc = parseXml(text);
      const ctx: AnalysisContext = { text, doc, dialect: detectDialect(doc)!, lines: new LineIndex(text), options: { acrnTree: tree } };
      checkSchema(ctx, { structureOnly: true });
      out.push(performance.now() - t0);
    }
    return median(out);
  };
  structure(s1);
  const a = structure(s1);
  const b = structure(s8);
  report({ figure: 'parse + structure + types, 32x -> 256x VMs', value: `${a.toFixed(1)} -> ${b.toFixed(1)} ms`, ratio: `${(b / a).toFixed(1)} for 8x`, target: '<= 12 for 8x', ok: b / a <= 12 });
}
