/**
 * The XPath 1.0 subset ACRN's upgrader queries old scenarios with: unions of location paths
 * (`//a`, `.//a/b`, `a/*`, `hv//RELEASE`) whose steps may carry predicates `[text()]`,
 * `[text() != '']`, `[text() = 'X']`, `[@id = 'X']`, `[@id != 'X']`, `[child != 'X']`, joined by
 * `and`. Results are in document order without duplicates, as lxml returns them.
 */
import type { Node } from './tree.js';

type Pred = (n: Node) => boolean;
interface Step {
  deep: boolean;
  tag: string;
  preds: Pred[];
}
interface PathExpr {
  absolute: boolean;
  steps: Step[];
}

const cache = new Map<string, PathExpr[]>();

function cond(src: string): Pred {
  const parts = src.split(/\s+and\s+/);
  if (parts.length > 1) {
    const ps = parts.map(cond);
    return (n) => ps.every((p) => p(n));
  }
  const s = src.trim();
  if (s === 'text()' || s === "text() != ''") return (n) => n.text !== null;
  let m = /^text\(\)\s*=\s*'([^']*)'$/.exec(s);
  if (m) {
    const v = m[1]!;
    return (n) => n.text === v;
  }
  m = /^@([\w-]+)\s*(!?=)\s*'([^']*)'$/.exec(s);
  if (m) {
    const [, a, op, v] = m as unknown as [string, string, string, string];
    return (n) => {
      const x = n.get(a);
      return x !== undefined && (op === '=' ? x === v : x !== v);
    };
  }
  m = /^([\w-]+)\s*(!?=)\s*'([^']*)'$/.exec(s);
  if (m) {
    const [, c, op, v] = m as unknown as [string, string, string, string];
    return (n) => n.findAll(c).some((k) => (op === '=' ? k.stringValue() === v : k.stringValue() !== v));
  }
  throw new Error(`upgrade: unsupported XPath predicate [${src}]`);
}

function parse(xpath: string): PathExpr[] {
  const hit = cache.get(xpath);
  if (hit) return hit;
  const out = xpath.split(/\s*\|\s*/).map((p): PathExpr => {
    let rest = p.trim();
    let absolute = false;
    let firstDeep = false;
    if (rest.startsWith('//')) {
      absolute = true;
      firstDeep = true;
      rest = rest.slice(2);
    } else if (rest.startsWith('.//')) {
      firstDeep = true;
      rest = rest.slice(3);
    } else if (rest.startsWith('./')) rest = rest.slice(2);
    const steps: Step[] = [];
    let deep = firstDeep;
    // Split on '/' outside predicates.
    let depth = 0;
    let cur = '';
    const flush = (): void => {
      if (cur === '') {
        deep = true;
        return;
      }
      const m = /^([\w*-]+)((?:\[[^\]]*\])*)$/.exec(cur);
      if (!m) throw new Error(`upgrade: unsupported XPath step ${cur}`);
      const preds = [...m[2]!.matchAll(/\[([^\]]*)\]/g)].map((x) => cond(x[1]!));
      steps.push({ deep, tag: m[1]!, preds });
      deep = false;
      cur = '';
    };
    for (const ch of rest) {
      if (ch === '[') depth++;
      if (ch === ']') depth--;
      if (ch === '/' && depth === 0) flush();
      else cur += ch;
    }
    flush();
    return { absolute, steps };
  });
  cache.set(xpath, out);
  return out;
}

/** Evaluates `xpath` with `ctx` as the context node. */
export function select(ctx: Node, xpath: string): Node[] {
  const seen = new Set<Node>();
  for (const p of parse(xpath)) {
    let nodes: Node[];
    let steps = p.steps;
    if (p.absolute) {
      const root = ctx.root();
      const first = steps[0]!;
      nodes = [...root.iter()].filter((n) => (first.tag === '*' || n.tag === first.tag) && first.preds.every((f) => f(n)));
      steps = steps.slice(1);
    } else nodes = [ctx];
    for (const s of steps) {
      const next: Node[] = [];
      for (const n of nodes) {
        const cands = s.deep ? [...n.descendants()] : n.children;
        for (const c of cands) if ((s.tag === '*' || c.tag === s.tag) && s.preds.every((f) => f(c))) next.push(c);
      }
      nodes = next;
    }
    for (const n of nodes) seen.add(n);
  }
  return [...seen].sort((a, b) => a.ord - b.ord);
}
