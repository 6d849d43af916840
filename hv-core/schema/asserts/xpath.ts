/**
 * ACRN's XPath as fontoxpath evaluates it: the rewrites (bare quantified operands parenthesised,
 * `//NAME` steps answered from the descendant index, ACRN's functions prefixed) and the two
 * evaluation calls the asserts use. The rewritten expressions are cached in AssertCaches.
 */
import { evaluateXPath, evaluateXPathToBoolean } from 'fontoxpath';
import { ACRN_FN_NS, DOM_FACADE, prefixAcrnFunctions } from '../functions.js';
import type { AssertCaches, DNode } from './caches.js';

export type Vars = Record<string, unknown>;

const XPATH_OPTS = {
  namespaceResolver: (prefix: string): string | null => (prefix === 'acrn' ? ACRN_FN_NS : null),
  language: evaluateXPath.XPATH_3_1_LANGUAGE,
};

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

/** ACRN's expression as fontoxpath evaluates it (cached). */
export function prepare(caches: AssertCaches, expr: string): string {
  let e = caches.exprs.get(expr);
  if (e === undefined) {
    e = wrapBareOperands(indexDescendants(prefixAcrnFunctions(expr)));
    caches.exprs.set(expr, e);
  }
  return e;
}

export function evalAll(caches: AssertCaches, expr: string, context: DNode, vars: Vars): unknown[] {
  const r = evaluateXPath(prepare(caches, expr), context, DOM_FACADE as never, vars, evaluateXPath.ALL_RESULTS_TYPE, XPATH_OPTS) as unknown;
  return Array.isArray(r) ? r : [r];
}

export function evalBool(caches: AssertCaches, expr: string, context: DNode, vars: Vars): boolean {
  return evaluateXPathToBoolean(prepare(caches, expr), context, DOM_FACADE as never, vars, XPATH_OPTS);
}

/** An XPath item as ACRN prints it in a message: a node's text, True/False, else String(). */
export function formatItem(x: unknown): string {
  if (typeof x === 'object' && x !== null && 'nodeType' in x) return (x as DNode).textContent ?? '';
  if (typeof x === 'boolean') return x ? 'True' : 'False';
  return String(x);
}
