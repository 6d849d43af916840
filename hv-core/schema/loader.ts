/**
 * Loads ACRN's scenario schema from an ACRN tree into a SchemaModel (model.ts):
 * `misc/config_tools/schema/config.xsd` with its `xi:include href=".."
 * xpointer="xpointer(id('root')/*)"` includes, and `datachecks.xsd` with `checks/*.xsd`.
 * The XSD files are parsed with hv-core's own XML parser. Models are cached per tree and
 * re-read when any file's mtime changes.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { XmlElement } from '../xml/model.js';
import { attr, elementChildren, textOf } from '../xml/model.js';
import { parseXml } from '../xml/parser.js';
import type {
  AcrnAnnotations,
  Alternative,
  Assertion,
  AttributeDecl,
  ComplexType,
  ElementDecl,
  EnumValue,
  IdentityConstraint,
  ModelGroup,
  Particle,
  SchemaFamily,
  SchemaModel,
  SimpleType,
  TypeDef,
  TypeRef,
} from './model.js';
import { describeAlternative } from './query.js';

export const SCHEMA_DIR = path.join('misc', 'config_tools', 'schema');

export class SchemaLoadError extends Error {}

interface Item {
  el: XmlElement;
  file: string;
}

/** Local name of a possibly prefixed name. */
function local(name: string): string {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(i + 1);
}

class XsdReader {
  readonly files: { path: string; mtimeMs: number }[] = [];
  private readonly parsed = new Map<string, XmlElement>();
  private assertCounter = new Map<string, number>();

  /** Parses a file (once) and returns its root element. */
  root(file: string): XmlElement {
    let r = this.parsed.get(file);
    if (r) return r;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
      this.files.push({ path: file, mtimeMs: statSync(file).mtimeMs });
    } catch (e) {
      throw new SchemaLoadError(`cannot read ${file}: ${(e as Error).message}`);
    }
    const doc = parseXml(text);
    if (!doc.root) throw new SchemaLoadError(`${file}: no root element`);
    const first = doc.errors[0];
    if (first) throw new SchemaLoadError(`${file}: not well-formed XML at offset ${first.start}: ${first.message}`);
    r = doc.root;
    this.parsed.set(file, r);
    return r;
  }

  /**
   * Children of an element with XInclude expanded: an `xi:include` is replaced by the children of
   * the included document's element with xml:id="root" (what xpointer(id('root')/*) selects).
   */
  children(item: Item, depth = 0): Item[] {
    const out: Item[] = [];
    for (const c of elementChildren(item.el)) {
      if (local(c.name) === 'include' && c.name.startsWith('xi:')) {
        const href = attr(c, 'href');
        if (!href || depth > 8) continue;
        const file = path.resolve(path.dirname(item.file), href);
        const r = this.root(file);
        const target = findById(r, 'root') ?? r;
        out.push(...this.children({ el: target, file }, depth + 1));
      } else {
        out.push({ el: c, file: item.file });
      }
    }
    return out;
  }

  nextAssertId(file: string): string {
    const base = path.basename(file);
    const n = (this.assertCounter.get(base) ?? 0) + 1;
    this.assertCounter.set(base, n);
    return `${base}#${n}`;
  }
}

function findById(el: XmlElement, id: string): XmlElement | undefined {
  if (attr(el, 'xml:id') === id || attr(el, 'id') === id) return el;
  for (const c of elementChildren(el)) {
    const f = findById(c, id);
    if (f) return f;
  }
  return undefined;
}

function occurs(el: XmlElement, name: 'minOccurs' | 'maxOccurs'): number | 'unbounded' | undefined {
  const v = attr(el, name);
  if (v === undefined) return undefined;
  if (v.trim() === 'unbounded') return 'unbounded';
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function normDoc(s: string): string {
  // Trim, and strip the common indentation of continuation lines.
  const lines = s.replace(/\r\n?/g, '\n').split('\n');
  while (lines.length && lines[0]!.trim() === '') lines.shift();
  while (lines.length && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) return '';
  let indent = Infinity;
  for (const l of lines.slice(1)) if (l.trim()) indent = Math.min(indent, l.length - l.trimStart().length);
  if (!Number.isFinite(indent)) indent = 0;
  return [lines[0]!.trim(), ...lines.slice(1).map((l) => l.slice(indent).trimEnd())].join('\n');
}

const ACRN_KEYS: Record<string, keyof AcrnAnnotations> = {
  title: 'title',
  options: 'options',
  'option-names': 'optionNames',
  'options-sorted-by': 'optionsSortedBy',
  defaults: 'defaults',
  'unique-among': 'uniqueAmong',
  errormsg: 'errormsg',
  severity: 'severity',
  'report-on': 'reportOn',
};

/** Reads xs:annotation (documentation + acrn:* attributes) of a component. */
function annotation(reader: XsdReader, item: Item): { documentation?: string; acrn?: AcrnAnnotations } {
  const out: { documentation?: string; acrn?: AcrnAnnotations } = {};
  for (const c of reader.children(item)) {
    if (local(c.el.name) !== 'annotation') continue;
    const acrn: AcrnAnnotations = {};
    let any = false;
    for (const a of c.el.attributes) {
      if (!a.name.startsWith('acrn:')) continue;
      any = true;
      const key = a.name.slice(5);
      if (key === 'views') acrn.views = a.value.split(',').map((s) => s.trim()).filter((s) => s !== '');
      else if (key === 'applicable-vms') acrn.applicableVms = a.value.split(',').map((s) => s.trim()).filter((s) => s !== '');
      else {
        const k = ACRN_KEYS[key];
        if (k) (acrn as Record<string, string>)[k] = a.value;
        else (acrn.other ??= {})[key] = a.value;
      }
    }
    if (any) out.acrn = { ...(out.acrn ?? {}), ...acrn };
    const docs: string[] = [];
    for (const d of reader.children(c)) if (local(d.el.name) === 'documentation') docs.push(normDoc(textOf(d.el)));
    const joined = docs.filter((d) => d !== '').join('\n\n');
    if (joined) out.documentation = out.documentation ? `${out.documentation}\n\n${joined}` : joined;
  }
  return out;
}

function withAnnotation<T extends object>(target: T, a: { documentation?: string; acrn?: AcrnAnnotations }): T {
  if (a.documentation !== undefined) (target as { documentation?: string }).documentation = a.documentation;
  if (a.acrn !== undefined) (target as { acrn?: AcrnAnnotations }).acrn = a.acrn;
  return target;
}

class ModelBuilder {
  readonly types: Record<string, TypeDef> = {};
  readonly elements: Record<string, ElementDecl> = {};
  readonly asserts: Assertion[] = [];

  constructor(
    private readonly reader: XsdReader,
    private readonly origin: 'config' | 'datachecks',
  ) {}

  schema(file: string): void {
    const root = this.reader.root(file);
    for (const c of this.reader.children({ el: root, file })) {
      const n = local(c.el.name);
      if (n === 'complexType') {
        const t = this.complexType(c);
        if (t.name) this.types[t.name] = t;
      } else if (n === 'simpleType') {
        const t = this.simpleType(c);
        if (t.name) this.types[t.name] = t;
      } else if (n === 'element') {
        const e = this.element(c, true);
        this.elements[e.name] = e;
      }
    }
  }

  element(item: Item, global = false): ElementDecl {
    const { el } = item;
    const decl: ElementDecl = {
      kind: 'element',
      name: attr(el, 'name') ?? attr(el, 'ref') ?? '',
      minOccurs: global ? 1 : ((occurs(el, 'minOccurs') as number | undefined) ?? 1),
      maxOccurs: global ? 1 : (occurs(el, 'maxOccurs') ?? 1),
      source: { file: item.file, offset: el.start },
    };
    const type = attr(el, 'type');
    if (type !== undefined) decl.type = type;
    const def = attr(el, 'default');
    if (def !== undefined) decl.default = def;
    const fixed = attr(el, 'fixed');
    if (fixed !== undefined) decl.fixed = fixed;
    if (attr(el, 'nillable') === 'true') decl.nillable = true;
    withAnnotation(decl, annotation(this.reader, item));
    for (const c of this.reader.children(item)) {
      const n = local(c.el.name);
      if (n === 'complexType') decl.type = this.complexType(c);
      else if (n === 'simpleType') decl.type = this.simpleType(c);
      else if (n === 'alternative') {
        const test = attr(c.el, 'test') ?? '';
        let t: TypeRef | undefined = attr(c.el, 'type');
        for (const cc of this.reader.children(c)) {
          if (local(cc.el.name) === 'complexType') t = this.complexType(cc);
          else if (local(cc.el.name) === 'simpleType') t = this.simpleType(cc);
        }
        const alt: Alternative = { test, type: t ?? 'xs:anyType', ...describeAlternative(test) };
        (decl.alternatives ??= []).push(alt);
      } else if (n === 'unique' || n === 'key') {
        const ic: IdentityConstraint = { kind: n, name: attr(c.el, 'name') ?? '', selector: '', fields: [] };
        for (const cc of this.reader.children(c)) {
          if (local(cc.el.name) === 'selector') ic.selector = attr(cc.el, 'xpath') ?? '';
          else if (local(cc.el.name) === 'field') ic.fields.push(attr(cc.el, 'xpath') ?? '');
        }
        withAnnotation(ic, annotation(this.reader, c));
        (decl.identity ??= []).push(ic);
      }
    }
    return decl;
  }

  group(item: Item): ModelGroup {
    const kind = local(item.el.name) as ModelGroup['kind'];
    const g: ModelGroup = { kind, minOccurs: (occurs(item.el, 'minOccurs') as number | undefined) ?? 1, maxOccurs: occurs(item.el, 'maxOccurs') ?? 1, particles: [] };
    for (const c of this.reader.children(item)) {
      const p = this.particle(c);
      if (p) g.particles.push(p);
    }
    return g;
  }

  particle(item: Item): Particle | undefined {
    const n = local(item.el.name);
    if (n === 'element') return this.element(item);
    if (n === 'all' || n === 'sequence' || n === 'choice') return this.group(item);
    if (n === 'any') {
      const pc = attr(item.el, 'processContents');
      return {
        kind: 'any',
        minOccurs: (occurs(item.el, 'minOccurs') as number | undefined) ?? 1,
        maxOccurs: occurs(item.el, 'maxOccurs') ?? 1,
        ...(pc === 'skip' || pc === 'lax' || pc === 'strict' ? { processContents: pc } : {}),
      };
    }
    return undefined;
  }

  assertion(item: Item, owner: string): Assertion {
    const a: Assertion = { test: attr(item.el, 'test') ?? 'true()', owner, origin: this.origin, id: this.reader.nextAssertId(item.file), source: { file: item.file, offset: item.el.start } };
    return withAnnotation(a, annotation(this.reader, item));
  }

  complexType(item: Item): ComplexType {
    const name = attr(item.el, 'name');
    const t: ComplexType = { kind: 'complex', attributes: [], asserts: [], source: { file: item.file, offset: item.el.start } };
    if (name !== undefined) t.name = name;
    if (attr(item.el, 'mixed') === 'true') t.mixed = true;
    withAnnotation(t, annotation(this.reader, item));
    const owner = name ?? '(anonymous)';
    const body = (it: Item): void => {
      for (const c of this.reader.children(it)) {
        const n = local(c.el.name);
        if (n === 'all' || n === 'sequence' || n === 'choice') t.content = this.group(c);
        else if (n === 'attribute') t.attributes.push(this.attribute(c));
        else if (n === 'anyAttribute') t.anyAttribute = true;
        else if (n === 'assert') {
          const a = this.assertion(c, owner);
          t.asserts.push(a);
          this.asserts.push(a);
        } else if (n === 'simpleContent' || n === 'complexContent') {
          for (const d of this.reader.children(c)) {
            const dn = local(d.el.name);
            if (dn !== 'extension' && dn !== 'restriction') continue;
            const base = attr(d.el, 'base');
            if (n === 'simpleContent' && base) t.simpleContent = base;
            if (n === 'complexContent' && base) {
              const baseType = this.types[base];
              if (baseType?.kind === 'complex' && baseType.content && dn === 'extension') t.content = { ...baseType.content, particles: [...baseType.content.particles] };
            }
            body(d);
          }
        }
      }
    };
    body(item);
    return t;
  }

  attribute(item: Item): AttributeDecl {
    const use = attr(item.el, 'use');
    const a: AttributeDecl = { name: attr(item.el, 'name') ?? attr(item.el, 'ref') ?? '', use: use === 'required' || use === 'prohibited' ? use : 'optional' };
    const type = attr(item.el, 'type');
    if (type !== undefined) a.type = type;
    const def = attr(item.el, 'default');
    if (def !== undefined) a.default = def;
    const fixed = attr(item.el, 'fixed');
    if (fixed !== undefined) a.fixed = fixed;
    for (const c of this.reader.children(item)) if (local(c.el.name) === 'simpleType') a.type = this.simpleType(c);
    return withAnnotation(a, annotation(this.reader, item));
  }

  simpleType(item: Item): SimpleType {
    const name = attr(item.el, 'name');
    const t: SimpleType = { kind: 'simple', variety: 'atomic', source: { file: item.file, offset: item.el.start } };
    if (name !== undefined) t.name = name;
    withAnnotation(t, annotation(this.reader, item));
    for (const c of this.reader.children(item)) {
      const n = local(c.el.name);
      if (n === 'restriction') {
        const base = attr(c.el, 'base');
        if (base !== undefined) t.base = base;
        for (const f of this.reader.children(c)) {
          const fn = local(f.el.name);
          const v = attr(f.el, 'value') ?? '';
          switch (fn) {
            case 'simpleType':
              t.base = this.simpleType(f);
              break;
            case 'enumeration': {
              const ev: EnumValue = withAnnotation({ value: v }, annotation(this.reader, f));
              (t.enumeration ??= []).push(ev);
              break;
            }
            case 'pattern':
              (t.patterns ??= []).push(v);
              break;
            case 'minInclusive':
            case 'maxInclusive':
            case 'minExclusive':
            case 'maxExclusive':
              t[fn] = v.trim();
              break;
            case 'length':
            case 'minLength':
            case 'maxLength':
              t[fn] = Number(v);
              break;
            case 'whiteSpace':
              if (v === 'preserve' || v === 'replace' || v === 'collapse') t.whiteSpace = v;
              break;
            default:
              break;
          }
        }
      } else if (n === 'union') {
        t.variety = 'union';
        const members: TypeRef[] = (attr(c.el, 'memberTypes') ?? '').split(/\s+/).filter((s) => s !== '');
        for (const m of this.reader.children(c)) if (local(m.el.name) === 'simpleType') members.push(this.simpleType(m));
        t.memberTypes = members;
      } else if (n === 'list') {
        t.variety = 'list';
        const it = attr(c.el, 'itemType');
        if (it !== undefined) t.itemType = it;
        for (const m of this.reader.children(c)) if (local(m.el.name) === 'simpleType') t.itemType = this.simpleType(m);
      }
    }
    return t;
  }
}

/** Reads a tree's version label ('v3.3') from its VERSION file (MAJOR_VERSION/MINOR_VERSION). */
function versionLabel(tree: string): string | undefined {
  try {
    const v = readFileSync(path.join(tree, 'VERSION'), 'utf8');
    const maj = /MAJOR_VERSION\s*=\s*(\d+)/.exec(v)?.[1];
    const min = /MINOR_VERSION\s*=\s*(\d+)/.exec(v)?.[1];
    if (maj && min) return `v${maj}.${min}`;
  } catch {
    /* no VERSION file: fall through */
  }
  const base = path.basename(tree);
  return /^v\d+\.\d+/.test(base) ? base : undefined;
}

/** Loads the schema model of an ACRN tree (no cache; see `schemaForTree`). */
export function loadSchema(tree: string): SchemaModel {
  const dir = path.join(tree, SCHEMA_DIR);
  const config = path.join(dir, 'config.xsd');
  if (!existsSync(config)) throw new SchemaLoadError(`no ${path.join(SCHEMA_DIR, 'config.xsd')} in ${tree}`);
  const reader = new XsdReader();
  const main = new ModelBuilder(reader, 'config');
  main.schema(config);
  let datachecks: Assertion[] = [];
  const dc = path.join(dir, 'datachecks.xsd');
  if (existsSync(dc)) {
    const b = new ModelBuilder(reader, 'datachecks');
    b.schema(dc);
    datachecks = b.asserts.map((a) => ({ ...a, owner: 'datachecks' }));
  }
  const vmDecl = findVm(main.elements, main.types);
  const family: SchemaFamily = vmDecl?.alternatives?.length || main.types['LoadOrderType'] ? 'v3' : 'v2';
  const label = versionLabel(tree) ?? family;
  return {
    origin: tree,
    family,
    label,
    populatesDefaults: !/^v(1\.|2\.[0-6]$)/.test(label),
    elements: main.elements,
    types: main.types,
    asserts: main.asserts,
    datachecks,
    files: reader.files,
  };
}

export const BOARD_XSD = path.join(SCHEMA_DIR, 'board.xsd');

/**
 * The tree's board schema, `misc/config_tools/schema/board.xsd` (ACRN v3.0 on: what its
 * Configurator checks a board XML against), as a model for validate.ts; undefined when the tree
 * has none (v2.x trees). Not cached: it is read once per board inspection.
 */
export function loadBoardSchema(tree: string): SchemaModel | undefined {
  const file = path.join(tree, BOARD_XSD);
  if (!existsSync(file)) return undefined;
  const reader = new XsdReader();
  const b = new ModelBuilder(reader, 'config');
  b.schema(file);
  return { origin: file, family: 'v3', label: versionLabel(tree) ?? 'v3', populatesDefaults: false, elements: b.elements, types: b.types, asserts: b.asserts, datachecks: [], files: reader.files };
}

function findVm(elements: Record<string, ElementDecl>, types: Record<string, TypeDef>): ElementDecl | undefined {
  const root = elements['acrn-config'];
  if (!root) return undefined;
  const t = typeof root.type === 'string' ? types[root.type] : root.type;
  if (t?.kind !== 'complex' || !t.content) return undefined;
  return t.content.particles.find((p): p is ElementDecl => p.kind === 'element' && p.name === 'vm');
}

const CACHE = new Map<string, SchemaModel>();

function fresh(m: SchemaModel): boolean {
  for (const f of m.files) {
    try {
      if (statSync(f.path).mtimeMs !== f.mtimeMs) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** The schema model of a tree, cached and re-read when a schema file changes (mtime). */
export function schemaForTree(tree: string): SchemaModel {
  const key = path.resolve(tree);
  const hit = CACHE.get(key);
  if (hit && fresh(hit)) return hit;
  const m = loadSchema(key);
  CACHE.set(key, m);
  return m;
}

/** Forgets cached models (tests). */
export function clearSchemaCache(): void {
  CACHE.clear();
}
