/**
 * hv-core's completion, hover and quick-fix engines on their own: robust at every cursor position
 * of real and truncated scenarios (no exception, ranges LSP accepts), and the edge cases of
 * inserting and removing elements.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BUNDLED_V26, BUNDLED_V33 } from '../../hv-core/schema/bundled/index';
import { complete } from '../../hv-core/schema/complete';
import { applyEdits, fixesFor, insertChildEdit, removeElementEdit } from '../../hv-core/schema/fixes';
import { hoverAt } from '../../hv-core/schema/hover';
import { loadSchema } from '../../hv-core/schema/loader';
import type { SchemaModel } from '../../hv-core/schema/model';
import { path as childPath } from '../../hv-core/xml/model';
import { parseXml } from '../../hv-core/xml/parser';
import { acrnTree, needs } from './helpers';

const V33 = path.join(acrnTree('v3.3'), 'misc', 'config_tools', 'data', 'nuc11tnbi5', 'shared_launch_6user_vm.xml');
const V26 = path.join(acrnTree('v2.6'), 'misc', 'config_tools', 'data', 'nuc11tnbi5', 'industry.xml');

function sweep(text: string, model: SchemaModel, step: number): number {
  const doc = parseXml(text);
  let entries = 0;
  for (let offset = 0; offset <= text.length; offset += step) {
    const items = complete({ doc, offset, model });
    for (const e of items) {
      assert.ok(e.start <= offset && offset <= e.end, `range [${e.start}, ${e.end}) must hold the cursor ${offset} (${e.label})`);
      assert.ok(!text.slice(e.start, e.end).includes('\n'), `single-line range at ${offset} (${e.label})`);
    }
    entries += items.length;
    const h = hoverAt({ doc, offset, model });
    if (h) assert.ok(h.start <= offset && offset <= h.end && h.end <= text.length && h.markdown.length > 0);
  }
  return entries;
}

test('every cursor position of official v2.6 and v3.3 scenarios, whole and truncated, with real and bundled models', { skip: needs('v2.6', 'v3.3') }, () => {
  const cases: [string, SchemaModel[]][] = [
    [readFileSync(V26, 'utf8'), [loadSchema(acrnTree('v2.6')), BUNDLED_V26]],
    [readFileSync(V33, 'utf8'), [loadSchema(acrnTree('v3.3')), BUNDLED_V33]],
  ];
  let total = 0;
  for (const [text, models] of cases) {
    for (const model of models) {
      total += sweep(text, model, 3);
      // Truncations leave unclosed elements and half tags: the states of typing.
      for (let k = 1; k < 12; k++) total += sweep(text.slice(0, Math.floor((text.length * k) / 12)), model, 11);
    }
  }
  assert.ok(total > 10_000, `only ${total} completion entries produced`);
});

test('typing states: "<" at the end of an unfinished file, and inside a self-closing section', () => {
  const text = '<acrn-config>\n  <hv>\n    <FEATURES>\n      <';
  const items = complete({ doc: parseXml(text), offset: text.length, model: BUNDLED_V33 });
  const names = items.map((i) => i.label);
  assert.ok(names.includes('SCHEDULER') && names.includes('RELOC_ENABLED'));
  assert.equal(items.find((i) => i.label === 'SCHEDULER')!.insertText, 'SCHEDULER>${1|SCHED_BVT,SCHED_NOOP,SCHED_IORR,SCHED_PRIO|}</SCHEDULER>');
});

test('insert a missing element into a self-closing parent; remove an element with its line', () => {
  const text = '<acrn-config>\n  <hv>\n    <FEATURES/>\n  </hv>\n</acrn-config>\n';
  const doc = parseXml(text);
  const features = childPath(doc.root, 'hv', 'FEATURES')!;
  const edit = insertChildEdit(text, doc, BUNDLED_V33, features, 'SCHEDULER')!;
  assert.equal(applyEdits(text, [edit]), '<acrn-config>\n  <hv>\n    <FEATURES>\n      <SCHEDULER>SCHED_BVT</SCHEDULER>\n    </FEATURES>\n  </hv>\n</acrn-config>\n');
  assert.equal(applyEdits(text, [removeElementEdit(text, features)]), '<acrn-config>\n  <hv>\n  </hv>\n</acrn-config>\n');
  // Sharing a line with a sibling: only the element goes.
  const inline = '<a><b>1</b><c>2</c></a>';
  const d2 = parseXml(inline);
  assert.equal(applyEdits(inline, [removeElementEdit(inline, childPath(d2.root, 'b')!)]), '<a><c>2</c></a>');
});

test('fixes find their element again by XPath, not by the (possibly stale) range', () => {
  const text = '<acrn-config>\n  <hv>\n    <FEATURES>\n      <SCHEDULER>SCHED_NOP</SCHEDULER>\n    </FEATURES>\n  </hv>\n</acrn-config>\n';
  const doc = parseXml(text);
  const fixes = fixesFor(doc, BUNDLED_V33, { code: 'schema/enum', message: '', start: 0, end: 1, data: { xpath: '/acrn-config/hv/FEATURES/SCHEDULER', value: 'SCHED_NOP', suggestion: 'SCHED_NOOP', allowed: ['SCHED_NOOP', 'SCHED_IORR', 'SCHED_BVT', 'SCHED_PRIO'] } });
  assert.equal(fixes[0]!.title, "Change to 'SCHED_NOOP'");
  assert.equal(fixes[0]!.preferred, true);
  assert.equal(fixes.length, 4, 'the suggestion, then the other allowed values');
  assert.match(applyEdits(text, fixes[0]!.edits), /<SCHEDULER>SCHED_NOOP<\/SCHEDULER>/);
  // An element the XPath no longer finds: no fix rather than a wrong one.
  assert.deepEqual(fixesFor(doc, BUNDLED_V33, { code: 'schema/occurs', message: '', start: 0, end: 1, data: { xpath: '/acrn-config/vm[3]', remove: true } }), []);
});
