/**
 * Our diagnostics against what ACRN's own tools report for each broken fixture
 * (test/fixtures/broken/expected.json, recorded with scripts/ground-truth/record-broken.py):
 * every finding ACRN reports must be reported by us on the same element (its path, or for a
 * content-model error reported by xmlschema on the parent, a child of it) with the same severity.
 * We may report more (where ACRN is silent but its own types forbid the input). A finding of ACRN's
 * that an nvmx rule absorbed (its related information) counts as reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { acrnTree, fixture, hasAcrnData, needs } from './helpers';
import type { Tag } from './helpers';
import { analyzeText } from '../../hv-core/scenario/analyze';
import type { Finding } from '../../hv-core/findings';
import { parseXml } from '../../hv-core/xml/parser';
import { xpathOf, nodeAt } from '../../hv-core/xml/xpath';

interface Expected {
  cases: { tag: Tag; file: string; board?: string; findings: { paths: string[]; severity: string; acrn: string; required?: boolean }[] }[];
}

const skip = !hasAcrnData() && 'needs ../shared/acrn-data';
const expected = JSON.parse(readFileSync(fixture('broken', 'expected.json'), 'utf8')) as Expected;

function pathOf(doc: ReturnType<typeof parseXml>, f: Finding): string {
  const x = (f.data as { xpath?: string } | undefined)?.xpath;
  if (x) return x.replace(/\/@[\w:.-]+$/, '');
  const el = nodeAt(doc, f.start).element;
  return el ? xpathOf(el) : '';
}

const parent = (p: string): string => p.replace(/\/[^/]+$/, '');

for (const c of expected.cases) {
  test(`ground truth: ${c.file}`, { skip: skip || needs(c.tag) }, () => {
    const tree = acrnTree(c.tag);
    const file = fixture('broken', c.file);
    const text = readFileSync(file, 'utf8');
    const board = c.board ? parseXml(readFileSync(path.join(tree, c.board), 'utf8')) : undefined;
    const a = analyzeText(text, { acrnTree: tree, uri: file, board });
    // One mistake, one diagnostic (hv-core/scenario/dedupe.ts): where an nvmx rule says what ACRN
    // says, ours stays and carries ACRN's finding as related information; it counts as reported.
    const absorbed: Finding[] = a.findings.flatMap((f) => (f.related ?? []).filter((r) => r.message.startsWith('ACRN ')).map((r) => ({ ...f, start: r.start, end: r.end, data: undefined, message: r.message })));
    const ours = [...a.findings.filter((f) => ['schema', 'assert', 'datacheck', 'xml'].includes(f.source)), ...absorbed];
    const doc = a.doc!;
    for (const want of c.findings) {
      if (want.required === false) continue;
      for (const p of want.paths) {
        const hit = ours.find((f) => f.severity === want.severity && (pathOf(doc, f) === p || parent(pathOf(doc, f)) === p));
        assert.ok(hit, `ACRN: ${want.acrn}\nnot matched at ${p} (${want.severity}) by ours:\n${ours.map((f) => `  ${f.severity} ${f.code} ${pathOf(doc, f)}: ${f.message}`).join('\n')}`);
      }
    }
    if (c.findings.length === 0 && !c.file.includes('bad-load-order')) {
      assert.deepEqual(ours.filter((f) => f.severity === 'error' || f.severity === 'warning').map((f) => f.message), [], 'ACRN accepts it, so do we');
    }
  });
}
