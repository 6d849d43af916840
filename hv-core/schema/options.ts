/**
 * Values ACRN draws from the board: the `acrn:options` XPath of a declaration evaluated over the
 * board XML (serial ports, pCPU ids, PCI devices, …), and the same facts for v2 schemas, which
 * have no acrn:options (v2 boards list them as text: CPU_PROCESSOR_INFO, TTYS_INFO).
 *
 * The expressions ACRN writes are simple: a comma list of paths and string literals, paths made of
 * `//` and `/` steps with `[child]`, `[child op 'literal']`, `[@attr]` predicates, ending in
 * `text()` or `@attr`. Those are evaluated here over hv-core's own document model, in well under
 * a millisecond on the largest board. The rest (two `for … return concat(…)` display strings for
 * input devices) give no values: a full XPath engine over a big board takes about a second, far
 * beyond a completion's budget. Results are cached per board document.
 */
import type { XmlDocument, XmlElement } from '../xml/model.js';
import { attr, elementChildren, path, textOf, valueOf } from '../xml/model.js';

interface Step {
  axis: 'child' | 'descendant';
  name: string;
  predicates: Predicate[];
}

type Predicate = { kind: 'exists'; child: string } | { kind: 'attr'; name: string } | { kind: 'cmp'; child: string; op: '=' | '!='; value: string };

type Final = { kind: 'text' } | { kind: 'attr'; name: string } | { kind: 'node' };

interface PathExpr {
  steps: Step[];
  final: Final;
}

type Part = { kind: 'literal'; value: string } | { kind: 'path'; path: PathExpr };

/** Splits at top-level commas (outside quotes, brackets and parentheses). */
function splitTop(expr: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let cur = '';
  for (const ch of expr) {
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '[' || ch === '(') depth++;
    else if (ch === ']' || ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

const NAME = '[A-Za-z_][\\w.-]*';
const STEP_RE = new RegExp(`^(//?)(${NAME})((?:\\[[^\\]]*\\])*)`);
const PRED_RE = /\[([^\]]*)\]/g;

function parsePredicate(body: string): Predicate | undefined {
  const b = body.trim();
  if (new RegExp(`^${NAME}$`).test(b)) return { kind: 'exists', child: b };
  const a = new RegExp(`^@(${NAME})$`).exec(b);
  if (a) return { kind: 'attr', name: a[1]! };
  const c = new RegExp(`^(${NAME})\\s*(!=|=)\\s*(?:'([^']*)'|"([^"]*)")$`).exec(b);
  if (c) return { kind: 'cmp', child: c[1]!, op: c[2] as '=' | '!=', value: c[3] ?? c[4] ?? '' };
  return undefined;
}

function parsePath(src: string): PathExpr | undefined {
  let rest = src.trim();
  if (!rest.startsWith('/')) return undefined;
  const steps: Step[] = [];
  let final: Final = { kind: 'node' };
  while (rest.length > 0) {
    if (rest === '/text()') {
      final = { kind: 'text' };
      break;
    }
    const am = new RegExp(`^/@(${NAME})$`).exec(rest);
    if (am) {
      final = { kind: 'attr', name: am[1]! };
      break;
    }
    const m = STEP_RE.exec(rest);
    if (!m) return undefined;
    const predicates: Predicate[] = [];
    for (const p of m[3]!.matchAll(PRED_RE)) {
      const pr = parsePredicate(p[1]!);
      if (!pr) return undefined;
      predicates.push(pr);
    }
    steps.push({ axis: m[1] === '//' ? 'descendant' : 'child', name: m[2]!, predicates });
    rest = rest.slice(m[0].length);
  }
  return steps.length ? { steps, final } : undefined;
}

/** Parses an acrn:options expression into parts, or undefined when it needs a real XPath engine. */
export function parseOptionsExpr(expr: string): Part[] | undefined {
  const parts: Part[] = [];
  for (const s of splitTop(expr)) {
    const lit = /^'([^']*)'$|^"([^"]*)"$/.exec(s);
    if (lit) {
      parts.push({ kind: 'literal', value: lit[1] ?? lit[2] ?? '' });
      continue;
    }
    const p = parsePath(s);
    if (!p) return undefined;
    parts.push({ kind: 'path', path: p });
  }
  return parts;
}

function matchesPredicates(el: XmlElement, preds: Predicate[]): boolean {
  for (const p of preds) {
    if (p.kind === 'exists') {
      if (!elementChildren(el).some((c) => c.name === p.child)) return false;
    } else if (p.kind === 'attr') {
      if (attr(el, p.name) === undefined) return false;
    } else {
      // XPath general comparison: true when any child with that name compares true.
      const kids = elementChildren(el).filter((c) => c.name === p.child);
      const ok = kids.some((c) => (p.op === '=' ? textOf(c) === p.value : textOf(c) !== p.value));
      if (!ok) return false;
    }
  }
  return true;
}

function collectDescendants(el: XmlElement, name: string, out: XmlElement[]): void {
  for (const c of elementChildren(el)) {
    if (c.name === name) out.push(c);
    collectDescendants(c, name, out);
  }
}

function evalPath(doc: XmlDocument, p: PathExpr): string[] {
  if (!doc.root) return [];
  // The context is the document node: its only child is the root element.
  let nodes: XmlElement[] = [];
  const first = p.steps[0]!;
  if (first.axis === 'descendant') {
    const all: XmlElement[] = [];
    if (doc.root.name === first.name) all.push(doc.root);
    collectDescendants(doc.root, first.name, all);
    nodes = all;
  } else if (doc.root.name === first.name) nodes = [doc.root];
  nodes = nodes.filter((n) => matchesPredicates(n, first.predicates));
  for (const step of p.steps.slice(1)) {
    const next: XmlElement[] = [];
    const seen = new Set<XmlElement>();
    for (const n of nodes) {
      const found: XmlElement[] = [];
      if (step.axis === 'descendant') collectDescendants(n, step.name, found);
      else for (const c of elementChildren(n)) if (c.name === step.name) found.push(c);
      for (const f of found) if (!seen.has(f) && matchesPredicates(f, step.predicates)) {
        seen.add(f);
        next.push(f);
      }
    }
    nodes = next;
  }
  const out: string[] = [];
  for (const n of nodes) {
    if (p.final.kind === 'attr') {
      const v = attr(n, p.final.name);
      if (v !== undefined) out.push(v);
    } else if (p.final.kind === 'text') {
      const t = textOf(n);
      if (t !== '') out.push(t);
    } else out.push(textOf(n));
  }
  return out;
}

const cache = new WeakMap<XmlDocument, Map<string, string[]>>();

/**
 * The values an acrn:options expression gives on a board, trimmed, de-duplicated, in document
 * order; [] when the expression fails (a broken board must never break completion).
 */
export function boardOptions(board: XmlDocument, expr: string, sortedBy?: string): string[] {
  let perBoard = cache.get(board);
  if (!perBoard) {
    perBoard = new Map();
    cache.set(board, perBoard);
  }
  const key = `${expr}\u0000${sortedBy ?? ''}`;
  const hit = perBoard.get(key);
  if (hit) return hit;
  const values: string[] = [];
  try {
    const parts = parseOptionsExpr(expr);
    if (parts) {
      for (const part of parts) values.push(...(part.kind === 'literal' ? [part.value] : evalPath(board, part.path)));
    }
  } catch {
    values.length = 0;
  }
  const seen = new Set<string>();
  let out = values.map((v) => v.trim()).filter((v) => v !== '' && !seen.has(v) && (seen.add(v), true));
  if (sortedBy === 'int') {
    const num = (s: string): number => (/^-?\d+$/.test(s) ? Number(s) : Number.POSITIVE_INFINITY);
    out = [...out].sort((a, b) => num(a) - num(b));
  }
  perBoard.set(key, out);
  return out;
}

/**
 * Board facts for v2 schemas (no acrn:options there), by element name: pCPU ids from
 * CPU_PROCESSOR_INFO, serial ports from TTYS_INFO (`seri:/dev/ttyS0 type:portio …`). Falls
 * back to the v3 board layout (processors/thread, ttys/serial) when the v2 sections are absent.
 */
export function legacyBoardOptions(board: XmlDocument, element: string): string[] {
  const root = board.root;
  if (!root) return [];
  if (element === 'pcpu_id') {
    const info = valueOf(path(root, 'CPU_PROCESSOR_INFO'));
    if (info) return info.split(/[\s,]+/).filter((s) => /^\d+$/.test(s));
    return boardOptions(board, '//processors//thread/cpu_id/text()', 'int');
  }
  if (element === 'SERIAL_CONSOLE') {
    const info = textOf(path(root, 'TTYS_INFO'));
    const ports = [...info.matchAll(/seri:(\S+)/g)].map((m) => m[1]!);
    if (ports.length) return ports;
    return boardOptions(board, "//ttys/serial[type != '0']/dev_path/text()");
  }
  return [];
}
