/**
 * XSD 1.1 assertions, evaluated with fontoxpath (XPath 3.1, a superset of the XPath 2.0 ACRN
 * writes) over a slimdom DOM built from our XML tree, the way ACRN evaluates them:
 *  - schema defaults are filled in first (ACRN's default populator): missing required elements
 *    that have a default, or whose type is complex, are created; empty ones get their default;
 *  - config.xsd asserts run with the element of the owning type as context;
 *  - datachecks run on the acrn-config root extended with the board's children (v3), or on the
 *    board root extended with the scenario's children (v2), once per document.
 * A failing assert is reported at the nodes its acrn:report-on selects (variables bound to the
 * counter-example of the top-level every/some chain, as ACRN's overlay does), with severity
 * from acrn:severity and the message's `{xpath}` placeholders filled in.
 *
 * The board DOM is built once per board (path + mtime, or document identity) and reused: the
 * scenario's nodes are inserted into it for an evaluation and removed afterwards.
 */
import { statSync } from 'node:fs';
import { evaluateXPath, evaluateXPathToBoolean } from 'fontoxpath';
// @ts-expect-error -- TS1479: slimdom's types are ESM-only, but its package exports a CJS build (exports.require) that Node and esbuild load.
import * as slimdom from 'slimdom';
import type { Finding, Severity } from '../findings.js';
import type { AnalysisContext } from '../scenario/context.js';
import { loadFile } from '../files.js';
import type { XmlDocument, XmlElement } from '../xml/model.js';
import { elementChildren, textOf } from '../xml/model.js';
import { parseXml } from '../xml/parser.js';
import { ACRN_FN_NS, DOM_FACADE, prefixAcrnFunctions, registerAcrnFunctions, withDescendantIndex } from './functions.js';
import type { Assertion, ElementDecl, SchemaModel, TypeDef, VmKind } from './model.js';
import { childDeclarations, effective, hasWildcard } from './query.js';
import { findBoardFile, uriToPath } from './tree.js';
import { pythonDefaults } from './defaults.js';

type DNode = slimdom.Node;
type DElement = slimdom.Element;

const XPATH_OPTS = {
  namespaceResolver: (prefix: string): string | null => (prefix === 'acrn' ? ACRN_FN_NS : null),
  language: evaluateXPath.XPATH_3_1_LANGUAGE,
};

/** Problems met while evaluating (expression errors); the conformance script prints them. */
export interface AssertTrace {
  errors: { assert: string; message: string }[];
}
let trace: AssertTrace | undefined;
export function setAssertTrace(t: AssertTrace | undefined): void {
  trace = t;
}

/**
 * ACRN writes `A or every $x in ... satisfies ...` without parentheses; the XPath grammar (and
 * fontoxpath) want a quantified/if/for expression as an operand of `or`/`and` parenthesised,
 * while ACRN's elementpath accepts it. Wrap such operands up to the end of their group.
 */
export function wrapBareOperands(expr: string): string {
  const inserts: { at: number; text: string }[] = [];
  const pending: number[] = []; // depth of each open wrap
  let depth = 0;
  const re = /\b(or|and)\s+(?=(every|some|for|if)\b[\s($])/y;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (c === '"' || c === "'") {
      const j = expr.indexOf(c, i + 1);
      if (j < 0) break;
      i = j;
      continue;
    }
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') {
      while (pending.length && pending[pending.length - 1] === depth) {
        pending.pop();
        inserts.push({ at: i, text: ')' });
      }
      depth--;
    } else if ((c === 'o' || c === 'a') && !/[\w$-]/.test(expr[i - 1] ?? ' ')) {
      re.lastIndex = i;
      const m = re.exec(expr);
      if (m) {
        inserts.push({ at: i + m[0].length, text: '(' });
        pending.push(depth);
        i += m[0].length - 1;
      }
    }
  }
  for (let k = pending.length; k > 0; k--) inserts.push({ at: expr.length, text: ')' });
  let out = expr;
  for (const ins of inserts.sort((a, b) => b.at - a.at)) out = out.slice(0, ins.at) + ins.text + out.slice(ins.at);
  return out;
}

const EXPR_CACHE = new Map<string, string>();
/**
 * Name steps after `//` become `acrn:descendants-named(FROM, 'NAME')`, answered from an index
 * (functions.ts): the same nodes in the same order, without a walk of the tree per evaluation.
 * FROM is the root (`//NAME`, `/acrn-config//NAME`), or a simple path before the `//`: the context
 * (`.`), a variable (`$vm`), a relative or absolute chain of name steps (`processors`, `$root/hv`,
 * `/acrn-config/hv`), or an earlier rewrite (`vm//cpu_affinity//pcpu_id`). Only outside string
 * literals, and never before a positional predicate (`//x[1]` is per parent, not per document).
 */
const NAME = '[A-Za-z_][\\w.-]*';
const FROM = `(?:\\$${NAME}|\\.|${NAME}|/acrn-config|acrn:descendants-named\\([^()]*\\))(?:/${NAME})*`;
const DESCENDANT_STEP = new RegExp(`(^|[\\s(,[=<>!+*|])(${FROM})?//(${NAME})(?![\\w.(:-])(?!\\s*\\[\\s*(?:\\d|last\\s*\\(|position\\s*\\())`, 'g');
/** Keywords that may stand before `//` but are no path. */
const NOT_A_STEP = new Set(['return', 'satisfies', 'then', 'else', 'in', 'and', 'or', 'div', 'mod', 'to', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'is', 'union', 'intersect', 'except']);

export function indexDescendants(expr: string): string {
  let out = '';
  let i = 0;
  while (i < expr.length) {
    const q = expr.slice(i).search(/["']/);
    const end = q < 0 ? expr.length : i + q;
    let part = expr.slice(i, end);
    for (let n = 0; n < 8; n++) {
      const next = part.replace(DESCENDANT_STEP, (m, pre: string, from: string | undefined, name: string) => {
        if (from && NOT_A_STEP.has(from)) return m;
        return `${pre}acrn:descendants-named(${!from || from === '/acrn-config' ? '/' : from}, '${name}')`;
      });
      if (next === part) break;
      part = next;
    }
    out += part;
    if (q < 0) break;
    const close = expr.indexOf(expr[end]!, end + 1);
    const stop = close < 0 ? expr.length : close + 1;
    out += expr.slice(end, stop);
    i = stop;
  }
  return out;
}

function prepare(expr: string): string {
  let e = EXPR_CACHE.get(expr);
  if (e === undefined) {
    e = wrapBareOperands(indexDescendants(prefixAcrnFunctions(expr)));
    EXPR_CACHE.set(expr, e);
  }
  return e;
}

// --- DOM building ------------------------------------------------------------------------------

interface Built {
  /** DOM node -> the source element it came from (created default nodes -> their nearest source ancestor). */
  toSource: Map<DNode, XmlElement>;
  /** Source element -> DOM element. */
  toDom: Map<XmlElement, DElement>;
  /** DOM nodes created for schema defaults. */
  created: Set<DNode>;
}

function safeCreate(doc: slimdom.Document, name: string): DElement | undefined {
  try {
    return doc.createElement(name);
  } catch {
    return undefined;
  }
}

/** Builds DOM children for a source element's element children (text kept for leaves). */
function buildElement(doc: slimdom.Document, el: XmlElement, built: Built): DElement | undefined {
  const d = safeCreate(doc, el.name);
  if (!d) return undefined;
  for (const a of el.attributes) {
    try {
      d.setAttribute(a.name, a.value);
    } catch {
      /* invalid attribute name in a broken document: skip it */
    }
  }
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

function domChildren(n: DNode): DElement[] {
  const out: DElement[] = [];
  for (const c of n.childNodes) if (c.nodeType === 1) out.push(c as DElement);
  return out;
}

/** The default ACRN's populator gives a missing/empty element: @default, else acrn:defaults minus used values. */
function defaultFor(d: ElementDecl, parent: DElement, docRoot: DNode): string | undefined {
  if (d.default !== undefined) return d.default;
  const defs = d.acrn?.defaults;
  const among = d.acrn?.uniqueAmong;
  if (!defs || !among) return undefined;
  const all = pythonDefaults(defs);
  if (!all) return undefined;
  let used: string[] = [];
  try {
    used = evalAll(among, docRoot, { parent }).map(formatItem);
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
function populate(model: SchemaModel, doc: slimdom.Document, node: DElement, type: TypeDef | undefined, vmKind: VmKind | undefined, built: Built, source: XmlElement, depth: number): void {
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
      const def = complex ? undefined : defaultFor(d, node, docRoot);
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
      if (complex) populate(model, doc, created, at.type, at.vmKind, built, source, depth + 1);
      continue;
    }
    for (const k of present) {
      const src = built.toSource.get(k) ?? source;
      const at = effective(model, d, built.created.has(k) ? undefined : src, vmKind);
      if (at.type?.kind === 'complex') populate(model, doc, k, at.type, at.vmKind, built, src, depth + 1);
      else if (k.childNodes.length === 0) {
        const def = defaultFor(d, node, docRoot);
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
function buildScenario(model: SchemaModel, root: XmlElement): { doc: slimdom.Document; root: DElement; built: Built } | undefined {
  const built: Built = { toSource: new Map(), toDom: new Map(), created: new Set() };
  const doc = new slimdom.Document();
  const d = buildElement(doc, root, built);
  if (!d) return undefined;
  doc.appendChild(d);
  const rt = rootTypeOf(model, root);
  if (rt && model.populatesDefaults !== false) populate(model, doc, d, rt.type, undefined, built, root, 0);
  return { doc, root: d, built };
}

// --- board cache -----------------------------------------------------------------------------

interface BoardDom {
  doc: slimdom.Document;
  root: DElement;
  /** The board root's own children (kept in place; scenario nodes are inserted around them). */
  boardChildren: DElement[];
  attributes: { name: string; value: string }[];
}

const BOARD_BY_PATH = new Map<string, { mtimeMs: number; size: number; xml: XmlDocument }>();
const BOARD_BY_DOC = new WeakMap<XmlDocument, Map<string, BoardDom>>();
const NAMES_BY_MODEL = new WeakMap<SchemaModel, { key: string; names: Set<string> }>();

/** Every name token the datachecks mention (tests, report-on, message placeholders). */
function referencedNames(model: SchemaModel): { key: string; names: Set<string> } {
  let hit = NAMES_BY_MODEL.get(model);
  if (!hit) {
    const names = new Set<string>(['acrn-config']);
    for (const a of model.datachecks) {
      const all = [a.test, a.acrn?.reportOn ?? '', ...(a.documentation?.match(/\{[^{}]*\}/g) ?? [])].join(' ');
      for (const m of all.matchAll(/[A-Za-z_][\w.-]*/g)) names.add(m[0]);
    }
    hit = { key: [...names].sort().join(' '), names };
    NAMES_BY_MODEL.set(model, hit);
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
  for (const a of el.attributes) {
    try {
      d.setAttribute(a.name, a.value);
    } catch {
      /* skip invalid names */
    }
  }
  if (elementChildren(el).length === 0) {
    const t = textOf(el);
    if (t !== '') d.appendChild(doc.createTextNode(t));
  } else {
    for (const k of kept) d.appendChild(k);
  }
  return d;
}

function boardDomOf(xml: XmlDocument, model: SchemaModel): BoardDom | undefined {
  const { key, names } = referencedNames(model);
  let byNames = BOARD_BY_DOC.get(xml);
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
    BOARD_BY_DOC.set(xml, byNames);
  }
  byNames.set(key, dom);
  return dom;
}

/** The parsed board file, cached by path + mtime + size. */
export function loadBoard(file: string): XmlDocument | undefined {
  let st;
  try {
    st = statSync(file);
  } catch {
    return undefined;
  }
  const hit = BOARD_BY_PATH.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.xml;
  const loaded = loadFile(file);
  if (loaded.binary) return undefined;
  const xml = parseXml(loaded.text);
  if (!xml.root) return undefined;
  BOARD_BY_PATH.set(file, { mtimeMs: st.mtimeMs, size: st.size, xml });
  return xml;
}

/** The board for an analysis: options.board, else found from the scenario (board= / siblings). */
export function boardFor(ctx: AnalysisContext, tree: string | undefined): XmlDocument | undefined {
  if (ctx.options.board) return ctx.options.board;
  const file = findBoardFile({ scenarioPath: uriToPath(ctx.options.uri), doc: ctx.doc, acrnTree: tree });
  return file ? loadBoard(file) : undefined;
}

// --- evaluation ----------------------------------------------------------------------------------

type Vars = Record<string, unknown>;

interface Quantified {
  some: boolean;
  bindings: { name: string; expr: string }[];
  body: string;
}

/** Index of a top-level keyword (outside parentheses, brackets and strings), or -1. */
function topLevel(expr: string, word: string, from = 0): number {
  let depth = 0;
  for (let i = from; i < expr.length; i++) {
    const c = expr[i]!;
    if (c === '"' || c === "'") {
      const j = expr.indexOf(c, i + 1);
      if (j < 0) return -1;
      i = j;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (depth === 0 && expr.startsWith(word, i) && !/[\w-]/.test(expr[i - 1] ?? ' ') && !/[\w-]/.test(expr[i + word.length] ?? ' ')) return i;
  }
  return -1;
}

function splitTopLevelCommas(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"' || c === "'") {
      const j = s.indexOf(c, i + 1);
      if (j < 0) break;
      i = j;
      continue;
    }
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(last, i));
      last = i + 1;
    }
  }
  out.push(s.slice(last));
  return out;
}

const Q_CACHE = new Map<string, Quantified | null>();

/** Parses `every|some $a in E1, $b in E2 satisfies BODY` at the top level. */
function parseQuantified(expr: string): Quantified | undefined {
  const cached = Q_CACHE.get(expr);
  if (cached !== undefined) return cached ?? undefined;
  let result: Quantified | null = null;
  const m = /^\s*(every|some)\s+(?=\$)/.exec(expr);
  if (m) {
    const sat = topLevel(expr, 'satisfies', m[0].length);
    if (sat > 0) {
      const bindings: { name: string; expr: string }[] = [];
      let ok = true;
      for (const part of splitTopLevelCommas(expr.slice(m[0].length, sat))) {
        const b = /^\s*\$([\w.-]+)\s+in\s+([\s\S]+)$/.exec(part);
        if (!b) {
          ok = false;
          break;
        }
        bindings.push({ name: b[1]!, expr: b[2]!.trim() });
      }
      if (ok && bindings.length) result = { some: m[1] === 'some', bindings, body: expr.slice(sat + 'satisfies'.length).trim() };
    }
  }
  Q_CACHE.set(expr, result);
  return result ?? undefined;
}

function evalAll(expr: string, context: DNode, vars: Vars): unknown[] {
  const r = evaluateXPath(prepare(expr), context, DOM_FACADE as never, vars, evaluateXPath.ALL_RESULTS_TYPE, XPATH_OPTS) as unknown;
  return Array.isArray(r) ? r : [r];
}

function evalBool(expr: string, context: DNode, vars: Vars): boolean {
  return evaluateXPathToBoolean(prepare(expr), context, DOM_FACADE as never, vars, XPATH_OPTS);
}

/**
 * Evaluates a test; when it fails and is a top-level every/some chain, returns the
 * counter-example bindings (ACRN reports on them).
 */
function evaluateTest(expr: string, context: DNode, vars: Vars, depth = 0, memo = new Map<string, unknown[]>()): { ok: boolean; vars: Vars } {
  const q = depth < 8 ? parseQuantified(expr) : undefined;
  if (!q) return { ok: evalBool(expr, context, vars), vars: {} };
  // A binding sequence that names no variable is the same for every outer binding (the context
  // is fixed): evaluate it once per test, not once per outer item (`every $post_vm in ...
  // satisfies every $svm in /acrn-config/vm[...]` was quadratic in VMs).
  const seq = (e: string, bound: Vars): unknown[] => {
    if (e.includes('$')) return evalAll(e, context, bound);
    let r = memo.get(e);
    if (!r) {
      r = evalAll(e, context, bound);
      memo.set(e, r);
    }
    return r;
  };
  const iterate = (i: number, bound: Vars): { ok: boolean; vars: Vars } | undefined => {
    if (i === q.bindings.length) {
      const r = evaluateTest(q.body, context, bound, depth + 1, memo);
      if (q.some ? r.ok : !r.ok) return { ok: r.ok, vars: { ...bound, ...r.vars } };
      return undefined;
    }
    const b = q.bindings[i]!;
    for (const item of seq(b.expr, bound)) {
      const r = iterate(i + 1, { ...bound, [b.name]: item });
      if (r) return r;
    }
    return undefined;
  };
  const decided = iterate(0, vars);
  if (decided) return decided;
  return { ok: !q.some, vars: {} };
}

function formatItem(x: unknown): string {
  if (typeof x === 'object' && x !== null && 'nodeType' in x) return (x as DNode).textContent ?? '';
  if (typeof x === 'boolean') return x ? 'True' : 'False';
  return String(x);
}

/** Fills `{xpath}` placeholders like ACRN: one result -> its text, several -> [a, b], none -> {unknown}. */
function fillMessage(message: string, context: DNode, vars: Vars): string {
  return message.replace(/\{[^{}]*\}/g, (m) => {
    const expr = m.slice(1, -1);
    try {
      const r = evalAll(expr, context, vars);
      if (r.length === 1) return formatItem(r[0]);
      if (r.length > 1) return `[${r.map(formatItem).join(', ')}]`;
      return '{unknown}';
    } catch {
      return m;
    }
  });
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

interface Report {
  assert: Assertion;
  severity: Severity;
  message: string;
  nodes: DNode[];
  context: DNode;
}

function severityOf(a: Assertion): Severity {
  const s = a.acrn?.severity;
  return s === 'warning' ? 'warning' : s === 'info' ? 'info' : 'error';
}

function runAssert(a: Assertion, context: DNode): Report | undefined {
  let res: { ok: boolean; vars: Vars };
  try {
    // A top-level every/some chain is iterated here (its invariant sequences evaluated once, the
    // counter-example found on the way); a failure is confirmed by fontoxpath on the whole test,
    // so a disagreement can never add a finding. Other tests: fontoxpath alone.
    if (parseQuantified(a.test)) {
      res = evaluateTest(a.test, context, {});
      if (res.ok || evalBool(a.test, context, {})) return undefined;
    } else {
      if (evalBool(a.test, context, {})) return undefined;
      res = { ok: false, vars: {} };
    }
  } catch (e) {
    trace?.errors.push({ assert: a.id, message: (e as Error).message.split('\n')[0] ?? String(e) });
    return undefined;
  }
  let nodes: DNode[] = [];
  if (a.acrn?.reportOn) {
    try {
      nodes = evalAll(a.acrn.reportOn, context, res.vars).filter((x): x is DNode => typeof x === 'object' && x !== null && 'nodeType' in x);
    } catch (e) {
      trace?.errors.push({ assert: a.id, message: `report-on: ${(e as Error).message.split('\n')[0] ?? ''}` });
    }
  }
  const doc = a.documentation ?? `Assertion failed: ${a.test.replace(/\s+/g, ' ').trim()}`;
  const message = a.documentation ? fillMessage(doc, context, res.vars) : doc;
  return { assert: a, severity: severityOf(a), message, nodes, context };
}

function toFindings(reports: Report[], built: Built, fallback: XmlElement, source: 'assert' | 'datacheck'): Finding[] {
  const out: Finding[] = [];
  for (const r of reports) {
    const targets = new Map<XmlElement, string>();
    for (const n of r.nodes) {
      let cur: DNode | null = n;
      if (cur.nodeType === 2) cur = (cur as slimdom.Attr).ownerElement;
      else if (cur.nodeType !== 1) cur = cur.parentNode;
      let src: XmlElement | undefined;
      while (cur && !src) {
        src = built.toSource.get(cur);
        cur = cur.parentNode;
      }
      if (src && !targets.has(src)) targets.set(src, domPath(n));
    }
    if (targets.size === 0) {
      let ctxSrc: XmlElement | undefined;
      for (let cur: DNode | null = r.context; cur && !ctxSrc; cur = cur.parentNode) ctxSrc = built.toSource.get(cur);
      targets.set(ctxSrc ?? fallback, r.nodes[0] ? domPath(r.nodes[0]) : domPath(r.context));
    }
    const all = [...targets.entries()];
    const code = `${source}/${r.assert.id.replace(/\.xsd#/, '#')}`;
    for (const [el, xpath] of all) {
      const f: Finding = {
        severity: r.severity,
        source,
        code,
        start: el.nameStart,
        end: el.nameEnd,
        message: r.message.replace(/\s+/g, ' ').trim(),
        data: { xpath, assert: r.assert.id, test: r.assert.test },
      };
      if (all.length > 1) f.related = all.filter(([o]) => o !== el).map(([o, p]) => ({ start: o.nameStart, end: o.nameEnd, message: `also reported: ${p}` }));
      out.push(f);
    }
  }
  return out;
}

// --- incremental datachecks ------------------------------------------------------------------
//
// A datacheck selects elements by name only (no wildcards or sibling axes, checked by a test over
// ACRN's schemas), so its outcome depends only on the elements whose names it mentions (and their
// ancestors). Each evaluation records, per assert, a fingerprint of that part of the scenario; an
// edit that does not change it (another VM's bvt_weight, a comment, white space) reuses the
// previous outcome instead of running the XPath again.

/** Names the custom function number-of-clos-id-needed reads (ACRN's rdt.get_policy_list). */
const CLOS_NAMES = ['POLICY', 'VM', 'VCPU', 'TYPE', 'CLOS_MASK', 'CACHE_ALLOCATION', 'CACHE_LEVEL', 'CACHE_ID', 'CDP_ENABLED', 'VCAT_ENABLED', 'vm', 'name', 'virtual_cat_support'];
const ASSERT_NAMES = new WeakMap<Assertion, Set<string>>();

function namesOf(a: Assertion): Set<string> {
  let n = ASSERT_NAMES.get(a);
  if (!n) {
    n = new Set<string>(['acrn-config']);
    const all = [a.test, a.acrn?.reportOn ?? '', ...(a.documentation?.match(/\{[^{}]*\}/g) ?? [])].join(' ');
    for (const m of all.matchAll(/[A-Za-z_][\w.-]*/g)) n.add(m[0]);
    if (/number-of-clos-id-needed/.test(a.test)) for (const x of CLOS_NAMES) n.add(x);
    ASSERT_NAMES.set(a, n);
  }
  return n;
}

/** Serialises the parts of `nodes` an assert can see. */
function fingerprint(nodes: DElement[], names: Set<string>): string {
  const parts: string[] = [];
  const walk = (el: DElement): string | undefined => {
    let inner = '';
    for (const c of el.childNodes) {
      if (c.nodeType === 1) {
        const k = walk(c as DElement);
        if (k !== undefined) inner += k;
      }
    }
    if (inner === '' && !names.has(el.nodeName)) return undefined;
    let attrs = '';
    for (const a of el.attributes) attrs += ` ${a.name}=${JSON.stringify(a.value)}`;
    let text = '';
    if (names.has(el.nodeName)) for (const c of el.childNodes) if (c.nodeType === 3) text += (c as slimdom.Text).data;
    return `<${el.nodeName}${attrs}>${JSON.stringify(text)}${inner}</>`;
  };
  for (const n of nodes) parts.push(walk(n) ?? `<${n.nodeName}/>`);
  return parts.join('');
}

interface CachedOutcome {
  fp: string;
  report: { severity: Severity; message: string; paths: string[]; contextPath: string } | null;
}

/** Outcomes per (board DOM or 'none', model) and assert; a few fingerprints each. */
const OUTCOMES = new WeakMap<object, Map<Assertion, CachedOutcome[]>>();
const OUTCOMES_PER_ASSERT = 32;

/** Finds a DOM element by an lxml-style path under `root`'s document element. */
function resolveDomPath(root: DElement, p: string): DElement | undefined {
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

/** Forgets every cached datacheck outcome (bench: measure full evaluations). */
export function clearDatacheckCache(): void {
  for (const k of cacheKeys) OUTCOMES.delete(k);
  cacheKeys.clear();
}
const cacheKeys = new Set<object>();

export interface DatacheckStats {
  evaluated: number;
  reused: number;
}
let lastStats: DatacheckStats = { evaluated: 0, reused: 0 };
/** How many datachecks the last evaluation ran vs reused (bench and tests). */
export function lastDatacheckStats(): DatacheckStats {
  return lastStats;
}

/** Runs the datachecks over a unified tree, reusing outcomes whose inputs did not change. */
const NOT_BY_NAME = /\/\*|::\*|\*\[|node\(\)|\.\.|parent::|preceding|following|position\(|last\(\)|local-name|\bname\(\)/;
const CACHEABLE = new WeakMap<Assertion, boolean>();

/** Whether an assert selects by name only, so its outcome can be keyed on a fingerprint. */
function cacheable(a: Assertion): boolean {
  let c = CACHEABLE.get(a);
  if (c === undefined) {
    c = !NOT_BY_NAME.test([a.test, a.acrn?.reportOn ?? '', ...(a.documentation?.match(/\{[^{}]*\}/g) ?? [])].join(' '));
    CACHEABLE.set(a, c);
  }
  return c;
}

/**
 * Runs asserts (each with its context node) over a tree, reusing outcomes whose inputs did not
 * change: the fingerprint of the elements the assert names, plus the context node's path.
 */
/**
 * The time budget of the asserts and datachecks of one analysis (checker.ts sets it): an assert
 * that would start after the deadline is skipped and listed (outcomes from the cache are still
 * used, they cost nothing); the checker turns the list into one diagnostic.
 */
export interface CheckBudget {
  deadline: number;
  skipped: Assertion[];
  cancelled?: () => boolean;
}
let budget: CheckBudget | undefined;
export function withCheckBudget<T>(b: CheckBudget | undefined, fn: () => T): T {
  const saved = budget;
  budget = b;
  try {
    return fn();
  } finally {
    budget = saved;
  }
}

function runCached(items: { a: Assertion; context: DElement }[], root: DElement, scenarioNodes: DElement[], cacheKey: object): Report[] {
  return withDescendantIndex(root.ownerDocument ?? root, () => runCachedIndexed(items, root, scenarioNodes, cacheKey));
}

function runCachedIndexed(items: { a: Assertion; context: DElement }[], root: DElement, scenarioNodes: DElement[], cacheKey: object): Report[] {
  let byAssert = OUTCOMES.get(cacheKey);
  if (!byAssert) {
    byAssert = new Map();
    OUTCOMES.set(cacheKey, byAssert);
    cacheKeys.add(cacheKey);
  }
  const reports: Report[] = [];
  const stats: DatacheckStats = { evaluated: 0, reused: 0 };
  const fps = new Map<Assertion, string>();
  for (const { a, context } of items) {
    if (!cacheable(a)) {
      if (budget && (performance.now() > budget.deadline || budget.cancelled?.())) {
        budget.skipped.push(a);
        continue;
      }
      stats.evaluated++;
      const r = runAssert(a, context);
      if (r) reports.push(r);
      continue;
    }
    let base = fps.get(a);
    if (base === undefined) {
      base = fingerprint(scenarioNodes, namesOf(a)) + fingerprintAttrs(root);
      fps.set(a, base);
    }
    const fp = context === root ? base : `${base}@${domPath(context)}`;
    const list = byAssert.get(a) ?? [];
    const hit = list.find((o) => o.fp === fp);
    if (hit) {
      stats.reused++;
      if (hit.report) {
        const nodes = hit.report.paths.map((p) => resolveDomPath(root, p)).filter((n): n is DElement => n !== undefined);
        reports.push({ assert: a, severity: hit.report.severity, message: hit.report.message, nodes, context: resolveDomPath(root, hit.report.contextPath) ?? root });
      }
      continue;
    }
    if (budget && (performance.now() > budget.deadline || budget.cancelled?.())) {
      budget.skipped.push(a);
      continue;
    }
    stats.evaluated++;
    const r = runAssert(a, context);
    const outcome: CachedOutcome = { fp, report: r ? { severity: r.severity, message: r.message, paths: r.nodes.map((n) => domPath(n)), contextPath: domPath(r.context) } : null };
    list.unshift(outcome);
    if (list.length > OUTCOMES_PER_ASSERT) list.length = OUTCOMES_PER_ASSERT;
    byAssert.set(a, list);
    if (r) reports.push(r);
  }
  lastStats = stats;
  return reports;
}

function runDatachecks(asserts: Assertion[], root: DElement, scenarioNodes: DElement[], cacheKey: object): Report[] {
  return runCached(asserts.map((a) => ({ a, context: root })), root, scenarioNodes, cacheKey);
}

function fingerprintAttrs(root: DElement): string {
  let s = '';
  for (const a of root.attributes) s += ` ${a.name}=${JSON.stringify(a.value)}`;
  return s;
}

/** Evaluates the config.xsd asserts on the elements whose types carry them. */
export function evaluateAsserts(ctx: AnalysisContext, model: SchemaModel, targets: { element: XmlElement; assert: Assertion }[]): Finding[] {
  const root = ctx.doc.root;
  if (!root || targets.length === 0) return [];
  registerAcrnFunctions();
  const s = buildScenario(model, root);
  if (!s) return [];
  const items: { a: Assertion; context: DElement }[] = [];
  for (const t of targets) {
    const node = s.built.toDom.get(t.element);
    if (node) items.push({ a: t.assert, context: node });
  }
  const reports = runCached(items, s.root, domChildren(s.root), model);
  return toFindings(reports, s.built, root, 'assert');
}

const BOARD_NAMES = /\b(processors|caches|capability|thread|core_type|PCI_DEVICE|TTYS_INFO|ttys|BIOS_INFO|BASE_BOARD_INFO|ioapics|clos_number|waymask|CLOS_INFO|AVAILABLE_IRQ_INFO|SYSTEM_RAM_INFO|IOMEM_INFO|devices|device|range|memory\/range)\b/;

/** True when an assert reads the board (so it cannot run without one). */
export function needsBoard(a: Assertion): boolean {
  return BOARD_NAMES.test(a.test) || BOARD_NAMES.test(a.acrn?.reportOn ?? '') || /number-of-clos-id-needed/.test(a.test);
}

/**
 * Evaluates datachecks.xsd + checks/*.xsd. With a board: all of them, on the unified tree ACRN
 * builds. Without one: only those that do not read the board.
 */
export function evaluateDatachecks(ctx: AnalysisContext, model: SchemaModel, tree: string | undefined): Finding[] {
  const root = ctx.doc.root;
  if (!root || model.datachecks.length === 0) return [];
  registerAcrnFunctions();
  const boardXml = boardFor(ctx, tree);
  const board = boardXml ? boardDomOf(boardXml, model) : undefined;
  const asserts = board ? model.datachecks : model.datachecks.filter((a) => !needsBoard(a));
  if (asserts.length === 0) return [];
  if (!board) {
    const s = buildScenario(model, root);
    if (!s) return [];
    const reports = runDatachecks(asserts, s.root, domChildren(s.root), model);
    return toFindings(reports, s.built, root, 'datacheck');
  }
  const s = buildScenario(model, root);
  if (!s) return [];
  const scenarioKids = domChildren(s.root);
  const boardRoot = board.root;
  const savedAttrs = board.attributes;
  const v3 = model.family === 'v3';
  // Unified tree: v3 = scenario root (its attributes) + board children appended;
  // v2 = board root (its attributes) + scenario children appended.
  const first = board.boardChildren[0] ?? null;
  try {
    if (v3) {
      for (const a of savedAttrs) boardRoot.removeAttribute(a.name);
      for (const a of root.attributes) {
        try {
          boardRoot.setAttribute(a.name, a.value);
        } catch {
          /* skip invalid names */
        }
      }
      for (const k of scenarioKids) boardRoot.insertBefore(k, first);
    } else {
      for (const k of scenarioKids) boardRoot.appendChild(k);
    }
    s.built.toSource.set(boardRoot, root);
    const reports = runDatachecks(asserts, boardRoot, scenarioKids, board);
    return toFindings(reports, s.built, root, 'datacheck');
  } finally {
    for (const k of scenarioKids) if (k.parentNode === boardRoot) boardRoot.removeChild(k);
    if (v3) {
      for (const a of root.attributes) {
        try {
          boardRoot.removeAttribute(a.name);
        } catch {
          /* ignore */
        }
      }
      for (const a of savedAttrs) boardRoot.setAttribute(a.name, a.value);
    }
  }
}

