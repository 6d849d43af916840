/**
 * The bundled fallback models (hv-core/schema/bundled) are hand-written; this keeps them honest:
 * every element, attribute, enumeration and facet they declare must exist with the same values in
 * the real schema of that version (loaded from ../shared/acrn-data with the schema loader).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUNDLED_V26, BUNDLED_V33, bundledModel } from '../../hv-core/schema/bundled/index';
import { loadSchema } from '../../hv-core/schema/loader';
import type { ComplexType, ElementDecl, SchemaModel, SimpleType, TypeDef } from '../../hv-core/schema/model';
import { childDeclarations, enumerationOf, resolveType, simpleFacets } from '../../hv-core/schema/query';
import { schemaFor } from '../../hv-core/schema/index';
import { acrnTree, needs } from './helpers';

function isOpen(t: ComplexType): boolean {
  const walk = (ps: NonNullable<ComplexType['content']>['particles']): boolean => ps.some((p) => p.kind === 'any' || (p.kind !== 'element' && walk(p.particles)));
  return !!t.content && walk(t.content.particles);
}

function effectiveType(model: SchemaModel, d: ElementDecl): TypeDef | undefined {
  return resolveType(model, d.alternatives?.[0]?.type ?? d.type);
}

function compareSimple(where: string, bm: SchemaModel, b: SimpleType, rm: SchemaModel, r: TypeDef | undefined, errors: string[]): void {
  if (!r || r.kind !== 'simple') {
    errors.push(`${where}: simple in the bundled model, ${r ? r.kind : 'missing'} in the real one`);
    return;
  }
  const be = enumerationOf(bm, b);
  const re = enumerationOf(rm, r);
  if (be) {
    const bv = be.map((e) => e.value);
    const rv = re?.map((e) => e.value);
    if (JSON.stringify(bv) !== JSON.stringify(rv)) errors.push(`${where}: enumeration ${JSON.stringify(bv)} vs real ${JSON.stringify(rv)}`);
    // acrn:applicable-vms on values must match where we set it.
    for (const e of be) {
      const real = re?.find((x) => x.value === e.value);
      if (e.acrn?.applicableVms && JSON.stringify(e.acrn.applicableVms) !== JSON.stringify(real?.acrn?.applicableVms)) errors.push(`${where}=${e.value}: applicable-vms differ`);
    }
  }
  const bf = simpleFacets(bm, b);
  const rf = simpleFacets(rm, r);
  if (bf.primitive !== rf.primitive) errors.push(`${where}: primitive ${bf.primitive} vs real ${rf.primitive}`);
  if (JSON.stringify(bf.patterns) !== JSON.stringify(rf.patterns)) errors.push(`${where}: patterns ${JSON.stringify(bf.patterns)} vs real ${JSON.stringify(rf.patterns)}`);
  for (const k of ['minInclusive', 'maxInclusive', 'minLength', 'maxLength'] as const) if (bf[k] !== rf[k]) errors.push(`${where}: ${k} ${String(bf[k])} vs real ${String(rf[k])}`);
  if (bf.members) {
    const names = (t: SimpleType[] | undefined): string => JSON.stringify(t?.map((m) => m.name));
    if (names(bf.members) !== names(rf.members)) errors.push(`${where}: union members ${names(bf.members)} vs real ${names(rf.members)}`);
  }
}

function compare(where: string, bm: SchemaModel, b: ElementDecl, rm: SchemaModel, r: ElementDecl | undefined, errors: string[], seen: Set<string>): number {
  if (!r) {
    errors.push(`${where}: not in the real schema`);
    return 0;
  }
  let n = 1;
  if (b.minOccurs !== r.minOccurs) errors.push(`${where}: minOccurs ${b.minOccurs} vs real ${r.minOccurs}`);
  if (b.maxOccurs !== r.maxOccurs) errors.push(`${where}: maxOccurs ${b.maxOccurs} vs real ${r.maxOccurs}`);
  if (b.default !== r.default) errors.push(`${where}: default ${String(b.default)} vs real ${String(r.default)}`);
  if (b.acrn?.applicableVms && JSON.stringify(b.acrn.applicableVms) !== JSON.stringify(r.acrn?.applicableVms)) errors.push(`${where}: applicable-vms ${JSON.stringify(b.acrn.applicableVms)} vs real ${JSON.stringify(r.acrn?.applicableVms)}`);
  if (b.acrn?.options && b.acrn.options.trim() !== r.acrn?.options?.trim()) errors.push(`${where}: acrn:options differ`);
  const ba = (b.alternatives ?? []).map((a) => `${a.loadOrder}:${a.vmKind}`);
  const ra = (r.alternatives ?? []).map((a) => `${a.loadOrder}:${a.vmKind}`);
  if (JSON.stringify(ba) !== JSON.stringify(ra)) errors.push(`${where}: alternatives ${JSON.stringify(ba)} vs real ${JSON.stringify(ra)}`);
  const bt = effectiveType(bm, b);
  const rt = effectiveType(rm, r);
  if (!bt) return n;
  if (bt.kind === 'simple') {
    compareSimple(where, bm, bt, rm, rt, errors);
    return n;
  }
  if (!rt || rt.kind !== 'complex') {
    errors.push(`${where}: complex in the bundled model, ${rt ? rt.kind : 'missing'} in the real one`);
    return n;
  }
  for (const a of bt.attributes) {
    const ra2 = rt.attributes.find((x) => x.name === a.name);
    if (!ra2) errors.push(`${where}/@${a.name}: not in the real schema`);
    else if (ra2.use !== a.use) errors.push(`${where}/@${a.name}: use ${a.use} vs real ${ra2.use}`);
  }
  const key = `${where.replace(/\[.*?\]/g, '')}`;
  if (seen.has(key)) return n;
  seen.add(key);
  const bkids = childDeclarations(bt);
  const rkids = childDeclarations(rt);
  if (!isOpen(bt)) {
    // Fully described: the same children, in the same order.
    const bn = bkids.map((k) => k.name);
    const rn = rkids.map((k) => k.name);
    if (JSON.stringify(bn) !== JSON.stringify(rn)) errors.push(`${where}: children ${JSON.stringify(bn)} vs real ${JSON.stringify(rn)}`);
    if (bt.content?.kind !== rt.content?.kind) errors.push(`${where}: content ${bt.content?.kind} vs real ${rt.content?.kind}`);
  }
  for (const k of bkids) n += compare(`${where}/${k.name}`, bm, k, rm, rkids.find((x) => x.name === k.name), errors, seen);
  return n;
}

for (const [tag, bundled] of [['v2.6', BUNDLED_V26], ['v3.3', BUNDLED_V33]] as const) {
  test(`bundled ${bundled.label} agrees with the real ${tag} schema`, { skip: needs(tag) }, () => {
    const real = loadSchema(acrnTree(tag));
    const errors: string[] = [];
    const n = compare('/acrn-config', bundled, bundled.elements['acrn-config']!, real, real.elements['acrn-config'], errors, new Set());
    assert.deepEqual(errors, []);
    assert.ok(n > 60, `only ${n} declarations compared`);
  });
}

test('the bundled models cover what the nested-virtualization recipe touches', () => {
  const paths = (m: SchemaModel): Set<string> => {
    const out = new Set<string>();
    const walk = (p: string, d: ElementDecl, depth: number): void => {
      out.add(p);
      if (depth > 6) return;
      for (const k of childDeclarations(effectiveType(m, d))) walk(`${p}/${k.name}`, k, depth + 1);
    };
    walk('', m.elements['acrn-config']!, 0);
    return out;
  };
  const v2 = paths(BUNDLED_V26);
  for (const p of ['/hv/FEATURES/NVMX_ENABLED', '/hv/FEATURES/SCHEDULER', '/hv/DEBUG_OPTIONS/RELEASE', '/hv/DEBUG_OPTIONS/SERIAL_CONSOLE', '/vm/vm_type', '/vm/guest_flags/guest_flag', '/vm/cpu_affinity/pcpu_id', '/vm/legacy_vuart/base', '/vm/legacy_vuart/irq', '/vm/console_vuart/base', '/vm/communication_vuart/target_vm_id', '/vm/os_config/kern_mod'])
    assert.ok(v2.has(p), `v2.6 bundled lacks ${p}`);
  const v3 = paths(BUNDLED_V33);
  for (const p of ['/hv/BUILD_TYPE', '/hv/FEATURES/SCHEDULER', '/hv/DEBUG_OPTIONS/SERIAL_CONSOLE', '/hv/vuart_connections/vuart_connection/endpoint/vm_name', '/vm/load_order', '/vm/vm_type', '/vm/console_vuart', '/vm/lapic_passthrough', '/vm/nested_virtualization_support', '/vm/cpu_affinity/pcpu/pcpu_id', '/vm/os_config/kern_mod'])
    assert.ok(v3.has(p), `v3.3 bundled lacks ${p}`);
});

test('schemaFor falls back to the bundled model when no tree is found', () => {
  assert.equal(bundledModel('v3'), BUNDLED_V33);
  assert.equal(bundledModel('v2', '2.6'), BUNDLED_V26);
  assert.equal(bundledModel('v2', '2.7'), undefined);
  const choice = schemaFor({ uri: '/nonexistent/dir/scenario.xml', family: 'v3', version: '3.x' });
  assert.equal(choice?.model, BUNDLED_V33);
  assert.equal(choice?.tree, undefined);
});
