/**
 * The board side of the datachecks: board files parsed once (by path, mtime and size), the
 * board's elements the datachecks can reach copied into a DOM once per board and model, and the
 * board an analysis uses. The caches live in AssertCaches.
 */
import { statSync } from 'node:fs';
// @ts-expect-error -- TS1479: slimdom's types are ESM-only, but its package exports a CJS build (exports.require) that Node and esbuild load.
import * as slimdom from 'slimdom';
import { loadFile } from '../../files.js';
import type { AnalysisContext } from '../../scenario/context.js';
import type { XmlDocument, XmlElement } from '../../xml/model.js';
import { elementChildren, textOf } from '../../xml/model.js';
import { parseXml } from '../../xml/parser.js';
import type { SchemaModel } from '../model.js';
import { findBoardFile, uriToPath } from '../tree.js';
import type { AssertCaches, BoardDom, DElement } from './caches.js';
import { copyAttributes, domChildren, safeCreate } from './dom.js';

/** Every name token the datachecks mention (tests, report-on, message placeholders). */
function referencedNames(caches: AssertCaches, model: SchemaModel): { key: string; names: Set<string> } {
  let hit = caches.namesByModel.get(model);
  if (!hit) {
    const names = new Set<string>(['acrn-config']);
    for (const a of model.datachecks) {
      const all = [a.test, a.acrn?.reportOn ?? '', ...(a.documentation?.match(/\{[^{}]*\}/g) ?? [])].join(' ');
      for (const m of all.matchAll(/[A-Za-z_][\w.-]*/g)) names.add(m[0]);
    }
    hit = { key: [...names].sort().join(' '), names };
    caches.namesByModel.set(model, hit);
  }
  return hit;
}

/**
 * Copies the board's elements the datachecks can reach into a DOM: an element is kept when its
 * name is mentioned by some datacheck or it has a kept descendant. The datachecks select by
 * name only (no wildcards, sibling or parent axes over the board), so their results are the
 * same as over the whole board, at a fraction of the size (a board XML holds thousands of
 * nodes ACRN's checks never read).
 */
function pruneInto(doc: slimdom.Document, el: XmlElement, names: Set<string>): DElement | undefined {
  const kept: DElement[] = [];
  for (const c of elementChildren(el)) {
    const k = pruneInto(doc, c, names);
    if (k) kept.push(k);
  }
  if (!names.has(el.name) && kept.length === 0) return undefined;
  const d = safeCreate(doc, el.name);
  if (!d) return undefined;
  copyAttributes(d, el);
  if (elementChildren(el).length === 0) {
    const t = textOf(el);
    if (t !== '') d.appendChild(doc.createTextNode(t));
  } else {
    for (const k of kept) d.appendChild(k);
  }
  return d;
}

export function boardDomOf(caches: AssertCaches, xml: XmlDocument, model: SchemaModel): BoardDom | undefined {
  const { key, names } = referencedNames(caches, model);
  let byNames = caches.boardDoms.get(xml);
  const hit = byNames?.get(key);
  if (hit) return hit;
  if (!xml.root) return undefined;
  const doc = new slimdom.Document();
  const root = safeCreate(doc, xml.root.name);
  if (!root) return undefined;
  for (const c of elementChildren(xml.root)) {
    const k = pruneInto(doc, c, names);
    if (k) root.appendChild(k);
  }
  doc.appendChild(root);
  const dom: BoardDom = { doc, root, boardChildren: domChildren(root), attributes: xml.root.attributes.map((a) => ({ name: a.name, value: a.value })) };
  for (const a of dom.attributes) {
    try {
      root.setAttribute(a.name, a.value);
    } catch {
      /* skip */
    }
  }
  if (!byNames) {
    byNames = new Map();
    caches.boardDoms.set(xml, byNames);
  }
  byNames.set(key, dom);
  return dom;
}

/** The parsed board file, cached by path + mtime + size. */
export function loadBoard(caches: AssertCaches, file: string): XmlDocument | undefined {
  let st;
  try {
    st = statSync(file);
  } catch {
    return undefined;
  }
  const hit = caches.boardsByPath.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.xml;
  const loaded = loadFile(file);
  if (loaded.binary) return undefined;
  const xml = parseXml(loaded.text);
  if (!xml.root) return undefined;
  caches.boardsByPath.set(file, { mtimeMs: st.mtimeMs, size: st.size, xml });
  return xml;
}

/** The board for an analysis: options.board, else found from the scenario (board= / siblings). */
export function boardFor(caches: AssertCaches, ctx: AnalysisContext, tree: string | undefined): XmlDocument | undefined {
  if (ctx.options.board) return ctx.options.board;
  const file = findBoardFile({ scenarioPath: uriToPath(ctx.options.uri), doc: ctx.doc, acrnTree: tree });
  return file ? loadBoard(caches, file) : undefined;
}
