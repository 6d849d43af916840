/**
 * Issue 11 defect 7: completion of an element inserts its required children with defaults (a
 * snippet with tab stops), also with the bundled model (no ACRN tree), and the bundled model
 * reports the same missing child that lint does with a tree. SSRAM (SSRAMInfo: a required
 * SSRAM_ENABLED, default n) is the element the issue names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeText } from '../../hv-core/scenario/analyze';
import { BUNDLED_V26, BUNDLED_V33 } from '../../hv-core/schema/bundled/index';
import { complete } from '../../hv-core/schema/complete';
import { schemaFor } from '../../hv-core/schema/index';
import { parseXml } from '../../hv-core/xml/parser';
import { acrnTree, needs } from './helpers';

const SCENARIO = (ssram: string): string => `<?xml version="1.0" encoding="utf-8"?>
<acrn-config board="b" scenario="s">
  <hv>
    <BUILD_TYPE>debug</BUILD_TYPE>
    <FEATURES>
      <RELOC_ENABLED>y</RELOC_ENABLED>
      ${ssram}
    </FEATURES>
  </hv>
  <vm id="0">
    <load_order>SERVICE_VM</load_order>
    <name>ACRN_Service_VM</name>
  </vm>
</acrn-config>
`;

/** The demo's v2.6 scenario (its dialect is certain: v2.6 markers) with `ssram` added to FEATURES. */
const V2 = (ssram: string): string => readFileSync(path.join(__dirname, '..', '..', 'demo', 'workspace', 'nuc-v26-nested.xml'), 'utf8').replace('</FEATURES>', `  ${ssram}\n    </FEATURES>`);

test('bundled v2 model (no tree): completing <SSRAM inserts its required SSRAM_ENABLED, default first, as a tab stop', () => {
  const text = V2('<SSRAM');
  const offset = text.indexOf('<SSRAM') + '<SSRAM'.length;
  const entries = complete({ doc: parseXml(text), offset, model: BUNDLED_V26 });
  const e = entries.find((x) => x.label === 'SSRAM');
  assert.ok(e, entries.map((x) => x.label).join(', '));
  assert.equal(e.snippet, true);
  assert.match(e.insertText, /<SSRAM_ENABLED>\$\{1(:n|\|n,y\|)\}<\/SSRAM_ENABLED>/, e.insertText);
});

test('with a v2.6 tree, completing <SSRAM inserts the same snippet as the bundled model', { skip: needs('v2.6') }, () => {
  const text = V2('<SSRAM');
  const doc = parseXml(text);
  const offset = text.indexOf('<SSRAM') + '<SSRAM'.length;
  const real = complete({ doc, offset, model: schemaFor({ acrnTree: acrnTree('v2.6') })!.model }).find((x) => x.label === 'SSRAM')!;
  const bundled = complete({ doc, offset, model: BUNDLED_V26 }).find((x) => x.label === 'SSRAM')!;
  assert.equal(bundled.insertText, real.insertText);
});

test('an empty <SSRAM></SSRAM>: the bundled model says about SSRAM_ENABLED what lint says with a tree', { skip: needs('v3.3') || needs('v2.6') }, () => {
  const text = SCENARIO('<SSRAM></SSRAM>');
  const missing = (findings: { code: string; message: string }[]): string[] => findings.filter((f) => /SSRAM_ENABLED/.test(f.message)).map((f) => f.code);
  // With a tree, ACRN's defaults fill SSRAM_ENABLED in (no finding); the bundled model must agree.
  const withTree = missing(analyzeText(text, { acrnTree: acrnTree('v3.3') }).findings);
  const bundled = missing(analyzeText(text, { acrnTree: '/nonexistent-acrn-tree' }).findings);
  assert.deepEqual(bundled, withTree);
  // v2: no defaults filled in: an empty SSRAM lacks SSRAM_ENABLED, with a tree and without one alike.
  const v2 = V2('<SSRAM></SSRAM>');
  const v2Tree = missing(analyzeText(v2, { acrnTree: acrnTree('v2.6') }).findings);
  const v2Bundled = missing(analyzeText(v2, { acrnTree: '/nonexistent-acrn-tree' }).findings);
  assert.deepEqual(v2Bundled, v2Tree);
});

test('v3 (children with defaults are left to ACRN\'s defaults): the bundled model completes <SSRAM as the v3.3 tree does', { skip: needs('v3.3') }, () => {
  const text = SCENARIO('<SSRAM');
  const doc = parseXml(text);
  const offset = text.indexOf('<SSRAM') + '<SSRAM'.length;
  const m = schemaFor({ acrnTree: acrnTree('v3.3') })!.model;
  const real = complete({ doc, offset, model: m }).find((x) => x.label === 'SSRAM')!;
  const bundled = complete({ doc, offset, model: BUNDLED_V33 }).find((x) => x.label === 'SSRAM')!;
  assert.equal(bundled.insertText, real.insertText);
});
