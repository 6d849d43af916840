/**
 * The parser choice, measured: acrn-nest's scanner vs the candidates the foundation issue names,
 * on the largest official scenario and board files, plus what each gives on a truncated file.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Report } from '../bench';
import { median } from '../bench';
import { parseXml } from '../../hv-core/xml/parser';
import { TAGS, dataFiles, ACRN_DATA } from '../../test/unit/helpers';
import { parse as xmlToolsParse } from '@xml-tools/parser';
import { parser as lezerParser } from '@lezer/xml';
import { SaxesParser } from 'saxes';

export const title = 'Parser candidates (median of 100 warm runs; lower is better)';

function largest(pred: (f: string) => boolean): string {
  let best = '';
  let size = -1;
  for (const tag of TAGS)
    for (const f of dataFiles(tag)) {
      const s = statSync(f).size;
      if (pred(f) && s > size) {
        size = s;
        best = f;
      }
    }
  return best;
}

function time(fn: () => void, n = 100): number {
  for (let i = 0; i < 10; i++) fn();
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    xs.push(performance.now() - t0);
  }
  return median(xs);
}

function saxesParse(text: string): number {
  let errors = 0;
  const p = new SaxesParser({ position: true });
  p.on('error', () => {
    errors++;
  });
  p.write(text).close();
  return errors;
}

export const CANDIDATES: { name: string; parse: (text: string) => unknown }[] = [
  { name: 'acrn-nest scanner (tree + offsets)', parse: (t) => parseXml(t) },
  { name: '@xml-tools/parser (CST, chevrotain)', parse: (t) => xmlToolsParse(t) },
  { name: '@lezer/xml (incremental syntax tree)', parse: (t) => lezerParser.parse(t) },
  { name: 'saxes (SAX events, no tree)', parse: (t) => saxesParse(t) },
];

export async function run(report: Report): Promise<void> {
  const isBoard = (f: string): boolean => path.basename(f, '.xml') === path.basename(path.dirname(f));
  const files = {
    scenario: largest((f) => !isBoard(f) && f.includes('/v3.3/')),
    board: largest(isBoard),
  };
  for (const [what, file] of Object.entries(files)) {
    const text = readFileSync(file, 'utf8');
    const base = time(() => parseXml(text));
    for (const c of CANDIDATES) {
      const ms = c.name.startsWith('acrn-nest') ? base : time(() => c.parse(text));
      report({ figure: `${what} ${path.relative(ACRN_DATA, file)} (${(text.length / 1024).toFixed(0)} KB): ${c.name}`, value: `${ms.toFixed(2)} ms`, ratio: c.name.startsWith('acrn-nest') ? undefined : `${(ms / base).toFixed(1)}x ours` });
    }
  }
  // Recovery on a truncated scenario: does each candidate still give a usable tree and a located error?
  const text = readFileSync(files.scenario, 'utf8');
  const cut = text.slice(0, Math.floor(text.length / 2));
  const ours = parseXml(cut);
  report({ figure: 'truncated v3.3 scenario: acrn-nest errors (first)', value: `${ours.errors.length}`, baseline: ours.errors[0]?.message.slice(0, 50) });
  const xt = xmlToolsParse(cut);
  report({ figure: 'truncated v3.3 scenario: @xml-tools/parser errors', value: `${xt.lexErrors.length + xt.parseErrors.length}`, baseline: xt.parseErrors[0]?.message.slice(0, 50) });
  let lezerErrors = 0;
  lezerParser.parse(cut).iterate({ enter: (n) => void (n.type.isError && lezerErrors++) });
  report({ figure: 'truncated v3.3 scenario: @lezer/xml error nodes', value: `${lezerErrors}`, baseline: 'error nodes carry no message' });
  report({ figure: 'truncated v3.3 scenario: saxes errors (no recovery: stops)', value: `${saxesParse(cut)}` });
}
