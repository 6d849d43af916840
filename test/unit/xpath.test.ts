import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseXml } from '../../hv-core/xml/parser';
import { nodeAt, resolveXpath, xpathOf } from '../../hv-core/xml/xpath';

const text = `<acrn-config board="b">
  <hv><FEATURES><SCHEDULER>SCHED_BVT</SCHEDULER></FEATURES></hv>
  <vm id="0"><vm_type>SOS_VM</vm_type><guest_flags><guest_flag>0</guest_flag></guest_flags></vm>
  <vm id="1"><vm_type>POST_STD_VM</vm_type><cpu_affinity><pcpu_id>0</pcpu_id><pcpu_id>1</pcpu_id></cpu_affinity></vm>
</acrn-config>`;
const doc = parseXml(text);

test('xpathOf writes lxml-style paths (index only among same-named siblings)', () => {
  const r = resolveXpath(doc, '/acrn-config/vm[2]/cpu_affinity/pcpu_id[2]')!;
  assert.equal(xpathOf(r.element), '/acrn-config/vm[2]/cpu_affinity/pcpu_id[2]');
  const s = resolveXpath(doc, '/acrn-config/hv/FEATURES/SCHEDULER')!;
  assert.equal(xpathOf(s.element), '/acrn-config/hv/FEATURES/SCHEDULER');
  assert.equal(text.slice(s.element.start, s.element.end), '<SCHEDULER>SCHED_BVT</SCHEDULER>');
});

test('resolveXpath accepts predicates, attributes, text() and // steps', () => {
  assert.equal(resolveXpath(doc, "/acrn-config/vm[@id='1']/vm_type")!.element.children[0]!.kind, 'text');
  const a = resolveXpath(doc, '/acrn-config/vm[1]/@id')!;
  assert.equal(a.attribute!.value, '0');
  assert.equal(resolveXpath(doc, '/acrn-config/hv[1]/FEATURES/SCHEDULER/text()')!.text, true);
  assert.equal(xpathOf(resolveXpath(doc, '//guest_flag')!.element), '/acrn-config/vm[1]/guest_flags/guest_flag');
  assert.equal(resolveXpath(doc, '/acrn-config/vm[3]'), undefined);
});

test('a missing element resolves to its deepest existing ancestor on request', () => {
  const nearest: { element?: import('../../hv-core/xml/model').XmlElement } = {};
  assert.equal(resolveXpath(doc, '/acrn-config/vm[2]/lapic_passthrough', nearest), undefined);
  assert.equal(xpathOf(nearest.element!), '/acrn-config/vm[2]');
});

test('nodeAt maps the cursor to element, attribute and part', () => {
  const at = (needle: string, delta = 0) => nodeAt(doc, text.indexOf(needle) + delta);
  assert.equal(at('SCHED_BVT').xpath, '/acrn-config/hv/FEATURES/SCHEDULER');
  assert.equal(at('SCHED_BVT').where, 'content');
  const attrHit = at('"1"', 1);
  assert.equal(attrHit.where, 'attr-value');
  assert.equal(attrHit.xpath, '/acrn-config/vm[2]/@id');
  assert.equal(at('vm_type>SOS', 1).where, 'name');
  assert.equal(nodeAt(doc, text.length + 3).where, 'outside');
});
