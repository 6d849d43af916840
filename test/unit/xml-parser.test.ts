import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseXml } from '../../hv-core/xml/parser';
import { attr, child, path as xpath, valueOf, valueSpan } from '../../hv-core/xml/model';
import { LineIndex } from '../../hv-core/xml/positions';

test('elements, attributes, text and comments with exact offsets', () => {
  const text = '<?xml version="1.0"?>\n<acrn-config board="nuc">\n  <!-- c -->\n  <hv><FEATURES><SCHEDULER> SCHED_NOOP </SCHEDULER></FEATURES></hv>\n</acrn-config>\n';
  const doc = parseXml(text);
  assert.deepEqual(doc.errors, []);
  const root = doc.root!;
  assert.equal(root.name, 'acrn-config');
  assert.equal(attr(root, 'board'), 'nuc');
  const a = root.attributes[0]!;
  assert.equal(text.slice(a.valueStart, a.valueEnd), 'nuc');
  const comment = root.children.find((c) => c.kind === 'comment')!;
  assert.equal(text.slice(comment.start, comment.end), '<!-- c -->');
  const sched = xpath(root, 'hv', 'FEATURES', 'SCHEDULER')!;
  assert.equal(valueOf(sched), 'SCHED_NOOP');
  const span = valueSpan(text, sched);
  assert.equal(text.slice(span.start, span.end), 'SCHED_NOOP');
  assert.equal(text.slice(sched.start, sched.end), '<SCHEDULER> SCHED_NOOP </SCHEDULER>');
  assert.equal(text.slice(sched.nameStart, sched.nameEnd), 'SCHEDULER');
});

test('entities are decoded and bad ones reported where they are', () => {
  const text = '<a x="1 &lt; 2">&amp;&#65;&#x42; & &bogus;</a>';
  const doc = parseXml(text);
  assert.equal(attr(doc.root, 'x'), '1 < 2');
  assert.equal(valueOf(doc.root), '&AB & &bogus;');
  assert.deepEqual(doc.errors.map((e) => [e.code, text.slice(e.start, e.end)]), [
    ['bad-reference', '&'],
    ['bad-reference', '&bogus;'],
  ]);
});

test('mismatched end tag closes inner elements and reports each', () => {
  const text = '<acrn-config><vm><name>x</vm></acrn-config>';
  const doc = parseXml(text);
  assert.deepEqual(doc.errors.map((e) => e.code), ['unclosed-element']);
  assert.equal(text.slice(doc.errors[0]!.start, doc.errors[0]!.end), 'name');
  const vm = child(doc.root, 'vm')!;
  assert.equal(vm.closed, true);
  assert.equal(child(vm, 'name')!.closed, false);
});

test('stray end tag is reported and skipped', () => {
  const doc = parseXml('<a><b/></c></a>');
  assert.deepEqual(doc.errors.map((e) => e.code), ['unexpected-end-tag']);
  assert.equal(doc.root!.closed, true);
});

test('truncated file: the error is where the file breaks', () => {
  const text = '<acrn-config>\n  <hv>\n    <FEATURES>\n      <SCHED';
  const doc = parseXml(text);
  const lines = new LineIndex(text);
  const eof = doc.errors.find((e) => e.code === 'eof-in-element')!;
  assert.ok(eof, 'eof error');
  assert.equal(lines.positionAt(eof.start).line, 3);
  assert.match(eof.message, /not closed/);
});

test('empty, whitespace-only and binary input never throw', () => {
  assert.deepEqual(parseXml('').errors.map((e) => e.code), ['no-root']);
  assert.deepEqual(parseXml('   \n ').errors.map((e) => e.code), ['no-root']);
  const bin = parseXml('\u0000\u0001\u0002<\u0000>');
  assert.ok(bin.errors.some((e) => e.code === 'invalid-char'));
});

test('unterminated attribute, comment, CDATA and duplicate attributes', () => {
  assert.ok(parseXml('<a x="1><b/></a>').errors.some((e) => e.code === 'attr-unterminated'));
  assert.ok(parseXml('<a><!-- no end</a>').errors.some((e) => e.code === 'eof-in-comment'));
  assert.ok(parseXml('<a><![CDATA[ x </a>').errors.some((e) => e.code === 'eof-in-cdata'));
  assert.ok(parseXml('<a x="1" x="2"/>').errors.some((e) => e.code === 'duplicate-attr'));
  assert.ok(parseXml('<a x=1/>').errors.some((e) => e.code === 'attr-unquoted'));
});

test('two roots and text outside the root are errors', () => {
  const codes = parseXml('x<a/><b/>y').errors.map((e) => e.code);
  assert.deepEqual(codes, ['content-before-root', 'multiple-roots', 'content-after-root']);
});

test('LineIndex maps offsets and positions both ways', () => {
  const text = 'ab\ncd\r\nef';
  const li = new LineIndex(text);
  assert.deepEqual(li.positionAt(4), { line: 1, character: 1 });
  assert.equal(li.offsetAt({ line: 2, character: 1 }), 8);
  assert.equal(li.offsetAt({ line: 99, character: 0 }), text.length);
  assert.deepEqual(li.positionAt(text.length + 5), { line: 2, character: 2 });
});
