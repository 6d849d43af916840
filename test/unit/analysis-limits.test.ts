/**
 * Limits that hold for any file: parse cost linear in the number of attributes (a ratio, not a
 * time), a depth limit reported as an error with the rest still checked, a DOCTYPE with an
 * internal subset still an ACRN file, a time budget for the datachecks that says what it skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeText } from '../../hv-core/scenario/analyze';
// @ts-expect-error -- TS1479: slimdom's types are ESM-only, but its package exports a CJS build (as in hv-core/schema/asserts.ts).
import * as slimdom from 'slimdom';
import { evaluateXPath } from 'fontoxpath';
import { clearDatacheckCache, indexDescendants } from '../../hv-core/schema/asserts';
import { ACRN_FN_NS, registerAcrnFunctions, withDescendantIndex } from '../../hv-core/schema/functions';
import { acrnTree, hasAcrnData } from './helpers';
import { looksLikeAcrn } from '../../hv-core/scenario/dialect';
import { MAX_DEPTH, parseXml } from '../../hv-core/xml/parser';

const SCENARIO = `<acrn-config board="b" scenario="s">
  <hv>
    <FEATURES>
      <SCHEDULER>SCHED_BVTT</SCHEDULER>
    </FEATURES>
  </hv>
  <vm id="0">
    <load_order>SERVICE_VM</load_order>
    <name>SVM</name>
  </vm>
</acrn-config>
`;

/** CPU time of the fastest of three parses (CPU, not wall: other jobs share the machine). */
function cpuOfParse(text: string): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = process.cpuUsage();
    const d = parseXml(text);
    const t = process.cpuUsage(t0);
    assert.ok(d.root);
    best = Math.min(best, t.user + t.system);
  }
  return best;
}

const manyAttributes = (n: number): string => `<acrn-config ${Array.from({ length: n }, (_, i) => `a${i}="v${i}"`).join(' ')}><hv/></acrn-config>`;

// 4x the attributes, both sizes past the point where the tag outgrows V8's young generation (below
// it, GC makes small tags look up to 3x cheaper per attribute): linear is 4x, quadratic 16x (the
// old scan of earlier attributes and of the document up to the next '<' made it 30x and more).
test('attribute parsing is linear: 4x the attributes (160k -> 640k) cost at most 11x the CPU time (quadratic would be 16x)', () => {
  cpuOfParse(manyAttributes(20_000)); // warm-up (JIT)
  const small = cpuOfParse(manyAttributes(160_000));
  const large = cpuOfParse(manyAttributes(640_000));
  const ratio = large / Math.max(small, 1);
  // Linear measures 4-6x alone and up to 9.2x when the machine is busy (process CPU time includes
  // V8's parallel GC threads, and the large document's old-generation collections grow with it).
  assert.ok(ratio <= 11, `640k attributes took ${ratio.toFixed(1)}x the CPU time of 160k`);
  // Duplicates are still found.
  const dup = parseXml('<acrn-config a="1" b="2" a="3"/>');
  assert.deepEqual(dup.errors.map((e) => e.code), ['duplicate-attr']);
  // A '<' inside a quoted value still means the quote was never closed.
  assert.deepEqual(parseXml('<acrn-config a="1 <hv/>').errors.map((e) => e.code).slice(0, 1), ['attr-unterminated']);
});

test('100k-deep nesting: one error at the depth limit, and the schema errors elsewhere are still reported', () => {
  const n = 100_000;
  const deep = SCENARIO.replace('</hv>', `</hv>${'<x>'.repeat(n)}${'</x>'.repeat(n)}`);
  const a = analyzeText(deep, {});
  const tooDeep = a.findings.filter((f) => f.code === 'xml/too-deep');
  assert.equal(tooDeep.length, 1);
  assert.equal(tooDeep[0]!.severity, 'error');
  assert.match(tooDeep[0]!.message, new RegExp(`up to ${MAX_DEPTH} levels`));
  assert.ok(a.findings.some((f) => f.code === 'schema/enum' && f.severity === 'error'), 'the bad SCHEDULER is still reported');
  assert.ok(!a.findings.some((f) => f.code === 'schema/internal' || f.code === 'internal-error'), 'no checker overflowed');
  // Within the limit nothing is reported.
  const ok = parseXml(`<acrn-config>${'<x>'.repeat(MAX_DEPTH - 1)}${'</x>'.repeat(MAX_DEPTH - 1)}</acrn-config>`);
  assert.equal(ok.tooDeep, undefined);
});

test('a DOCTYPE with an internal subset (">" in a literal, a comment) is still an ACRN file, and its errors are reported', () => {
  const dt = SCENARIO.replace('<acrn-config', '<!DOCTYPE acrn-config [\n  <!ENTITY e "a > b">\n  <!-- > -->\n  <!ATTLIST acrn-config board CDATA #IMPLIED>\n]>\n<acrn-config');
  assert.ok(looksLikeAcrn(dt));
  const a = analyzeText(dt, {});
  assert.equal(a.skipped, undefined);
  assert.ok(a.findings.some((f) => f.code === 'schema/enum'));
  assert.ok(!looksLikeAcrn('<!DOCTYPE html [ <!ENTITY e "x"> ]><html/>'));
  assert.ok(!looksLikeAcrn('<!DOCTYPE acrn-config [ <!ENTITY e "x">'), 'an unterminated DOCTYPE is not an ACRN file');
});

test('datacheck time budget: when it is used up, one warning names every skipped check; cached outcomes still count', { skip: !hasAcrnData() && 'needs ../shared/acrn-data' }, () => {
  const tree = acrnTree('v3.3');
  const dir = path.join(tree, 'misc', 'config_tools', 'data', 'nuc11tnbi5');
  const board = parseXml(readFileSync(path.join(dir, 'nuc11tnbi5.xml'), 'utf8'));
  const text = readFileSync(path.join(dir, 'shared_launch_6user_vm.xml'), 'utf8');
  clearDatacheckCache();
  const none = analyzeText(text, { acrnTree: tree, board, budgetMs: 0 });
  const budget = none.findings.filter((f) => f.code === 'schema/budget');
  assert.equal(budget.length, 1);
  assert.equal(budget[0]!.severity, 'warning');
  const skipped = (budget[0]!.data as { skipped: string[] }).skipped;
  assert.ok(skipped.length > 20, `most checks skipped (${skipped.length})`);
  assert.match(budget[0]!.message, /time budget of 0 ms/);
  assert.ok(skipped.every((id) => budget[0]!.message.includes(id) || skipped.indexOf(id) >= 12));
  // With the default budget the same file is checked in full, and then its outcomes are cached:
  // a zero budget now skips nothing.
  const full = analyzeText(text, { acrnTree: tree, board });
  assert.ok(!full.findings.some((f) => f.code === 'schema/budget'));
  const again = analyzeText(text, { acrnTree: tree, board, budgetMs: 0 });
  assert.ok(!again.findings.some((f) => f.code === 'schema/budget'), 'cached outcomes cost nothing and are used');
  assert.deepEqual(again.findings.map((f) => f.code), full.findings.map((f) => f.code));
});

test('the descendant index rewrite: which steps it takes, and the same nodes in the same order as fontoxpath alone', () => {
  assert.equal(indexDescendants("every $cpu in vm//cpu_affinity//pcpu_id satisfies count(processors//thread[cpu_id = $cpu]) = 1"), "every $cpu in acrn:descendants-named(acrn:descendants-named(vm, 'cpu_affinity'), 'pcpu_id') satisfies count(acrn:descendants-named(processors, 'thread')[cpu_id = $cpu]) = 1");
  assert.equal(indexDescendants("$root/hv//vuart_connection[type='pci']"), "acrn:descendants-named($root/hv, 'vuart_connection')[type='pci']");
  // Positional predicates, string literals, axes and keywords are left alone.
  assert.equal(indexDescendants("count(//x[1]) + count(//x[last()]) + 'a//b' + ancestor::vm//c"), "count(//x[1]) + count(//x[last()]) + 'a//b' + ancestor::vm//c");
  assert.equal(indexDescendants('for $v in //vm return //name'), "for $v in acrn:descendants-named(/, 'vm') return acrn:descendants-named(/, 'name')");
  registerAcrnFunctions();
  const doc = slimdom.parseXmlDocument('<acrn-config><hv><x><y>1</y></x><y>2</y></hv><vm id="0"><cpu_affinity><pcpu><pcpu_id>1</pcpu_id></pcpu></cpu_affinity><y>3</y></vm><vm id="1"><y>4</y><cpu_affinity><pcpu_id>2</pcpu_id></cpu_affinity></vm><processors><die><thread><cpu_id>1</cpu_id></thread><thread><cpu_id>2</cpu_id></thread></die></processors></acrn-config>');
  const root = doc.documentElement!;
  const opts = { namespaceResolver: (p: string): string | null => (p === 'acrn' ? ACRN_FN_NS : null), language: evaluateXPath.XPATH_3_1_LANGUAGE };
  const texts = (e: string, ctx: unknown, vars: Record<string, unknown> = {}): string[] => (evaluateXPath(e, ctx, null, vars, evaluateXPath.ALL_RESULTS_TYPE, opts) as { textContent: string }[]).map((n) => n.textContent);
  const vm1 = evaluateXPath('/acrn-config/vm[2]', root, null, {}, evaluateXPath.FIRST_NODE_TYPE);
  for (const [e, ctx, vars] of [
    ['//y', root, {}],
    ['/acrn-config//y', root, {}],
    ['.//y', root, {}],
    ['vm//pcpu_id', root, {}],
    ['processors//thread[cpu_id = 2]/cpu_id', root, {}],
    ['$vm//y', root, { vm: vm1 }],
    ['/acrn-config/hv//y', root, {}],
    ['(//vm)[1]//y', root, {}],
  ] as [string, unknown, Record<string, unknown>][]) {
    const plain = texts(e, ctx, vars);
    const indexed = withDescendantIndex(doc, () => texts(indexDescendants(e), ctx, vars));
    const walked = texts(indexDescendants(e), ctx, vars); // no index: the function walks
    assert.deepEqual(indexed, plain, e);
    assert.deepEqual(walked, plain, e);
  }
});
