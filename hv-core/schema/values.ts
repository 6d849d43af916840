/**
 * Simple-type value checking (enumeration, pattern, bounds, lengths, unions, lists, the XSD
 * built-ins ACRN uses) and the "did you mean" helper.
 */
import type { SchemaModel, SimpleType, VmKind } from './model.js';
import { enumerationOf, simpleFacets, typeLabel } from './query.js';

export type ValueProblemCode = 'schema/enum' | 'schema/pattern' | 'schema/range' | 'schema/type' | 'schema/length';

export interface ValueProblem {
  code: ValueProblemCode;
  message: string;
  /** For enum problems: the allowed values and the nearest one. */
  allowed?: string[];
  suggestion?: string;
}

const REGEX_CACHE = new Map<string, RegExp | null>();

/** An XSD pattern as an anchored JS RegExp (null when it does not compile). */
export function xsdRegex(pattern: string): RegExp | null {
  let r = REGEX_CACHE.get(pattern);
  if (r === undefined) {
    try {
      r = new RegExp(`^(?:${pattern})$`, 'u');
    } catch {
      try {
        r = new RegExp(`^(?:${pattern})$`);
      } catch {
        r = null;
      }
    }
    REGEX_CACHE.set(pattern, r);
  }
  return r;
}

/** Levenshtein distance (small strings). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const m = a.length;
  const n = b.length;
  if (m === 0) return n;
  if (n === 0) return m;
  let prev = new Array<number>(n + 1);
  let cur = new Array<number>(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n]!;
}

/** The candidate nearest to `value` (case-insensitive match first), if near enough to suggest. */
export function nearest(value: string, candidates: string[]): string | undefined {
  const v = value.trim();
  if (!v) return undefined;
  const lower = v.toLowerCase();
  const ci = candidates.find((c) => c.toLowerCase() === lower);
  if (ci !== undefined) return ci;
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    if (!c) continue;
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  // Also accept a candidate that contains the value or is contained in it (SCHED_BV -> SCHED_BVT).
  const limit = Math.max(2, Math.floor(Math.max(v.length, best.length) / 3));
  if (bestD <= limit) return best;
  const sub = candidates.find((c) => c && (c.toLowerCase().includes(lower) || lower.includes(c.toLowerCase())) && Math.min(c.length, v.length) >= 3);
  return sub;
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

function isIntegerLike(primitive: string): boolean {
  return /integer|long|int$|short|byte/i.test(primitive.replace(/^xs:/, '')) && primitive !== 'xs:decimal';
}

function compareNum(a: string, b: string): number {
  if (INTEGER.test(a) && INTEGER.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return Number(a) - Number(b);
}

/** Parses acrn:errormsg ("'pattern': 'Must be ...', 'required': '...'") into a map. */
export function parseErrormsg(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!s) return out;
  const re = /'([^']+)'\s*:\s*'((?:\\.|[^'\\])*)'/g;
  for (const m of s.matchAll(re)) out[m[1]!] = m[2]!.replace(/\\(.)/g, '$1');
  return out;
}

function primitiveCheck(primitive: string, v: string): string | undefined {
  if (primitive === 'xs:boolean') return /^(true|false|1|0)$/.test(v) ? undefined : 'a boolean (true, false, 1 or 0)';
  if (isIntegerLike(primitive)) return INTEGER.test(v) ? undefined : 'an integer';
  if (primitive === 'xs:decimal' || primitive === 'xs:float' || primitive === 'xs:double') return DECIMAL.test(v) || /^(INF|-INF|NaN)$/.test(v) ? undefined : 'a number';
  return undefined;
}

/** Validates one lexical value against a simple type; undefined when valid. */
export function checkValue(model: SchemaModel, type: SimpleType, raw: string, vmKind?: VmKind, depth = 0): ValueProblem | undefined {
  if (depth > 16) return undefined;
  const f = simpleFacets(model, type, vmKind);
  if (f.members) {
    let first: ValueProblem | undefined;
    for (const m of f.members) {
      const p = checkValue(model, m, raw, vmKind, depth + 1);
      if (!p) return undefined;
      first ??= p;
    }
    const all = enumerationOf(model, type, vmKind);
    if (all) return enumProblem(raw, all.map((e) => e.value), typeLabel(type.name ?? type));
    const labels = f.members.map((m) => describeType(model, m, vmKind)).join('; or ');
    return { code: first?.code ?? 'schema/type', message: `\`${raw}\` is not valid here: expected ${labels}` };
  }
  if (f.item) {
    for (const part of raw.trim().split(/\s+/).filter((s) => s !== '')) {
      const p = checkValue(model, f.item, part, vmKind, depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  const isString = !['xs:boolean', 'xs:decimal', 'xs:float', 'xs:double'].includes(f.primitive) && !isIntegerLike(f.primitive);
  const v = isString ? raw : raw.trim();
  const prim = primitiveCheck(f.primitive, v);
  if (prim) return { code: 'schema/type', message: `\`${v}\` is not ${prim} (type ${typeLabel(type.name ?? f.primitive)})` };
  if (f.enumeration) {
    const values = f.enumeration.map((e) => e.value);
    if (!values.includes(v)) {
      const p = enumProblem(v, values, typeLabel(type.name ?? type));
      if (isString && values.includes(v.trim())) p.message = `\`${v}\` has leading or trailing whitespace, which ACRN's validator does not strip: write \`${v.trim()}\``;
      return p;
    }
  }
  for (const set of f.patterns) {
    if (!set.some((p) => xsdRegex(p)?.test(v) ?? true)) {
      const custom = parseErrormsg(type.acrn?.errormsg)['pattern'];
      const ws = isString && v !== v.trim() && set.some((p) => xsdRegex(p)?.test(v.trim())) ? ' (it has leading or trailing whitespace)' : '';
      const what = custom ?? (type.documentation ? type.documentation.split('\n')[0] : `it must match ${set.map((p) => `\`${p}\``).join(' or ')}`);
      return { code: 'schema/pattern', message: `\`${v}\` is not a valid ${type.name ?? 'value'}${ws}: ${what}` };
    }
  }
  if (f.length !== undefined && v.length !== f.length) return { code: 'schema/length', message: `\`${v}\` must be exactly ${f.length} characters long` };
  if (f.minLength !== undefined && v.length < f.minLength) return { code: 'schema/length', message: `\`${v}\` must be at least ${f.minLength} characters long` };
  if (f.maxLength !== undefined && v.length > f.maxLength) return { code: 'schema/length', message: `\`${v}\` must be at most ${f.maxLength} characters long` };
  const numeric = INTEGER.test(v) || DECIMAL.test(v);
  const bounds = boundsText(f);
  if (numeric || !isString) {
    if (f.minInclusive !== undefined && compareNum(v, f.minInclusive) < 0) return { code: 'schema/range', message: `${v} is out of range: ${bounds}` };
    if (f.maxInclusive !== undefined && compareNum(v, f.maxInclusive) > 0) return { code: 'schema/range', message: `${v} is out of range: ${bounds}` };
    if (f.minExclusive !== undefined && compareNum(v, f.minExclusive) <= 0) return { code: 'schema/range', message: `${v} is out of range: ${bounds}` };
    if (f.maxExclusive !== undefined && compareNum(v, f.maxExclusive) >= 0) return { code: 'schema/range', message: `${v} is out of range: ${bounds}` };
  }
  return undefined;
}

function boundsText(f: { minInclusive?: string; maxInclusive?: string; minExclusive?: string; maxExclusive?: string }): string {
  const parts: string[] = [];
  if (f.minInclusive !== undefined) parts.push(`>= ${f.minInclusive}`);
  if (f.minExclusive !== undefined) parts.push(`> ${f.minExclusive}`);
  if (f.maxInclusive !== undefined) parts.push(`<= ${f.maxInclusive}`);
  if (f.maxExclusive !== undefined) parts.push(`< ${f.maxExclusive}`);
  return `the value must be ${parts.join(' and ')}`;
}

function enumProblem(v: string, values: string[], label: string): ValueProblem {
  const suggestion = nearest(v, values);
  const shown = values.map((x) => (x === '' ? '(empty)' : x)).join(', ');
  const p: ValueProblem = { code: 'schema/enum', message: `\`${v}\` is not a valid ${label} value. Allowed: ${shown}.${suggestion !== undefined ? ` Did you mean \`${suggestion}\`?` : ''}`, allowed: values };
  if (suggestion !== undefined) p.suggestion = suggestion;
  return p;
}

/** A short description of what a simple type accepts, for messages and hover. */
export function describeType(model: SchemaModel, type: SimpleType, vmKind?: VmKind): string {
  const f = simpleFacets(model, type, vmKind);
  if (f.enumeration) return `one of ${f.enumeration.map((e) => (e.value === '' ? '(empty)' : e.value)).join(', ')}`;
  if (f.members) return f.members.map((m) => describeType(model, m, vmKind)).join(' or ');
  if (f.patterns.length) return type.documentation?.split('\n')[0] ?? `a value matching ${f.patterns.map((s) => s.join('|')).join(' and ')}`;
  if (isIntegerLike(f.primitive)) {
    const b = f.minInclusive !== undefined || f.maxInclusive !== undefined ? ` (${boundsText(f).replace('the value must be ', '')})` : '';
    return `an integer${b}`;
  }
  return typeLabel(type.name ?? f.primitive);
}
