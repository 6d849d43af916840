/** The engine's small schema-order table agrees with ACRN's real config.xsd of every version. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SCHEMA_ORDER } from '../../hv-core/nvmx/order';
import type { XmlElement } from '../../hv-core/xml/model';
import { attr, elementChildren } from '../../hv-core/xml/model';
import { parseXml } from '../../hv-core/xml/parser';
import { acrnTree, TAGS, needs } from './helpers';

/** complexType name holding each parent's children, per family. */
const TYPES: Record<string, string> = { hv: 'HVConfigType', FEATURES: 'FeatureOptionsType', vm: 'VMConfigType' };

function declaredOrder(xsd: XmlElement, typeName: string): string[] {
  const ct = elementChildren(xsd).find((e) => e.name === 'xs:complexType' && attr(e, 'name') === typeName);
  assert.ok(ct, `complexType ${typeName}`);
  const group = elementChildren(ct).find((e) => e.name === 'xs:all' || e.name === 'xs:sequence')!;
  return elementChildren(group).filter((e) => e.name === 'xs:element').map((e) => attr(e, 'name')!);
}

for (const tag of TAGS) {
  test(`order table matches ${tag}'s config.xsd`, { skip: needs(tag) }, () => {
    const family = tag.startsWith('v2') ? 'v2' : 'v3';
    const xsd = parseXml(readFileSync(path.join(acrnTree(tag), 'misc', 'config_tools', 'schema', 'config.xsd'), 'utf8')).root!;
    for (const [parent, names] of Object.entries(SCHEMA_ORDER[family])) {
      const real = declaredOrder(xsd, TYPES[parent]!);
      const known = names.filter((n) => real.includes(n));
      assert.ok(known.length >= Math.min(3, names.length), `${tag} ${parent}: most names exist`);
      const positions = known.map((n) => real.indexOf(n));
      assert.deepEqual(positions, [...positions].sort((a, b) => a - b), `${tag} ${parent}: ${known.join(' ')} in schema order (schema: ${real.join(' ')})`);
    }
    // The elements the engine inserts are all in the table and in the schema.
    const inserted = family === 'v2' ? { FEATURES: ['SCHEDULER', 'NVMX_ENABLED'], vm: ['guest_flags', 'cpu_affinity', 'console_vuart'] } : { FEATURES: ['SCHEDULER'], vm: ['cpu_affinity', 'lapic_passthrough', 'nested_virtualization_support', 'console_vuart'] };
    for (const [parent, names] of Object.entries(inserted)) {
      for (const n of names) {
        assert.ok(SCHEMA_ORDER[family][parent]!.includes(n), `${n} in the table`);
        assert.ok(declaredOrder(xsd, TYPES[parent]!).includes(n), `${tag}: ${n} declared in ${TYPES[parent]}`);
      }
    }
  });
}
