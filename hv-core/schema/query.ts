/**
 * Questions an editor asks the schema model: which declaration governs this element, which
 * children may it have (in schema order), what values may this simple type take. Pure functions
 * over `SchemaModel` (model.ts); no I/O.
 */
import type { XmlElement } from '../xml/model.js';
import { elementChildren, valueOf } from '../xml/model.js';
import type { Alternative, DeclarationAt, ElementDecl, EnumValue, ModelGroup, SchemaModel, SimpleType, TypeDef, TypeRef, VmKind } from './model.js';

const BUILTIN_CACHE = new Map<string, SimpleType>();

/** Derivation of the XSD built-ins ACRN uses, so facets (integer-ness) can be followed. */
const BUILTIN_BASE: Record<string, string | undefined> = {
  'xs:anySimpleType': undefined,
  'xs:string': 'xs:anySimpleType',
  'xs:normalizedString': 'xs:string',
  'xs:token': 'xs:normalizedString',
  'xs:decimal': 'xs:anySimpleType',
  'xs:integer': 'xs:decimal',
  'xs:long': 'xs:integer',
  'xs:int': 'xs:long',
  'xs:short': 'xs:int',
  'xs:byte': 'xs:short',
  'xs:nonNegativeInteger': 'xs:integer',
  'xs:positiveInteger': 'xs:nonNegativeInteger',
  'xs:unsignedLong': 'xs:nonNegativeInteger',
  'xs:unsignedInt': 'xs:unsignedLong',
  'xs:unsignedShort': 'xs:unsignedInt',
  'xs:unsignedByte': 'xs:unsignedShort',
  'xs:nonPositiveInteger': 'xs:integer',
  'xs:negativeInteger': 'xs:nonPositiveInteger',
  'xs:boolean': 'xs:anySimpleType',
  'xs:float': 'xs:anySimpleType',
  'xs:double': 'xs:anySimpleType',
  'xs:anyURI': 'xs:anySimpleType',
  'xs:hexBinary': 'xs:anySimpleType',
};

/** A built-in simple type object (xs:integer, ...), created once. */
export function builtinType(name: string): SimpleType {
  let t = BUILTIN_CACHE.get(name);
  if (!t) {
    const base = BUILTIN_BASE[name];
    t = { kind: 'simple', name, builtin: true, variety: 'atomic', ...(base ? { base } : {}) };
    if (name === 'xs:nonNegativeInteger' || name === 'xs:unsignedLong' || name === 'xs:unsignedInt' || name === 'xs:unsignedShort' || name === 'xs:unsignedByte') t.minInclusive = '0';
    if (name === 'xs:positiveInteger') t.minInclusive = '1';
    if (name === 'xs:unsignedByte') t.maxInclusive = '255';
    if (name === 'xs:unsignedShort') t.maxInclusive = '65535';
    if (name === 'xs:unsignedInt') t.maxInclusive = '4294967295';
    BUILTIN_CACHE.set(name, t);
  }
  return t;
}

export function isBuiltinName(name: string): boolean {
  return name.startsWith('xs:');
}

/** Resolves a type reference; undefined for a missing named type (or no reference = anyType). */
export function resolveType(model: SchemaModel, ref: TypeRef | undefined): TypeDef | undefined {
  if (ref === undefined) return undefined;
  if (typeof ref !== 'string') return ref;
  if (isBuiltinName(ref)) return ref === 'xs:anyType' ? undefined : builtinType(ref);
  return model.types[ref];
}

/** The name to show for a type reference ('Boolean', 'xs:integer', or '(anonymous)'). */
export function typeLabel(ref: TypeRef | undefined): string {
  if (ref === undefined) return 'xs:anyType';
  if (typeof ref === 'string') return ref;
  return ref.name ?? (ref.kind === 'simple' ? `(anonymous, based on ${ref.base ? typeLabel(ref.base) : ref.variety})` : '(anonymous)');
}

/** Whether an annotated item is allowed for a vm kind (acrn:applicable-vms), like ACRN's slicer. */
export function applicableTo(item: { acrn?: { applicableVms?: string[] } }, vmKind: VmKind | undefined): boolean {
  if (!vmKind) return true;
  const a = item.acrn?.applicableVms;
  return a === undefined || a.includes(vmKind);
}

function collectElements(group: ModelGroup, vmKind: VmKind | undefined, out: ElementDecl[]): void {
  const slice = group.kind === 'all';
  for (const p of group.particles) {
    if (p.kind === 'element') {
      if (!slice || applicableTo(p, vmKind)) out.push(p);
    } else if (p.kind !== 'any') {
      collectElements(p, vmKind, out);
    }
  }
}

/**
 * The element declarations a complex type allows as children, in schema order, flattened
 * through nested groups. With a vmKind, xs:all children not applicable to it are dropped (ACRN's
 * schema slicer does exactly this, and only inside xs:all).
 */
export function childDeclarations(type: TypeDef | undefined, vmKind?: VmKind): ElementDecl[] {
  if (!type || type.kind !== 'complex' || !type.content) return [];
  const out: ElementDecl[] = [];
  collectElements(type.content, vmKind, out);
  return out;
}

/** True when the complex type's content holds an xs:any wildcard (anything goes below it). */
export function hasWildcard(type: TypeDef | undefined): boolean {
  if (!type || type.kind !== 'complex' || !type.content) return false;
  const walk = (g: ModelGroup): boolean => g.particles.some((p) => p.kind === 'any' || (p.kind !== 'element' && walk(p)));
  return walk(type.content);
}

/** The child declaration named `name` of a type (honouring applicable-vms), or undefined. */
export function childDeclaration(type: TypeDef | undefined, name: string, vmKind?: VmKind): ElementDecl | undefined {
  return childDeclarations(type, vmKind).find((d) => d.name === name);
}

const LOAD_ORDER_TEST = /load_order\s*=\s*(?:'([^']*)'|"([^"]*)")/;

/** Maps a load_order value to ACRN's applicable-vms indicator. */
export function vmKindOfLoadOrder(loadOrder: string): VmKind | undefined {
  if (loadOrder === 'PRE_LAUNCHED_VM') return 'pre-launched';
  if (loadOrder === 'SERVICE_VM') return 'service-vm';
  if (loadOrder === 'POST_LAUNCHED_VM') return 'post-launched';
  return undefined;
}

/** Fills loadOrder/vmKind of an alternative from its test (used by the loader). */
export function describeAlternative(test: string): { loadOrder?: string; vmKind?: VmKind } {
  const m = LOAD_ORDER_TEST.exec(test);
  if (!m) return {};
  const loadOrder = m[1] ?? m[2] ?? '';
  const vmKind = vmKindOfLoadOrder(loadOrder);
  return vmKind ? { loadOrder, vmKind } : { loadOrder };
}

function descendantValues(el: XmlElement, name: string, out: string[]): void {
  for (const c of elementChildren(el)) {
    if (c.name === name) out.push(valueOf(c));
    descendantValues(c, name, out);
  }
}

/**
 * The xs:alternative that applies to an element: the first whose test holds. Tests of the form
 * `.//load_order = 'X'` are evaluated here (general comparison over descendants).
 */
export function chooseAlternative(decl: ElementDecl, el: XmlElement): Alternative | undefined {
  if (!decl.alternatives) return undefined;
  let loadOrders: string[] | undefined;
  for (const alt of decl.alternatives) {
    if (alt.loadOrder === undefined) continue;
    if (!loadOrders) {
      loadOrders = [];
      descendantValues(el, 'load_order', loadOrders);
    }
    if (loadOrders.includes(alt.loadOrder)) return alt;
  }
  return undefined;
}

/**
 * The declaration governing `el` (a scenario element), walking down from the root:
 * resolves xs:alternative (v3 `vm` by load_order) and carries the vm kind down for
 * applicable-vms slicing. Undefined when the element (or an ancestor) is not declared.
 */
export function declarationAt(model: SchemaModel, el: XmlElement): DeclarationAt | undefined {
  const chain: XmlElement[] = [];
  for (let cur: XmlElement | undefined = el; cur; cur = cur.parent) chain.unshift(cur);
  const root = chain[0];
  if (!root) return undefined;
  const rootDecl = model.elements[root.name];
  if (!rootDecl) return undefined;
  let at = effective(model, rootDecl, root, undefined);
  for (let i = 1; i < chain.length; i++) {
    const c = chain[i]!;
    const d = childDeclaration(at.type, c.name, at.vmKind);
    if (!d) return undefined;
    at = effective(model, d, c, at.vmKind);
  }
  return at;
}

/** The effective declaration info of `decl` for element `el` (alternatives, vm kind). */
export function effective(model: SchemaModel, decl: ElementDecl, el: XmlElement | undefined, vmKind: VmKind | undefined): DeclarationAt {
  if (decl.alternatives && decl.alternatives.length > 0) {
    const alt = el ? chooseAlternative(decl, el) : undefined;
    if (alt) return { decl, type: resolveType(model, alt.type), vmKind: alt.vmKind ?? vmKind, alternative: alt };
    return { decl, type: resolveType(model, decl.type), vmKind, noAlternative: el !== undefined };
  }
  return { decl, type: resolveType(model, decl.type), vmKind };
}

/** Facets of a simple type with its restriction chain merged (nearest restriction wins). */
export interface SimpleFacets {
  /** Name of the first built-in ancestor ('xs:integer', 'xs:string', ...). */
  primitive: string;
  enumeration?: EnumValue[];
  /** Pattern sets, one per derivation step; a value must match one pattern of every set. */
  patterns: string[][];
  minInclusive?: string;
  maxInclusive?: string;
  minExclusive?: string;
  maxExclusive?: string;
  length?: number;
  minLength?: number;
  maxLength?: number;
  /** For unions: the member types, resolved. */
  members?: SimpleType[];
  /** For lists: the item type, resolved. */
  item?: SimpleType;
  /** Documentation of the nearest named/annotated type in the chain. */
  documentation?: string;
}

/** Merges the restriction chain of a simple type. With vmKind, enumeration values are sliced. */
export function simpleFacets(model: SchemaModel, type: SimpleType, vmKind?: VmKind): SimpleFacets {
  const f: SimpleFacets = { primitive: 'xs:anySimpleType', patterns: [] };
  let cur: SimpleType | undefined = type;
  let depth = 0;
  while (cur && depth++ < 32) {
    if (cur.builtin) {
      if (f.primitive === 'xs:anySimpleType') f.primitive = cur.name ?? 'xs:anySimpleType';
      if (f.minInclusive === undefined && cur.minInclusive !== undefined) f.minInclusive = cur.minInclusive;
      if (f.maxInclusive === undefined && cur.maxInclusive !== undefined) f.maxInclusive = cur.maxInclusive;
      break;
    }
    if (f.documentation === undefined && cur.documentation) f.documentation = cur.documentation;
    if (cur.variety === 'union') {
      f.members = (cur.memberTypes ?? []).map((m) => resolveType(model, m)).filter((m): m is SimpleType => m?.kind === 'simple');
      f.primitive = 'union';
      break;
    }
    if (cur.variety === 'list') {
      const it = resolveType(model, cur.itemType);
      if (it?.kind === 'simple') f.item = it;
      f.primitive = 'list';
      break;
    }
    if (f.enumeration === undefined && cur.enumeration) f.enumeration = vmKind ? cur.enumeration.filter((e) => applicableTo(e, vmKind)) : cur.enumeration;
    if (cur.patterns && cur.patterns.length) f.patterns.push(cur.patterns);
    for (const k of ['minInclusive', 'maxInclusive', 'minExclusive', 'maxExclusive'] as const) if (f[k] === undefined && cur[k] !== undefined) f[k] = cur[k];
    for (const k of ['length', 'minLength', 'maxLength'] as const) if (f[k] === undefined && cur[k] !== undefined) f[k] = cur[k];
    const next: TypeDef | undefined = resolveType(model, cur.base);
    cur = next?.kind === 'simple' ? next : undefined;
  }
  return f;
}

/** The simple type of an element declaration (its own type when simple), or undefined. */
export function simpleTypeOf(model: SchemaModel, at: { type: TypeDef | undefined }): SimpleType | undefined {
  const t = at.type;
  if (!t) return undefined;
  if (t.kind === 'simple') return t;
  const sc = resolveType(model, t.simpleContent);
  return sc?.kind === 'simple' ? sc : undefined;
}

/** All values a simple type enumerates (unions: the members' enumerations, concatenated). */
export function enumerationOf(model: SchemaModel, type: SimpleType, vmKind?: VmKind): EnumValue[] | undefined {
  const f = simpleFacets(model, type, vmKind);
  if (f.enumeration) return f.enumeration;
  if (f.members) {
    const all: EnumValue[] = [];
    for (const m of f.members) {
      const e = enumerationOf(model, m, vmKind);
      if (!e) return undefined; // a non-enumerated member: values are open
      all.push(...e);
    }
    return all;
  }
  return undefined;
}

/** maxOccurs as a number (Infinity for unbounded). */
export function maxOf(p: { maxOccurs: number | 'unbounded' }): number {
  return p.maxOccurs === 'unbounded' ? Infinity : p.maxOccurs;
}
