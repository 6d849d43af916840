/**
 * The schema model: what acrn-nest knows about one version of ACRN's scenario schema
 * (`misc/config_tools/schema/config.xsd` with its includes, plus `datachecks.xsd` and
 * `checks/*.xsd`). It is built by `loader.ts` from a real ACRN tree, or written by hand as a
 * bundled fallback when no tree is known; both produce these plain, JSON-serialisable objects.
 *
 * Everything an editor needs is here: for an element, its declaration (occurrences, default,
 * documentation, acrn:* annotations) and its type; for a complex type, the allowed children in
 * schema order; for a simple type, its enumeration (with per-value documentation), patterns,
 * bounds, union members, list item type and base type. The query functions live in `query.ts`
 * (`declarationAt`, `childDeclarations`, `simpleFacets`, ...).
 *
 * Type references are by name (`'Boolean'`, `'VMConfigType'`, `'xs:integer'`) or inline (an
 * anonymous type object), so a model can be written by hand and has no cycles. Names with the
 * `xs:` prefix are XSD built-ins; `resolveType()` in query.ts turns any reference into a TypeDef.
 *
 * Keep this file stable: the completion/hover/quick-fix and NVMX layers are written against it.
 */

/** Where a declaration was read from (file path and offset), for "go to schema" and messages. */
export interface SchemaSource {
  file: string;
  offset: number;
}

/**
 * The acrn:* annotations ACRN puts on xs:annotation. Raw attribute strings are kept as written
 * (XPath expressions are not evaluated here).
 */
export interface AcrnAnnotations {
  /** acrn:title: the label ACRN's configurator shows. */
  title?: string;
  /** acrn:views split on commas and trimmed: 'basic', 'advanced'; [] when the attribute is "" (hidden). */
  views?: string[];
  /** acrn:applicable-vms split on commas and trimmed: 'pre-launched', 'post-launched', 'service-vm'. */
  applicableVms?: string[];
  /** acrn:options: an XPath over the board (or a comma list of literals) giving allowed values. */
  options?: string;
  /** acrn:option-names: XPath giving display names parallel to options. */
  optionNames?: string;
  /** acrn:options-sorted-by, e.g. 'int'. */
  optionsSortedBy?: string;
  /** acrn:defaults + acrn:unique-among: a Python list of defaults to pick from, unique among a node set. */
  defaults?: string;
  uniqueAmong?: string;
  /** acrn:errormsg (a Python dict literal, e.g. `'required': 'VM name is required.'`). */
  errormsg?: string;
  /** acrn:severity on datachecks asserts: 'error' | 'warning'. */
  severity?: string;
  /** acrn:report-on on datachecks asserts: XPath selecting the nodes to blame. */
  reportOn?: string;
  /** Any other acrn:* attribute, by local name (widget-options, ...). */
  other?: Record<string, string>;
}

export interface Annotated {
  /**
   * xs:documentation text (reStructuredText as ACRN writes it), several documentation elements
   * joined by a blank line; whitespace trimmed.
   */
  documentation?: string;
  acrn?: AcrnAnnotations;
}

/** The maximum number of occurrences: a number or 'unbounded'. */
export type MaxOccurs = number | 'unbounded';

/** A type reference: a type name (built-ins as 'xs:string', 'xs:integer', ...) or an inline type. */
export type TypeRef = string | TypeDef;

/** xs:alternative on an element (XSD 1.1 conditional type assignment; ACRN v3 uses it on `vm`). */
export interface Alternative {
  /** The XPath test as written, e.g. `.//load_order = 'SERVICE_VM'`. */
  test: string;
  type: TypeRef;
  /** When the test compares load_order with a literal: that literal ('SERVICE_VM', ...). */
  loadOrder?: string;
  /**
   * The acrn:applicable-vms indicator ACRN's schema slicer uses for this alternative
   * ('pre-launched' | 'service-vm' | 'post-launched'): children (and enumeration values) whose
   * applicable-vms does not contain it are not allowed under this alternative, at any depth
   * reached through xs:all content.
   */
  vmKind?: VmKind;
}

export type VmKind = 'pre-launched' | 'service-vm' | 'post-launched';

/** xs:unique / xs:key: the values of `fields` must be unique among the nodes `selector` selects. */
export interface IdentityConstraint extends Annotated {
  kind: 'unique' | 'key';
  name: string;
  /** Restricted XPath relative to the declaring element, e.g. 'vm'. */
  selector: string;
  /** Relative XPaths, e.g. ['name'] or ['@id']. */
  fields: string[];
}

/** xs:assert (config.xsd asserts, and every datachecks/checks assert). */
export interface Assertion extends Annotated {
  /** The XPath 2.0 test (entities decoded). */
  test: string;
  /**
   * Where the assert sits: the name of the complex type it belongs to, or for datachecks the
   * literal 'datachecks' (evaluated on the acrn-config root extended with the board's children).
   */
  owner: string;
  /** 'config' for config.xsd and its includes, 'datachecks' for datachecks.xsd and checks/*.xsd. */
  origin: 'config' | 'datachecks';
  /** Stable id within the model: `<file basename>#<index>`, used in finding codes and caches. */
  id: string;
  source?: SchemaSource;
}

export interface ElementDecl extends Annotated {
  kind: 'element';
  name: string;
  /** The element's type: a named reference or an inline type; undefined = xs:anyType. */
  type?: TypeRef;
  minOccurs: number;
  maxOccurs: MaxOccurs;
  /** @default value (ACRN fills it in before validating when the element is missing or empty). */
  default?: string;
  fixed?: string;
  nillable?: boolean;
  alternatives?: Alternative[];
  identity?: IdentityConstraint[];
  source?: SchemaSource;
}

/** xs:any: a wildcard particle. */
export interface AnyParticle {
  kind: 'any';
  minOccurs: number;
  maxOccurs: MaxOccurs;
  processContents?: 'skip' | 'lax' | 'strict';
}

/** xs:all / xs:sequence / xs:choice. */
export interface ModelGroup {
  kind: 'all' | 'sequence' | 'choice';
  minOccurs: number;
  maxOccurs: MaxOccurs;
  particles: Particle[];
}

export type Particle = ElementDecl | ModelGroup | AnyParticle;

export interface AttributeDecl extends Annotated {
  name: string;
  type?: TypeRef;
  use: 'optional' | 'required' | 'prohibited';
  default?: string;
  fixed?: string;
}

export interface ComplexType extends Annotated {
  kind: 'complex';
  /** Undefined for an anonymous (inline) type. */
  name?: string;
  /** The content model; undefined = empty content (or simple content, see `simpleContent`). */
  content?: ModelGroup;
  /** When the complex type has simple content (xs:simpleContent extension/restriction). */
  simpleContent?: TypeRef;
  attributes: AttributeDecl[];
  /** True when any attribute is allowed (xs:anyAttribute). */
  anyAttribute?: boolean;
  asserts: Assertion[];
  mixed?: boolean;
  source?: SchemaSource;
}

/** One xs:enumeration value. */
export interface EnumValue extends Annotated {
  value: string;
}

/**
 * A simple type. `variety` says which of the facets below apply:
 * - atomic: `base` (a type reference) restricted by enumeration/patterns/bounds/lengths;
 * - union: `memberTypes` (a value is valid when any member accepts it), plus inline members;
 * - list: whitespace-separated items of `itemType`.
 */
export interface SimpleType extends Annotated {
  kind: 'simple';
  name?: string;
  /** True for the XSD built-ins (xs:string, xs:integer, ...), which the model creates on demand. */
  builtin?: boolean;
  variety: 'atomic' | 'union' | 'list';
  base?: TypeRef;
  enumeration?: EnumValue[];
  /** XSD regular expressions (each must match the whole value; several = any of them). */
  patterns?: string[];
  minInclusive?: string;
  maxInclusive?: string;
  minExclusive?: string;
  maxExclusive?: string;
  length?: number;
  minLength?: number;
  maxLength?: number;
  whiteSpace?: 'preserve' | 'replace' | 'collapse';
  memberTypes?: TypeRef[];
  itemType?: TypeRef;
  source?: SchemaSource;
}

export type TypeDef = ComplexType | SimpleType;

/** Which schema family a model describes (mirrors Dialect.family). */
export type SchemaFamily = 'v2' | 'v3';

export interface SchemaModel {
  /** Where it came from: the ACRN tree path, or 'bundled:<label>' for a hand-written fallback. */
  origin: string;
  family: SchemaFamily;
  /** A label such as 'v3.3' when known (from the tree's version file), else the family. */
  label: string;
  /** The global element declarations (ACRN has one: acrn-config). */
  elements: Record<string, ElementDecl>;
  /** Named global types (complex and simple), by name. */
  types: Record<string, TypeDef>;
  /** Every xs:assert of config.xsd and its includes (also reachable through their types). */
  asserts: Assertion[];
  /**
   * The datachecks: asserts of datachecks.xsd + checks/*.xsd, evaluated on the scenario root
   * extended with the board's children. Empty when the tree has none.
   */
  datachecks: Assertion[];
  /**
   * Whether ACRN's tools of this version fill schema defaults before validating (v2.7 and v3.x
   * do; v2.5/v2.6 validate the file as written, so a missing element is an error even when it
   * has a default). Undefined = true.
   */
  populatesDefaults?: boolean;
  /** Files read (absolute paths) with their mtimes, for cache checks. */
  files: { path: string; mtimeMs: number }[];
}

/** What `declarationAt` returns for an element of a scenario document. */
export interface DeclarationAt {
  decl: ElementDecl;
  /** The effective type (after xs:alternative), resolved; undefined = anyType / unknown type ref. */
  type: TypeDef | undefined;
  /** The vm kind in force (from the enclosing v3 `vm`'s alternative), for applicable-vms filtering. */
  vmKind?: VmKind;
  /** For a `vm` in v3: the alternative chosen by its load_order, or undefined when none matched. */
  alternative?: Alternative;
  /** True when the element has alternatives but none matched (ACRN then skips checking it). */
  noAlternative?: boolean;
}
