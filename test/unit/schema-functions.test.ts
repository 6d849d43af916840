import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateXPath } from 'fontoxpath';
// @ts-expect-error -- TS1479: slimdom's types are ESM-only; its CJS build is what Node loads here.
import * as slimdom from 'slimdom';
import { ACRN_FN_NS, hexToInt, numberOfClosIdNeeded, prefixAcrnFunctions, registerAcrnFunctions } from '../../hv-core/schema/functions';
import { wrapBareOperands } from '../../hv-core/schema/asserts';
import { pythonDefaults } from '../../hv-core/schema/defaults';

registerAcrnFunctions();
const opts = { namespaceResolver: (p: string): string | null => (p === 'acrn' ? ACRN_FN_NS : null) };

function xp(expr: string, xml = '<r/>'): unknown {
  const doc = slimdom.parseXmlDocument(xml);
  return evaluateXPath(wrapBareOperands(prefixAcrnFunctions(expr)), doc.documentElement, null, {}, evaluateXPath.ALL_RESULTS_TYPE, opts);
}

test('prefixAcrnFunctions rewrites calls, not strings or names that merely contain them', () => {
  assert.equal(prefixAcrnFunctions("bits-of(x) = has(y, 'has(z)')"), "acrn:bits-of(x) = acrn:has(y, 'has(z)')");
  assert.equal(prefixAcrnFunctions('hash(x) and $has and not-has(x)'), 'hash(x) and $has and not-has(x)');
});

test('bitwise-and and bits-of read 0x-prefixed text like ACRN, and reject plain decimals', () => {
  assert.deepEqual(xp("bitwise-and('0xff0', '0x0f0')"), [0xf0]);
  assert.deepEqual(xp('bitwise-and(/r/a, /r/b)', '<r><a>0xF</a><b>0x3</b></r>'), [3]);
  assert.deepEqual(xp("bits-of('0x29')"), [0, 3, 5]);
  assert.deepEqual(xp("bits-of('0x0')"), []);
  assert.throws(() => hexToInt('15'), /invalid type/);
  assert.throws(() => xp("bits-of('15')"));
});

test('has and duplicate-values compare string values', () => {
  assert.deepEqual(xp("has(/r/v, '2')", '<r><v>1</v><v>2</v></r>'), [true]);
  assert.deepEqual(xp("has(/r/v, '3')", '<r><v>1</v><v>2</v></r>'), [false]);
  assert.deepEqual(xp('duplicate-values(/r/v)', '<r><v>1</v><v>2</v><v>1</v><v>2</v><v>1</v><v>3</v></r>'), ['1', '2']);
});

test('number-of-clos-id-needed merges compatible cache policies (CDP doubles)', () => {
  const policies = (cdp: string, list: string): string => `<acrn-config><hv><FEATURES><RDT><RDT_ENABLED>y</RDT_ENABLED><CDP_ENABLED>${cdp}</CDP_ENABLED></RDT></FEATURES>
    <CACHE_REGION><CACHE_ALLOCATION><CACHE_ID>0x0</CACHE_ID><CACHE_LEVEL>3</CACHE_LEVEL>${list}</CACHE_ALLOCATION></CACHE_REGION></hv></acrn-config>`;
  const pol = (vm: string, vcpu: number, mask: string, type = 'Unified'): string => `<POLICY><VM>${vm}</VM><VCPU>${vcpu}</VCPU><TYPE>${type}</TYPE><CLOS_MASK>${mask}</CLOS_MASK></POLICY>`;
  const count = (xml: string): number => numberOfClosIdNeeded(slimdom.parseXmlDocument(xml).documentElement as never);
  // same mask -> one CLOS; a different mask -> a second one
  assert.equal(count(policies('n', pol('A', 0, '0xff') + pol('B', 0, '0xff'))), 1);
  assert.equal(count(policies('n', pol('A', 0, '0xff') + pol('B', 0, '0xf00') + pol('C', 1, '0xff'))), 2);
  // CDP: Data/Code pairs, each pair needs two ids
  assert.equal(count(policies('y', pol('A', 0, '0xff', 'Data') + pol('A', 0, '0xf', 'Code'))), 2);
  // through XPath, as the datacheck calls it
  assert.deepEqual(xp('number-of-clos-id-needed(/acrn-config)', policies('n', pol('A', 0, '0x1') + pol('B', 0, '0x2'))), [2]);
});

test('or/and operands that are quantified expressions get the parentheses XPath requires', () => {
  assert.equal(wrapBareOperands("a = 'n' or every $c in x satisfies ($c/end < 1)"), "a = 'n' or (every $c in x satisfies ($c/end < 1))");
  assert.deepEqual(xp("/r/a = 'n' or every $c in /r/c satisfies $c = '1'", '<r><a>y</a><c>1</c><c>2</c></r>'), [false]);
  assert.deepEqual(xp("/r/a = 'n' or every $c in /r/c satisfies $c = '1'", '<r><a>n</a><c>2</c></r>'), [true]);
});

test('acrn:defaults Python comprehensions evaluate like Python', () => {
  assert.deepEqual(pythonDefaults("[f'00:{i:02x}.0' for i in range(16, 19)]"), ['00:10.0', '00:11.0', '00:12.0']);
  assert.deepEqual(pythonDefaults('[hex(i) for i in range(0x9200, 0x9218, 8)]'), ['0x9200', '0x9208', '0x9210']);
  assert.equal(pythonDefaults('[x for x in y]'), undefined);
});
