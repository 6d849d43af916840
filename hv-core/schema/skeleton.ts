/**
 * The XML text of a new element, built from its declaration: required attributes (with a free
 * id), required children in schema order (recursively), default values filled in. As an LSP
 * snippet (placeholders and value choices the user tabs through) for completion, or as plain
 * text for quick fixes and tests.
 *
 * What is "required" follows ACRN: v2 tools expect every non-optional element written out; v3
 * fills schema defaults before validating, so v3 skeletons leave out what has a default.
 */
import type { XmlElement } from '../xml/model.js';
import { attr, elementChildren } from '../xml/model.js';
import type { ComplexType, ElementDecl, SchemaModel, TypeDef, VmKind } from './model.js';
import { childDeclarations, effective, enumerationOf, resolveType, simpleTypeOf } from './query.js';

export interface SkeletonOptions {
  model: SchemaModel;
  /** Snippet syntax ($1, ${1:x}, ${1|a,b|}) or plain text. */
  snippet: boolean;
  /** One level of indentation, e.g. '  '. Lines after the first are relative to the insert point. */
  unit: string;
  /** The parent the element goes into (for free ids), if known. */
  parent?: XmlElement;
  vmKind?: VmKind;
  /** Deepest nesting expanded. */
  maxDepth?: number;
  /** Set to true when the text depends on `parent` (a free id was picked): callers cache the rest. */
  dependsOnParent?: { value: boolean };
}

const MAX_CHOICES = 16;

/** Escapes literal text for LSP snippet syntax. */
export function snippetEscape(s: string): string {
  return s.replace(/[\\$}]/g, (c) => `\\${c}`);
}

function choiceEscape(s: string): string {
  return s.replace(/[\\$}|,]/g, (c) => `\\${c}`);
}

class Builder {
  private tab = 1;
  constructor(private readonly o: SkeletonOptions) {}

  private placeholder(def: string | undefined, choices?: string[]): string {
    if (!this.o.snippet) return def ?? '';
    const n = this.tab++;
    if (choices && choices.length > 1 && choices.length <= MAX_CHOICES) {
      const ordered = def !== undefined && choices.includes(def) ? [def, ...choices.filter((c) => c !== def)] : choices;
      return `\${${n}|${ordered.map(choiceEscape).join(',')}|}`;
    }
    return def !== undefined && def !== '' ? `\${${n}:${snippetEscape(def)}}` : `$${n}`;
  }

  /** Whether a required child is written out in a skeleton. */
  private wanted(d: ElementDecl): boolean {
    if (d.minOccurs === 0) return false;
    if (this.o.model.family === 'v3' && d.default !== undefined) return false;
    return true;
  }

  /** The type a new element gets: its own, or (xs:alternative, chosen by content not yet written) the first alternative's. */
  private typeOf(d: ElementDecl): { type: TypeDef | undefined; vmKind: VmKind | undefined } {
    const at = effective(this.o.model, d, undefined, this.o.vmKind);
    if (at.type || !d.alternatives?.length) return { type: at.type, vmKind: at.vmKind };
    return { type: resolveType(this.o.model, d.alternatives[0]!.type), vmKind: this.o.vmKind };
  }

  /** Children written out for a complex type (see wanted()); v3 leaves out complex children it would write empty. */
  private kidsOf(type: TypeDef, vmKind: VmKind | undefined, depth: number): ElementDecl[] {
    if (depth >= (this.o.maxDepth ?? 3)) return [];
    return childDeclarations(type, vmKind).filter((c) => {
      if (!this.wanted(c)) return false;
      if (this.o.model.family !== 'v3') return true;
      const t = this.typeOf(c).type;
      if (t?.kind !== 'complex' || simpleTypeOf(this.o.model, { type: t })) return true;
      return this.kidsOf(t, vmKind, depth + 1).length > 0;
    });
  }

  element(d: ElementDecl, depth: number, ids: Map<string, number[]>, forcedId?: string): string {
    const at = this.typeOf(d);
    const type: TypeDef | undefined = at.type;
    const attrs = this.attributes(d, type, ids, forcedId);
    const st = type ? simpleTypeOf(this.o.model, { type }) : undefined;
    if (!type || st) {
      const values = st ? enumerationOf(this.o.model, st, at.vmKind)?.map((v) => v.value).filter((v) => v !== '') : undefined;
      return `<${d.name}${attrs}>${this.placeholder(d.default ?? d.fixed, values)}</${d.name}>`;
    }
    const kids = this.kidsOf(type, at.vmKind, depth);
    if (kids.length === 0) return `<${d.name}${attrs}>${this.o.snippet ? this.placeholder(undefined) : ''}</${d.name}>`;
    const lines: string[] = [];
    const childIds = new Map<string, number[]>();
    for (const k of kids) {
      for (let i = 0; i < Math.max(1, k.minOccurs); i++) {
        const body = this.element(k, depth + 1, childIds, k.minOccurs > 1 && hasIdAttribute(this.o.model, k) ? String(i) : undefined);
        lines.push(...body.split('\n').map((l) => this.o.unit + l));
      }
    }
    return `<${d.name}${attrs}>\n${lines.join('\n')}\n</${d.name}>`;
  }

  private attributes(d: ElementDecl, type: TypeDef | undefined, ids: Map<string, number[]>, forcedId?: string): string {
    if (type?.kind !== 'complex') return '';
    let out = '';
    for (const a of type.attributes) {
      const isId = a.name === 'id';
      // Required attributes, and the id of a v2/v3 `vm` (optional in the schema, used by every tool).
      if (a.use !== 'required' && !(isId && d.name === 'vm')) continue;
      let value = a.default ?? '';
      if (isId) {
        value = forcedId ?? String(nextId(this.o.parent, d.name, ids));
        if (this.o.dependsOnParent) this.o.dependsOnParent.value = true;
      }
      out += ` ${a.name}="${this.placeholder(value)}"`;
    }
    return out;
  }
}

function hasIdAttribute(model: SchemaModel, d: ElementDecl): boolean {
  const t = effective(model, d, undefined, undefined).type as ComplexType | undefined;
  return t?.kind === 'complex' && t.attributes.some((a) => a.name === 'id');
}

/** The smallest id not used by `name` siblings in `parent` (nor handed out in this skeleton). */
function nextId(parent: XmlElement | undefined, name: string, handed: Map<string, number[]>): number {
  const used = new Set<number>(handed.get(name) ?? []);
  if (parent) for (const k of elementChildren(parent)) if (k.name === name) {
    const v = Number(attr(k, 'id'));
    if (Number.isInteger(v)) used.add(v);
  }
  let id = 0;
  while (used.has(id)) id++;
  handed.set(name, [...(handed.get(name) ?? []), id]);
  return id;
}

/** The text of a new `d` element (see the module comment). */
export function skeleton(d: ElementDecl, o: SkeletonOptions): string {
  return new Builder(o).element(d, 0, new Map());
}

/** The indentation unit a document uses (from its first indented element), default two spaces. */
export function indentUnit(text: string, root: XmlElement | undefined): string {
  const first = root ? elementChildren(root)[0] : undefined;
  if (!first) return '  ';
  let i = first.start;
  while (i > 0 && (text[i - 1] === ' ' || text[i - 1] === '\t')) i--;
  const ws = text.slice(i, first.start);
  return ws.length > 0 && (i === 0 || text[i - 1] === '\n') ? ws : '  ';
}
