/**
 * Small constructors for writing a SchemaModel by hand (the bundled fallback models). They only
 * fill in the defaults XSD gives (minOccurs = maxOccurs = 1) so the models read like the facts.
 */
import type { AcrnAnnotations, AnyParticle, AttributeDecl, ComplexType, ElementDecl, EnumValue, MaxOccurs, ModelGroup, Particle, SimpleType, TypeRef } from '../model.js';

export interface ElOptions {
  min?: number;
  max?: MaxOccurs;
  default?: string;
  doc?: string;
  acrn?: AcrnAnnotations;
}

export function el(name: string, type: TypeRef, o: ElOptions = {}): ElementDecl {
  const d: ElementDecl = { kind: 'element', name, type, minOccurs: o.min ?? 1, maxOccurs: o.max ?? 1 };
  if (o.default !== undefined) d.default = o.default;
  if (o.doc) d.documentation = o.doc;
  if (o.acrn) d.acrn = o.acrn;
  return d;
}

export function all(...particles: Particle[]): ModelGroup {
  return { kind: 'all', minOccurs: 1, maxOccurs: 1, particles };
}

export function seq(...particles: Particle[]): ModelGroup {
  return { kind: 'sequence', minOccurs: 1, maxOccurs: 1, particles };
}

/**
 * What the bundled model does not describe: any other element is accepted (and not checked), so a
 * partial model never reports an official scenario's elements as unknown.
 */
export const OTHERS: AnyParticle = { kind: 'any', minOccurs: 0, maxOccurs: 'unbounded', processContents: 'lax' };

export function complex(name: string | undefined, content: ModelGroup | undefined, attributes: AttributeDecl[] = [], doc?: string): ComplexType {
  const t: ComplexType = { kind: 'complex', attributes, asserts: [] };
  if (name) t.name = name;
  if (content) t.content = content;
  if (doc) t.documentation = doc;
  return t;
}

/** A complex type we do not describe: anything inside. */
export function opaque(name: string, doc?: string): ComplexType {
  return complex(name, all(OTHERS), [], doc);
}

export function attribute(name: string, type: TypeRef, use: AttributeDecl['use'] = 'optional'): AttributeDecl {
  return { name, type, use };
}

/** An enumeration value with optional documentation and acrn annotations. */
export type V = string | [value: string, doc?: string, acrn?: AcrnAnnotations];

export function enumType(name: string | undefined, values: V[], doc?: string, base = 'xs:string'): SimpleType {
  const enumeration: EnumValue[] = values.map((v) => {
    if (typeof v === 'string') return { value: v };
    const e: EnumValue = { value: v[0] };
    if (v[1]) e.documentation = v[1];
    if (v[2]) e.acrn = v[2];
    return e;
  });
  const t: SimpleType = { kind: 'simple', variety: 'atomic', base, enumeration };
  if (name) t.name = name;
  if (doc) t.documentation = doc;
  return t;
}

export function patternType(name: string | undefined, patterns: string[], doc?: string, base = 'xs:string'): SimpleType {
  const t: SimpleType = { kind: 'simple', variety: 'atomic', base, patterns };
  if (name) t.name = name;
  if (doc) t.documentation = doc;
  return t;
}

export function rangeType(name: string | undefined, min: number | undefined, max: number | undefined, doc?: string): SimpleType {
  const t: SimpleType = { kind: 'simple', variety: 'atomic', base: 'xs:integer' };
  if (name) t.name = name;
  if (min !== undefined) t.minInclusive = String(min);
  if (max !== undefined) t.maxInclusive = String(max);
  if (doc) t.documentation = doc;
  return t;
}

export function unionType(name: string, members: TypeRef[], doc?: string): SimpleType {
  const t: SimpleType = { kind: 'simple', variety: 'union', name, memberTypes: members };
  if (doc) t.documentation = doc;
  return t;
}

export const BOOLEAN = enumType('Boolean', [['y', 'Yes: enabled.'], ['n', 'No: disabled.']], 'A flag: `y` (enabled) or `n` (disabled).');
export const HEX = patternType('HexFormat', ['0[Xx][0-9A-Fa-f]+|0'], 'A hexadecimal number with a leading ``0x`` (or ``0``).');
export const NONE = patternType('None', ['[*]{0}'], 'The empty string.');

