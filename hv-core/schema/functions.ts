/**
 * ACRN's custom XPath functions, re-implemented from their documented behaviour in ACRN's
 * config tools (elementpath overlay and library/rdt.py), registered with fontoxpath in the
 * namespace ACRN_FN_NS. Assertion tests call them unprefixed (`bits-of(x)`); `prefixAcrnFunctions`
 * rewrites those calls to `acrn:bits-of(x)` before compiling.
 *
 * - bitwise-and(a, b): both operands as integers (node text or string with a 0x prefix, or a
 *   number), their bitwise AND. Anything else is a type error, as in ACRN.
 * - bits-of(x): the indices of the set bits of x (same integer conversion), lowest first.
 * - has(seq, s): true when any item of seq has the string value s.
 * - duplicate-values(seq): each value that occurs more than once, once, in order of its second
 *   occurrence.
 * - number-of-clos-id-needed(root): how many CLOS ids the RDT cache policies of the scenario need
 *   after merging compatible policies (CDP doubles them).
 */
import { registerCustomXPathFunction } from 'fontoxpath';

export const ACRN_FN_NS = 'https://projectacrn.org/xpath-functions';
export const ACRN_FUNCTIONS = ['bitwise-and', 'bits-of', 'has', 'duplicate-values', 'number-of-clos-id-needed'] as const;

const CALL = new RegExp(`(?<![\\w:$.\\-/@])(${ACRN_FUNCTIONS.map((f) => f.replace(/-/g, '\\-')).join('|')})(?=\\s*\\()`, 'g');

/** Rewrites unprefixed calls of ACRN's functions to the acrn: prefix (outside string literals). */
export function prefixAcrnFunctions(expr: string): string {
  let out = '';
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (c === '"' || c === "'") {
      const j = expr.indexOf(c, i + 1);
      const end = j < 0 ? expr.length : j + 1;
      out += expr.slice(i, end);
      i = end;
      continue;
    }
    let j = i;
    while (j < expr.length && expr[j] !== '"' && expr[j] !== "'") j++;
    out += expr.slice(i, j).replace(CALL, 'acrn:$1');
    i = j;
  }
  return out;
}

/** Minimal DOM shape fontoxpath hands to custom functions (slimdom nodes). */
interface DomNode {
  nodeType: number;
  textContent: string | null;
  childNodes: ArrayLike<DomNode>;
  parentNode: DomNode | null;
  nodeName: string;
}

function isNode(x: unknown): x is DomNode {
  return typeof x === 'object' && x !== null && 'nodeType' in x;
}

export class AcrnFunctionTypeError extends Error {}

/** ACRN's hex_to_int: node text / string must carry 0x; numbers are truncated. */
export function hexToInt(value: unknown): bigint {
  let v = value;
  if (isNode(v)) v = v.textContent ?? '';
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (typeof v === 'bigint') return v;
  if (typeof v === 'string' && v.startsWith('0x')) {
    try {
      return BigInt(v);
    } catch {
      throw new AcrnFunctionTypeError(`invalid literal for int() with base 16: '${v}'`);
    }
  }
  throw new AcrnFunctionTypeError(`invalid type for integer: ${JSON.stringify(v)}`);
}

function stringValue(item: unknown): string {
  if (isNode(item)) return item.textContent ?? '';
  return String(item);
}

function elementChildren(n: DomNode): DomNode[] {
  const out: DomNode[] = [];
  for (let i = 0; i < n.childNodes.length; i++) {
    const c = n.childNodes[i]!;
    if (c.nodeType === 1) out.push(c);
  }
  return out;
}

function descendants(n: DomNode, name: string, out: DomNode[] = []): DomNode[] {
  for (const c of elementChildren(n)) {
    if (c.nodeName === name) out.push(c);
    descendants(c, name, out);
  }
  return out;
}

function childText(n: DomNode | null | undefined, name: string): string | undefined {
  if (!n) return undefined;
  const c = elementChildren(n).find((x) => x.nodeName === name);
  return c ? (c.textContent ?? '') : undefined;
}

function rootOf(n: DomNode): DomNode {
  let cur = n;
  while (cur.parentNode && cur.parentNode.nodeType === 1) cur = cur.parentNode;
  return cur;
}

// --- number-of-clos-id-needed: RDT policy merging ---------------------------------------------

type Mask = string | undefined;

interface L2 {
  masks: Mask[];
  ids: (string | undefined)[];
}

interface Rdt {
  l2: L2;
  l3: { id: string | undefined; mask: Mask };
  vcat: boolean;
}

const maskMatch = (a: Mask, b: Mask): boolean => a === undefined || b === undefined || a === b;

function makeRdt(policies: DomNode[], cache2Ids: string[], vcat: boolean): Rdt {
  let c2: string | undefined;
  let c3: string | undefined;
  let m2: Mask;
  let m3: Mask;
  for (const p of policies) {
    const level = childText(p.parentNode, 'CACHE_LEVEL');
    const id = childText(p.parentNode, 'CACHE_ID');
    const mask = childText(p, 'CLOS_MASK');
    if (level === '2') {
      m2 = mask;
      c2 = id;
    } else {
      m3 = mask;
      c3 = id;
    }
  }
  const l2: L2 = { masks: [], ids: [] };
  for (const id of cache2Ids) {
    if (id === c2) {
      l2.masks.push(m2);
      l2.ids.push(c2);
    } else {
      l2.masks.push(undefined);
      l2.ids.push(undefined);
    }
  }
  return { l2, l3: { id: c3, mask: m3 }, vcat };
}

function rdtMatch(a: Rdt, b: Rdt): boolean {
  for (let i = 0; i < a.l2.masks.length; i++) if (!maskMatch(a.l2.masks[i], b.l2.masks[i])) return false;
  return maskMatch(a.l3.mask, b.l3.mask);
}

/** Merges src into dst when compatible (vCAT policies never take others in). */
function rdtMerge(dst: Rdt, src: Rdt): boolean {
  if (dst.vcat) return false;
  if (!rdtMatch(dst, src)) return false;
  for (let i = 0; i < dst.l2.masks.length; i++) if (dst.l2.masks[i] === undefined) dst.l2.masks[i] = src.l2.masks[i];
  return true;
}

/** The number of CLOS ids the scenario's cache policies need (ACRN's rdt.get_policy_list length). */
export function numberOfClosIdNeeded(node: DomNode): number {
  const root = rootOf(node);
  const cacheAllocs = descendants(root, 'CACHE_ALLOCATION');
  const cache2Ids = cacheAllocs.filter((c) => (childText(c, 'CACHE_LEVEL') ?? '').trim() === '2').map((c) => childText(c, 'CACHE_ID') ?? '').sort();
  const policies = descendants(root, 'POLICY');
  const firstText = (name: string): string | undefined => {
    const n = descendants(root, name)[0];
    return n ? (n.textContent ?? '') : undefined;
  };
  const cdp = firstText('CDP_ENABLED') === 'y';
  const vcatOn = firstText('VCAT_ENABLED') === 'y';
  const vms = descendants(root, 'vm');
  const vcatFor = (name: string): boolean => {
    if (!vcatOn) return false;
    const vm = vms.find((v) => childText(v, 'name') === name);
    return childText(vm, 'virtual_cat_support') === 'y';
  };
  const owners: { vm: string; vcpu: string; type: string | undefined }[] = [];
  for (const p of policies) {
    const vm = childText(p, 'VM');
    if (vm === undefined) continue;
    const vcpu = String(Number.parseInt(childText(p, 'VCPU') ?? '', 10));
    owners.push({ vm, vcpu, type: childText(p, 'TYPE') });
  }
  const select = (vm: string, vcpu: string, type?: string): DomNode[] =>
    policies.filter((p) => childText(p, 'VM') === vm && childText(p, 'VCPU') === vcpu && (type === undefined || childText(p, 'TYPE') === type));
  if (cdp) {
    const list: { data: Rdt; code: Rdt }[] = [];
    for (const o of owners) {
      if (o.type !== 'Data') continue;
      const item = { data: makeRdt(select(o.vm, o.vcpu, 'Data'), cache2Ids, false), code: makeRdt(select(o.vm, o.vcpu, 'Code'), cache2Ids, false) };
      if (!list.some((r) => rdtMatch(r.code, item.code) && rdtMatch(r.data, item.data) && rdtMerge(r.code, item.code) && rdtMerge(r.data, item.data))) list.push(item);
    }
    return list.length * 2;
  }
  const list: Rdt[] = [];
  for (const o of owners) {
    const item = makeRdt(select(o.vm, o.vcpu), cache2Ids, vcatFor(o.vm));
    if (!list.some((r) => rdtMerge(r, item))) list.push(item);
  }
  return list.length;
}

// --- the descendant index ------------------------------------------------------------------------
//
// Datachecks say `//endpoint`, `/acrn-config//console_vuart`, `$vm//pcpu_id` or `.//X` inside
// `every $x in ...` bodies, so each binding re-walked the whole unified tree (the board's thousands
// of nodes included) or a subtree: cost grew with VMs x tree size. asserts.ts rewrites such name
// steps to `acrn:descendants-named(/, 'endpoint')` / `acrn:descendants-named($vm, 'pcpu_id')`,
// answered here from an index built once per evaluation run (withDescendantIndex): the elements of
// each name in document order with their pre-order numbers, and each element's pre-order interval,
// so the descendants of a node with a name are a binary search away. Outside a run, or for a node
// of another tree, the function walks the tree itself (same result, no index).

interface DomLike {
  nodeType: number;
  nodeName: string;
  childNodes: ArrayLike<DomLike>;
}

interface DescendantIndex {
  doc: DomLike;
  pre: Map<DomLike, number>;
  /** Largest pre-order number inside the element's subtree. */
  last: Map<DomLike, number>;
  byName: Map<string, { pre: number[]; nodes: DomLike[] }>;
}

let activeIndex: DescendantIndex | undefined;

function buildIndex(doc: DomLike): DescendantIndex {
  const ix: DescendantIndex = { doc, pre: new Map(), last: new Map(), byName: new Map() };
  let n = 0;
  // Iterative pre-order walk (no recursion limit); `last` is set when a subtree is left.
  const stack: { node: DomLike; i: number }[] = [{ node: doc, i: 0 }];
  ix.pre.set(doc, n++);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const kids = top.node.childNodes;
    if (top.i >= kids.length) {
      ix.last.set(top.node, n - 1);
      stack.pop();
      continue;
    }
    const c = kids[top.i++]!;
    if (c.nodeType !== 1) continue;
    const p = n++;
    ix.pre.set(c, p);
    const l = ix.byName.get(c.nodeName);
    if (l) {
      l.pre.push(p);
      l.nodes.push(c);
    } else ix.byName.set(c.nodeName, { pre: [p], nodes: [c] });
    stack.push({ node: c, i: 0 });
  }
  return ix;
}

function lowerBound(xs: number[], v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (xs[m]! < v) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** Descendants (not the node itself) named `name`, in document order, by walking. */
function walkDescendants(node: DomLike, name: string, out: DomLike[]): void {
  const stack: { node: DomLike; i: number }[] = [{ node, i: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.i >= top.node.childNodes.length) {
      stack.pop();
      continue;
    }
    const c = top.node.childNodes[top.i++]!;
    if (c.nodeType !== 1) continue;
    if (c.nodeName === name) out.push(c);
    stack.push({ node: c, i: 0 });
  }
}

function descendantsNamed(nodes: DomLike[], name: string): DomLike[] {
  const ix = activeIndex;
  const out: DomLike[] = [];
  for (const node of nodes) {
    if (node.nodeType !== 1 && node.nodeType !== 9) continue;
    const p = ix?.pre.get(node);
    if (!ix || p === undefined) {
      walkDescendants(node, name, out);
      continue;
    }
    const l = ix.byName.get(name);
    if (!l) continue;
    const from = lowerBound(l.pre, p + 1);
    const to = lowerBound(l.pre, ix.last.get(node)! + 1);
    for (let i = from; i < to; i++) out.push(l.nodes[i]!);
  }
  if (nodes.length <= 1) return out;
  // Several context nodes: document order, no duplicates (a path expression's result).
  const seen = new Set<DomLike>();
  const uniq = out.filter((x) => !seen.has(x) && !!seen.add(x));
  if (ix && uniq.every((x) => ix.pre.has(x))) uniq.sort((x, y) => ix.pre.get(x)! - ix.pre.get(y)!);
  return uniq;
}

/**
 * fontoxpath's DOM access during a run: child steps by name (`processors`, `vm`, `hv` under the
 * root, which holds every VM and the board's sections) are answered from a per-node index of
 * children by name, built on first use in the run, instead of scanning every child each time.
 * fontoxpath passes a `name-X` bucket for a name test and filters what it gets itself, so
 * returning only the children named X is allowed (IDomFacade); everything else is the DOM's own.
 */
interface FacadeNode extends DomLike {
  parentNode: FacadeNode | null;
  firstChild: FacadeNode | null;
  lastChild: FacadeNode | null;
  nextSibling: FacadeNode | null;
  previousSibling: FacadeNode | null;
  attributes?: ArrayLike<{ name: string; value: string }>;
  getAttribute?(name: string): string | null;
  data?: string;
  value?: string;
}

let childIndex: WeakMap<DomLike, Map<string, DomLike[]>> | undefined;

export const DOM_FACADE = {
  getAllAttributes: (node: FacadeNode): unknown[] => (Array.isArray(node.attributes) ? node.attributes : Array.from(node.attributes ?? [])),
  getAttribute: (node: FacadeNode, name: string): string | null => node.getAttribute?.(name) ?? null,
  getChildNodes: (node: FacadeNode, bucket?: string | null): unknown[] => {
    if (childIndex && bucket && bucket.startsWith('name-') && node.childNodes.length > 8) {
      let byName = childIndex.get(node);
      if (!byName) {
        byName = new Map();
        for (let i = 0; i < node.childNodes.length; i++) {
          const c = node.childNodes[i]!;
          if (c.nodeType !== 1) continue;
          const l = byName.get(c.nodeName);
          if (l) l.push(c);
          else byName.set(c.nodeName, [c]);
        }
        childIndex.set(node, byName);
      }
      return byName.get(bucket.slice(5)) ?? [];
    }
    return Array.isArray(node.childNodes) ? node.childNodes : Array.from(node.childNodes);
  },
  getData: (node: FacadeNode): string => (node.nodeType === 2 ? (node.value ?? '') : (node.data ?? '')),
  getFirstChild: (node: FacadeNode): unknown => node.firstChild,
  getLastChild: (node: FacadeNode): unknown => node.lastChild,
  getNextSibling: (node: FacadeNode): unknown => node.nextSibling,
  getParentNode: (node: FacadeNode): unknown => (node.nodeType === 2 ? ((node as unknown as { ownerElement: unknown }).ownerElement ?? null) : node.parentNode),
  getPreviousSibling: (node: FacadeNode): unknown => node.previousSibling,
};

/** Runs fn with the descendant index of `doc` (the document node of the tree being checked). */
export function withDescendantIndex<T>(doc: unknown, fn: () => T): T {
  const saved = activeIndex;
  const savedChildren = childIndex;
  activeIndex = doc ? buildIndex(doc as DomLike) : undefined;
  childIndex = doc ? new WeakMap() : undefined;
  try {
    return fn();
  } finally {
    activeIndex = saved;
    childIndex = savedChildren;
  }
}

let registered = false;

/** Registers the functions with fontoxpath (once per process). */
export function registerAcrnFunctions(): void {
  if (registered) return;
  registered = true;
  const name = (localName: string): { localName: string; namespaceURI: string } => ({ localName, namespaceURI: ACRN_FN_NS });
  registerCustomXPathFunction(name('bitwise-and'), ['item()?', 'item()?'], 'xs:integer', (_ctx, a: unknown, b: unknown) => Number(hexToInt(a) & hexToInt(b)));
  registerCustomXPathFunction(name('bits-of'), ['item()?'], 'xs:integer*', (_ctx, a: unknown) => {
    const v = hexToInt(a);
    const out: number[] = [];
    for (let i = 0, x = v; x > 0n; i++, x >>= 1n) if (x & 1n) out.push(i);
    return out;
  });
  registerCustomXPathFunction(name('has'), ['item()*', 'xs:string'], 'xs:boolean', (_ctx, seq: unknown[], s: string) => seq.some((it) => stringValue(it) === s));
  registerCustomXPathFunction(name('duplicate-values'), ['item()*'], 'xs:string*', (_ctx, seq: unknown[]) => {
    const seen = new Set<string>();
    const reported = new Set<string>();
    const out: string[] = [];
    for (const it of seq) {
      const v = stringValue(it);
      if (seen.has(v)) {
        if (!reported.has(v)) {
          reported.add(v);
          out.push(v);
        }
      } else seen.add(v);
    }
    return out;
  });
  registerCustomXPathFunction(name('descendants-named'), ['node()*', 'xs:string'], 'element()*', (_ctx, nodes: DomLike[], n: string) => descendantsNamed(nodes, n));
  registerCustomXPathFunction(name('number-of-clos-id-needed'), ['node()?'], 'xs:integer', (_ctx, n: unknown) => (isNode(n) ? numberOfClosIdNeeded(n) : 0));
}
