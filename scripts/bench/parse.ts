/** Parse time of the largest official scenario and board file, with acrn-nest's parser. */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Report } from '../bench';
import { median } from '../bench';
import { parseXml } from '../../hv-core/xml/parser';
import { analyzeText } from '../../hv-core/scenario/analyze';
import { ACRN_DATA, TAGS, dataFiles } from '../../test/unit/helpers';

export const title = 'Parsing (acrn-nest document model)';

function largest(pred: (f: string) => boolean): string {
  let best = '';
  let size = -1;
  for (const tag of TAGS) for (const f of dataFiles(tag)) if (pred(f) && statSync(f).size > size) {
    size = statSync(f).size;
    best = f;
  }
  return best;
}

function time(fn: () => void, n: number): number[] {
  for (let i = 0; i < 20; i++) fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
}

export async function run(report: Report): Promise<void> {
  const isBoard = (f: string): boolean => path.basename(f, '.xml') === path.basename(path.dirname(f));
  const scenario = largest((f) => !isBoard(f) && readFileSync(f, 'utf8').includes('<vm'));
  const board = largest(isBoard);
  for (const [what, file] of [['largest official scenario', scenario], ['largest official board', board]] as const) {
    const text = readFileSync(file, 'utf8');
    const ms = median(time(() => parseXml(text), 200));
    report({ figure: `parse ${what} (${path.relative(ACRN_DATA, file)}, ${(text.length / 1024).toFixed(0)} KB)`, value: `${ms.toFixed(2)} ms` });
    const ams = median(time(() => analyzeText(text), 100));
    report({ figure: `  analyze (parse + dialect + checks)`, value: `${ams.toFixed(2)} ms` });
  }
}
