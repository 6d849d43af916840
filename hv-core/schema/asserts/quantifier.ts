/**
 * ACRN's top-level `every`/`some` chains, iterated here rather than by fontoxpath alone: the
 * counter-example's bindings are what ACRN reports on (acrn:report-on), and binding sequences
 * that name no variable are evaluated once per test. Also the `{xpath}` message placeholders.
 */
import type { AssertCaches, DNode, Quantified } from './caches.js';
import type { Vars } from './xpath.js';
import { evalAll, evalBool, formatItem } from './xpath.js';

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

/** Parses `every|some $a in E1, $b in E2 satisfies BODY` at the top level. */
export function parseQuantified(caches: AssertCaches, expr: string): Quantified | undefined {
  const cached = caches.quantified.get(expr);
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
  caches.quantified.set(expr, result);
  return result ?? undefined;
}

/**
 * Evaluates a test; when it fails and is a top-level every/some chain, returns the
 * counter-example bindings (ACRN reports on them).
 */
export function evaluateTest(caches: AssertCaches, expr: string, context: DNode, vars: Vars, depth = 0, memo = new Map<string, unknown[]>()): { ok: boolean; vars: Vars } {
  const q = depth < 8 ? parseQuantified(caches, expr) : undefined;
  if (!q) return { ok: evalBool(caches, expr, context, vars), vars: {} };
  // A binding sequence that names no variable is the same for every outer binding (the context
  // is fixed): evaluate it once per test, not once per outer item (`every $post_vm in ...
  // satisfies every $svm in /acrn-config/vm[...]` was quadratic in VMs).
  const seq = (e: string, bound: Vars): unknown[] => {
    if (e.includes('$')) return evalAll(caches, e, context, bound);
    let r = memo.get(e);
    if (!r) {
      r = evalAll(caches, e, context, bound);
      memo.set(e, r);
    }
    return r;
  };
  const iterate = (i: number, bound: Vars): { ok: boolean; vars: Vars } | undefined => {
    if (i === q.bindings.length) {
      const r = evaluateTest(caches, q.body, context, bound, depth + 1, memo);
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

/** Fills `{xpath}` placeholders like ACRN: one result -> its text, several -> [a, b], none -> {unknown}. */
export function fillMessage(caches: AssertCaches, message: string, context: DNode, vars: Vars): string {
  return message.replace(/\{[^{}]*\}/g, (m) => {
    const expr = m.slice(1, -1);
    try {
      const r = evalAll(caches, expr, context, vars);
      if (r.length === 1) return formatItem(r[0]);
      if (r.length > 1) return `[${r.map(formatItem).join(', ')}]`;
      return '{unknown}';
    } catch {
      return m;
    }
  });
}
