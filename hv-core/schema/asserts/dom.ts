/**
 * The DOM the asserts run on: the scenario copied into slimdom (with the maps back to the source
 * elements findings point at), ACRN's default populator over it, and lxml-style paths of nodes.
 */
// @ts-expect-error -- TS1479: slimdom's types are ESM-only, but its package exports a CJS build (exports.require) that Node and esbuild load.
import * as slimdom from 'slimdom';
import type { XmlElement } from '../../xml/model.js';
import { elementChildren, textOf } from '../../xml/model.js';
import { pythonDefaults } from '../defaults.js';
import type { ElementDecl, SchemaModel, TypeDef, VmKind } from '../model.js';
import { childDeclarations, effective, hasWildcard } from '../query.js';
import type { AssertCaches, DElement, DNode } from './caches.js';
import { evalAll, formatItem } from './xpath.js';

export interface Built {
  /** DOM node -> the source element it came from (created default nodes -> their nearest source ancestor). */
  toSource: Map<DNode, XmlElement>;
  /** Source element -> DOM element. */
  toDom: Map<XmlElement, DElement>;
  /** DOM nodes created for schema defaults. */
  created: Set<DNode>;
}

export function safeCreate(doc: slimdom.Document, name: string): DElement | undefined {
  try {
    return doc.createElement(name);
  } catch {
    return undefined;
  }
}

/** The source element's attributes onto a DOM element (an invalid name in a broken document is skipped). */
export function copyAttributes(d: DElement, el: XmlElement): void {
  for (const a of el.attributes) {
    try {
      d.setAttribute(a.name, a.value);
    } catch {
      /* skip it */
    }
  }
}

/** Builds DOM children for a source element's element children (text kept for leaves). */
function buildElement(doc: slimdom.Document, el: XmlElement, built: Built): DElement | undefined {
  const d = safeCreate(doc, el.name);
  if (!d) return undefined;
  copyAttributes(d, el);
  built.toSource.set(d, el);
  built.toDom.set(el, d);
  const kids = elementChildren(el);
  if (kids.length === 0) {
    const t = textOf(el);
    if (t !== '') d.appendChild(doc.createTextNode(t));
  } else {
    for (const c of el.children) {
      if (c.kind === 'element') {
        const cd = buildElement(doc, c, built);
        if (cd) d.appendChild(cd);
      } else if ((c.kind === 'text' || c.kind === 'cdata') && c.value.trim() !== '') {
        d.appendChild(doc.createTextNode(c.value));
      }
    }
  }
  return d;
}

export function domChildren(n: DNode): DElement[] {
  const out: DElement[] = [];
  for (const c of n.childNodes) if (c.nodeType === 1) out.push(c as DElement);
  return out;
}

/** The default ACRN's populator gives a missing/empty element: @default, else acrn:defaults minus used values. */
function defaultFor(caches: AssertCaches, d: ElementDecl, parent: DElement, docRoot: DNode): string | undefined {
  if (d.default !== undefined) return d.default;
  const defs = d.acrn?.defaults;
  const among = d.acrn?.uniqueAmong;
  if (!defs || !among) return undefined;
  const all = pythonDefaults(defs);
  if (!all) return undefined;
  let used: string[] = [];
  try {
    used = evalAll(caches, among, docRoot, { parent }).map(formatItem);
  } catch {
    return undefined;
  }
  const free = [...new Set(all)].filter((x) => !used.includes(x)).sort();
  return free[0];
}

/**
 * ACRN's default populator over the DOM: for each xs:all/xs:sequence element declaration that is
 * required and missing, create it when it has a default (text) or a complex type (recursively);
 * fill empty simple elements with their default. Runs in document order, so acrn:defaults
 * picks see the values given before them, as in ACRN.
 */
function populate(caches: AssertCaches, model: SchemaModel, doc: slimdom.Document, node: DElement, type: TypeDef | undefined, vmKind: VmKind | undefined, built: Built, source: XmlElement, depth: number): void {
  if (!type || type.kind !== 'complex' || !type.content || hasWildcard(type) || depth > 24) return;
  const docRoot = doc.documentElement ?? node;
  const decls = childDeclarations(type, vmKind);
  const sequence = type.content.kind === 'sequence';
  for (let i = 0; i < decls.length; i++) {
    const d = decls[i]!;
    const present = domChildren(node).filter((k) => k.nodeName === d.name);
    if (present.length === 0) {
      if (d.minOccurs === 0) continue;
      const at = effective(model, d, undefined, vmKind);
      const complex = at.type?.kind === 'complex';
      const def = complex ? undefined : defaultFor(caches, d, node, docRoot);
      if (def === undefined && !complex) continue;
      const created = safeCreate(doc, d.name);
      if (!created) continue;
      if (def !== undefined) created.appendChild(doc.createTextNode(def));
      built.created.add(created);
      built.toSource.set(created, source);
      let before: DNode | null = null;
      if (sequence) {
        const later = new Set(decls.slice(i + 1).map((x) => x.name));
        before = domChildren(node).find((k) => later.has(k.nodeName)) ?? null;
      }
      node.insertBefore(created, before);
      if (complex) populate(caches, model, doc, created, at.type, at.vmKind, built, source, depth + 1);
      continue;
    }
    for (const k of present) {
      const src = built.toSource.get(k) ?? source;
      const at = effective(model, d, built.created.has(k) ? undefined : src, vmKind);
      if (at.type?.kind === 'complex') populate(caches, model, doc, k, at.type, at.vmKind, built, src, depth + 1);
      else if (k.childNodes.length === 0) {
        const def = defaultFor(caches, d, node, docRoot);
        if (def !== undefined) k.appendChild(doc.createTextNode(def));
      }
    }
  }
}

function rootTypeOf(model: SchemaModel, root: XmlElement): { decl: ElementDecl; type: TypeDef | undefined } | undefined {
  const decl = model.elements[root.name];
  if (!decl) return undefined;
  return { decl, type: effective(model, decl, root, undefined).type };
}

/** Builds the scenario's DOM (defaults filled) in a new document, returning its root element and maps. */
export function buildScenario(caches: AssertCaches, model: SchemaModel, root: XmlElement): { doc: slimdom.Document; root: DElement; built: Built } | undefined {
  const built: Built = { toSource: new Map(), toDom: new Map(), created: new Set() };
  const doc = new slimdom.Document();
  const d = buildElement(doc, root, built);
  if (!d) return undefined;
  doc.appendChild(d);
  const rt = rootTypeOf(model, root);
  if (rt && model.populatesDefaults !== false) populate(caches, model, doc, d, rt.type, undefined, built, root, 0);
  return { doc, root: d, built };
}

/** lxml-style path of a DOM element (ACRN's format_paths). */
export function domPath(n: DNode): string {
  const steps: string[] = [];
  let cur: DNode | null = n.nodeType === 1 ? n : n.parentNode;
  while (cur && cur.nodeType === 1) {
    const el = cur as DElement;
    const parent: DNode | null = el.parentNode;
    let step = el.nodeName;
    if (parent && parent.nodeType === 1) {
      const same = domChildren(parent).filter((c) => c.nodeName === el.nodeName);
      if (same.length > 1) step += `[${same.indexOf(el) + 1}]`;
    }
    steps.unshift(step);
    cur = parent && parent.nodeType === 1 ? parent : null;
  }
  return '/' + steps.join('/');
}

/** Finds a DOM element by an lxml-style path under `root`'s document element. */
export function resolveDomPath(root: DElement, p: string): DElement | undefined {
  const steps = p.split('/').filter((x) => x !== '');
  if (steps.shift()?.replace(/\[\d+\]$/, '') !== root.nodeName) return undefined;
  let cur: DElement = root;
  for (const st of steps) {
    const m = /^(.*?)(?:\[(\d+)\])?$/.exec(st)!;
    const same = domChildren(cur).filter((c) => c.nodeName === m[1]);
    const next = same[m[2] ? Number(m[2]) - 1 : 0];
    if (!next) return undefined;
    cur = next;
  }
  return cur;
}
