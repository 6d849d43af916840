/**
 * The part of ACRN's v3 scenario schema (config.xsd with its XIncludes) the upgrade walks: element
 * declarations, named and inline complex types, `xs:alternative`s, `acrn:applicable-vms`, and the
 * slicing by VM type that ACRN's upgrader applies before it starts (schema_slicer.py's
 * SlicingSchemaByVMTypeStage: one copy of VMConfigType per load order, holding only the elements
 * that apply to that kind of VM). Raw declarations, not hv-core/schema's compiled model: the
 * upgrade must see the schema exactly as upgrader.py does, quirks included.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { XmlElement } from '../xml/model.js';
import { attr, elementChildren } from '../xml/model.js';
import { parseXml } from '../xml/parser.js';

export interface XsdAlternative {
  test: string;
  type: string | undefined;
}

export interface XsdElement {
  name: string;
  minOccurs: string | undefined;
  maxOccurs: string | undefined;
  type: string | undefined;
  inline: XsdComplex | undefined;
  alternatives: XsdAlternative[];
  /** `acrn:applicable-vms` of the element's own annotation; undefined when it has none. */
  applicableVms: string | undefined;
}

export interface XsdComplex {
  name: string | undefined;
  all: XsdElement[] | undefined;
  sequence: XsdElement[] | undefined;
}

export interface UpgradeSchema {
  /** The ACRN tree it came from. */
  tree: string;
  /** Named complex types in document order (the first of a name wins, as in an lxml find). */
  complexTypes: XsdComplex[];
  simpleTypes: Set<string>;
  /** Top-level element declarations. */
  elements: XsdElement[];
}

const SCHEMA = path.join('misc', 'config_tools', 'schema', 'config.xsd');

export class UpgradeSchemaError extends Error {
  readonly code = 'upgrade/schema';
}

/** Reads `<tree>/misc/config_tools/schema/config.xsd` and what it includes, then slices it by VM type. */
export function loadUpgradeSchema(tree: string): UpgradeSchema {
  const file = path.join(tree, SCHEMA);
  if (!existsSync(file)) throw new UpgradeSchemaError(`${tree} is not an ACRN v3 tree: no ${SCHEMA}`);
  const top = expand(file, 0);
  const schema: UpgradeSchema = { tree, complexTypes: [], simpleTypes: new Set(), elements: [] };
  for (const el of top) {
    if (el.name === 'xs:complexType') schema.complexTypes.push(complexOf(el));
    else if (el.name === 'xs:simpleType') {
      const n = attr(el, 'name');
      if (n) schema.simpleTypes.add(n);
    } else if (el.name === 'xs:element') schema.elements.push(elementOf(el));
  }
  const vmType = findComplex(schema, 'VMConfigType');
  const acrn = findComplex(schema, 'ACRNConfigType');
  if (!vmType || !acrn || !(vmType.all ?? vmType.sequence ?? []).some((e) => e.name === 'load_order')) {
    throw new UpgradeSchemaError(`${tree} is not an ACRN v3 tree: its scenario schema has no vm/load_order (a v2 schema?)`);
  }
  sliceByVmType(schema, vmType, acrn);
  return schema;
}

/** The schema's top-level declarations with `xi:include href=".." xpointer="xpointer(id('root')/*)"` expanded. */
function expand(file: string, depth: number): XmlElement[] {
  if (depth > 8) throw new UpgradeSchemaError(`${file}: XIncludes nested too deep`);
  const doc = parseXml(readFileSync(file, 'utf8'));
  if (!doc.root || doc.errors.length) throw new UpgradeSchemaError(`${file}: not well-formed XML${doc.errors[0] ? ` (${doc.errors[0].message})` : ''}`);
  const out: XmlElement[] = [];
  for (const el of elementChildren(doc.root)) {
    if (el.name === 'xi:include') {
      const href = attr(el, 'href');
      if (!href) continue;
      out.push(...expand(path.resolve(path.dirname(file), href), depth + 1));
    } else out.push(el);
  }
  return out;
}

function annotationVms(el: XmlElement): string | undefined {
  const ann = elementChildren(el).find((c) => c.name === 'xs:annotation');
  return ann ? attr(ann, 'acrn:applicable-vms') : undefined;
}

function elementOf(el: XmlElement): XsdElement {
  const kids = elementChildren(el);
  const inline = kids.find((c) => c.name === 'xs:complexType');
  return {
    name: attr(el, 'name') ?? '',
    minOccurs: attr(el, 'minOccurs'),
    maxOccurs: attr(el, 'maxOccurs'),
    type: attr(el, 'type'),
    inline: inline ? complexOf(inline) : undefined,
    alternatives: kids.filter((c) => c.name === 'xs:alternative').map((a) => ({ test: attr(a, 'test') ?? '', type: attr(a, 'type') })),
    applicableVms: annotationVms(el),
  };
}

function complexOf(el: XmlElement): XsdComplex {
  const kids = elementChildren(el);
  const group = (name: string): XsdElement[] | undefined => {
    const g = kids.find((c) => c.name === name);
    return g ? elementChildren(g).filter((c) => c.name === 'xs:element').map(elementOf) : undefined;
  };
  return { name: attr(el, 'name'), all: group('xs:all'), sequence: group('xs:sequence') };
}

export function findComplex(schema: UpgradeSchema, name: string): XsdComplex | undefined {
  return schema.complexTypes.find((t) => t.name === name);
}

/** `.//xs:element` under a complex type: its elements and those of their inline types. */
function countElements(t: XsdComplex): number {
  let n = 0;
  for (const e of [...(t.all ?? []), ...(t.sequence ?? [])]) n += 1 + (e.inline ? countElements(e.inline) : 0);
  return n;
}

function copyComplex(t: XsdComplex): XsdComplex {
  const copyEl = (e: XsdElement): XsdElement => ({ ...e, inline: e.inline ? copyComplex(e.inline) : undefined, alternatives: e.alternatives.map((a) => ({ ...a })) });
  return { name: t.name, all: t.all?.map(copyEl), sequence: t.sequence?.map(copyEl) };
}

const SLICES: [indicator: string, prefix: string, loadOrder: string][] = [
  ['pre-launched', 'PreLaunched', 'PRE_LAUNCHED_VM'],
  ['service-vm', 'Service', 'SERVICE_VM'],
  ['post-launched', 'PostLaunched', 'POST_LAUNCHED_VM'],
];

/**
 * schema_slicer.py's algorithm, kept literal: only `xs:all` groups are sliced (a type with an
 * `xs:sequence` is used as is), an element whose sliced type has no element left is removed, and
 * the slices are added to the schema after each VM kind is done. Simple types are never looked at:
 * their slices only drop enumeration values, which the upgrade never reads.
 */
function sliceByVmType(schema: UpgradeSchema, vmType: XsdComplex, acrn: XsdComplex): void {
  for (const [indicator, prefix] of SLICES) {
    const needed = (e: XsdElement): boolean => e.applicableVms === undefined || e.applicableVms.includes(indicator);
    const slice = (t: XsdComplex, inPlace: boolean, forceCopy: boolean): XsdComplex[] => {
      const out: XsdComplex[] = [];
      const nt = inPlace ? t : { ...copyComplex(t), name: t.name !== undefined ? `${prefix}${t.name}` : undefined };
      let sliced = false;
      if (nt.all) sliced = sliceList(nt.all, out);
      if (!inPlace && (sliced || forceCopy)) out.push(nt);
      return out;
    };
    const sliceList = (list: XsdElement[], out: XsdComplex[]): boolean => {
      let sliced = false;
      for (const e of [...list]) {
        const remove = (): void => {
          list.splice(list.indexOf(e), 1);
        };
        if (!needed(e)) {
          remove();
          sliced = true;
          continue;
        }
        if (e.inline) {
          const sub = slice(e.inline, true, false);
          if (countElements(e.inline) > 0) out.push(...sub);
          else remove();
          continue;
        }
        if (!e.type) continue;
        const def = findComplex(schema, e.type);
        if (!def) continue; // a simple type (or a built-in one): see above
        const slicedName = `${prefix}${e.type}`;
        if (findComplex(schema, slicedName)) {
          e.type = slicedName;
          sliced = true;
          continue;
        }
        const sub = slice(def, false, false);
        if (sub.length === 0) continue;
        if (countElements(sub[sub.length - 1]!) > 0) {
          out.push(...sub);
          e.type = slicedName;
          sliced = true;
        } else remove();
      }
      return sliced;
    };
    schema.complexTypes.push(...slice(vmType, false, true));
  }
  const vm = [...(acrn.all ?? []), ...(acrn.sequence ?? [])].find((e) => e.name === 'vm');
  for (const alt of vm?.alternatives ?? []) {
    const s = SLICES.find(([, , order]) => alt.test.includes(order));
    if (s) alt.type = `${s[1]}VMConfigType`;
  }
}
