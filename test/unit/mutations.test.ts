/**
 * One mistake, one diagnostic: single mistakes generated on official scenarios of every version
 * (test/unit/mutations.ts) give at most two errors beyond those of the file they were made in,
 * and each is reported (at least one error or warning more than the file it was made in).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { acrnTree, dataFiles, hasAcrnData, TAGS } from './helpers';
import { analyzeText } from '../../hv-core/scenario/analyze';
import type { Finding } from '../../hv-core/findings';
import { findBoardFile } from '../../hv-core/schema/tree';
import { parseXml } from '../../hv-core/xml/parser';
import { mutations } from './mutations';

const skip = !hasAcrnData() && 'needs ../shared/acrn-data (official scenarios)';
const MAX_ERRORS = 2;
/** Scenarios per tag (every n-th, so each run covers every board family without taking minutes). */
const EVERY = Number(process.env.MUTATION_EVERY ?? 3);

const errors = (fs: Finding[]): Finding[] => fs.filter((f) => f.severity === 'error');

for (const tag of TAGS) {
  test(`held-out single mistakes on official ${tag} scenarios: at most ${MAX_ERRORS} errors each`, { skip }, (t) => {
    const tree = acrnTree(tag);
    const scenarios = dataFiles(tag).filter((f) => {
      const t = readFileSync(f, 'utf8');
      return /<vm[\s>]/.test(t) && !/launch/.test(f.split('/').pop()!);
    });
    const picked = scenarios.filter((_, i) => i % EVERY === 0);
    let n = 0;
    const bad: string[] = [];
    const missed: string[] = [];
    for (const file of picked) {
      const text = readFileSync(file, 'utf8');
      const boardPath = findBoardFile({ scenarioPath: file, text, acrnTree: tree });
      const board = boardPath ? parseXml(readFileSync(boardPath, 'utf8')) : undefined;
      const family = /<load_order>/.test(text) ? 'v3' : 'v2';
      const before = new Map<string, { all: number; errors: number }>();
      const count = (t: string): Finding[] => analyzeText(t, { acrnTree: tree, uri: file, board }).findings.filter((f) => f.severity === 'error' || f.severity === 'warning');
      for (const m of mutations(text, family, board)) {
        const base = m.base ?? text;
        if (!before.has(base)) {
          const b = count(base);
          before.set(base, { all: b.length, errors: errors(b).length });
        }
        const was = before.get(base)!;
        const all = count(m.text);
        const got = errors(all);
        const extra = got.length - was.errors;
        if (all.length <= was.all) missed.push(`${file.slice(tree.length + 1)}: ${m.kind}: ${m.what}`);
        n++;
        if (extra > MAX_ERRORS) bad.push(`${file.slice(tree.length + 1)}: ${m.kind}: ${m.what}: ${extra} errors\n${got.map((f) => `    ${f.code}: ${f.message.slice(0, 140)}`).join('\n')}`);
      }
    }
    t.diagnostic(`${n} mistakes on ${picked.length} scenarios`);
    assert.ok(n > 0, 'some mutations were generated');
    assert.deepEqual(missed, [], 'every mistake is reported');
    assert.deepEqual(bad, [], `${bad.length} of ${n} mistakes gave more than ${MAX_ERRORS} errors`);
  });
}
