/**
 * Fuzz: mutated official scenarios (truncations, byte flips, deleted and swapped tags, the
 * single-mistake generators of mutations.ts, and the limits of issue 12: thousands of attributes,
 * deep nesting, a DOCTYPE internal subset, repeated VM blocks), seeded so a failure reproduces
 * (FUZZ_SEED, FUZZ_DOCS: 2000 in `npm test`, 10000 in the nightly form `npm run test:fuzz-nightly`). Every document goes through parse, dialect
 * detection and the schema's structure and type checks; every FULL_EVERY-th document through the
 * whole analysis (asserts, datachecks with the board from the tree, every registered checker),
 * which costs ten times more. Nothing may throw, every range stays inside its document, and no
 * document takes over 200 ms of CPU time (the first tenth only warms up XPath compilation and is
 * not timed; CPU rather than wall time because CI machines run other jobs alongside).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { acrnTree, needs, TAGS } from './helpers';
import type { Tag } from './helpers';
import { analyzeText } from '../../hv-core/scenario/analyze';
import type { AnalysisContext } from '../../hv-core/scenario/analyze';
import { detectDialect } from '../../hv-core/scenario/dialect';
import { checkSchema } from '../../hv-core/schema/checker';
import type { Finding } from '../../hv-core/findings';
import { parseXml } from '../../hv-core/xml/parser';
import { LineIndex } from '../../hv-core/xml/positions';
import { mutations } from './mutations';

const skip = needs(...TAGS);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const DOCS = Number(process.env.FUZZ_DOCS ?? 2000);
const FULL_EVERY = 10;

/** The structure + types path alone (what every keystroke pays before the assertions). */
function structureOnly(text: string, tree: string): Finding[] {
  const doc = parseXml(text);
  const dialect = detectDialect(doc);
  const out: Finding[] = doc.errors.map((e) => ({ severity: 'error', source: 'xml', code: e.code, start: e.start, end: e.end, message: e.message }));
  if (!dialect) return out;
  const ctx: AnalysisContext = { text, doc, dialect, lines: new LineIndex(text), options: { acrnTree: tree } };
  return [...out, ...checkSchema(ctx, { structureOnly: true })];
}
const LIMIT_MS = 200;

/** mulberry32: small, seeded, good enough for mutation choices. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASES: [Tag, string][] = [
  ['v2.6', 'nuc11tnbi5/industry.xml'],
  ['v2.7', 'whl-ipc-i5/hybrid.xml'],
  ['v3.0', 'qemu/shared.xml'],
  ['v3.3', 'nuc11tnbi5/partitioned.xml'],
  ['v3.3', 'whl-ipc-i5/shared_launch_6user_vm.xml'],
];

function tags(text: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const m of text.matchAll(/<[^<>]*>/g)) out.push({ start: m.index, end: m.index + m[0].length });
  return out;
}

function mutate(text: string, rnd: () => number): { text: string; how: string } {
  const pick = (n: number): number => Math.floor(rnd() * n);
  const kind = pick(7);
  if (kind === 5) {
    // A single user mistake from the held-out generators (mutations.ts).
    const ms = mutations(text, /<load_order>/.test(text) ? 'v3' : 'v2', undefined);
    const m = ms[pick(ms.length)];
    return m ? { text: m.text, how: `${m.kind}: ${m.what}` } : { text, how: 'none' };
  }
  if (kind === 6) {
    // The limits of issue 12: many attributes on a tag, deep nesting, a DOCTYPE with an internal
    // subset, the VM blocks repeated.
    const t = tags(text).filter((x) => text[x.start + 1] !== '/' && text[x.start + 1] !== '!' && text[x.start + 1] !== '?');
    const a = t[pick(t.length)];
    const what = pick(4);
    if (what === 0 && a) {
      const n = 1 + pick(3000);
      const at = text.indexOf(' ', a.start) > 0 && text.indexOf(' ', a.start) < a.end ? text.indexOf(' ', a.start) : a.end - (text[a.end - 2] === '/' ? 2 : 1);
      return { text: `${text.slice(0, at)} ${Array.from({ length: n }, (_, i) => `f${i}="${i}"`).join(' ')}${text.slice(at)}`, how: `${n} attributes at ${at}` };
    }
    if (what === 1 && a) {
      const n = 1 + pick(3000);
      return { text: text.slice(0, a.end) + '<x>'.repeat(n) + '</x>'.repeat(n) + text.slice(a.end), how: `${n} nested at ${a.end}` };
    }
    if (what === 2) {
      const root = text.indexOf('<acrn-config');
      return root < 0 ? { text, how: 'none' } : { text: `${text.slice(0, root)}<!DOCTYPE acrn-config [ <!ENTITY e "a > b"> <!-- ] > --> ]>\n${text.slice(root)}`, how: 'DOCTYPE with internal subset' };
    }
    const vm = /\n {2}<vm id="\d+">[\s\S]*?<\/vm>/.exec(text);
    if (!vm) return { text, how: 'none' };
    const at = vm.index + vm[0].length;
    return { text: text.slice(0, at) + vm[0].replace(/<vm id="\d+">/, '<vm id="99">') + text.slice(at), how: 'a VM block repeated' };
  }
  if (kind === 0) {
    const at = pick(text.length);
    return { text: text.slice(0, at), how: `truncate at ${at}` };
  }
  if (kind === 1) {
    let s = text;
    const flips = 1 + pick(4);
    for (let i = 0; i < flips; i++) {
      const at = pick(s.length);
      const ch = String.fromCharCode(pick(3) === 0 ? pick(0x80) : pick(0xffff));
      s = s.slice(0, at) + ch + s.slice(at + 1);
    }
    return { text: s, how: `${flips} flips` };
  }
  const t = tags(text);
  if (t.length < 2) return { text, how: 'none' };
  if (kind === 2) {
    const a = t[pick(t.length)]!;
    return { text: text.slice(0, a.start) + text.slice(a.end), how: `delete tag at ${a.start}` };
  }
  if (kind === 3) {
    let i = pick(t.length);
    let j = pick(t.length);
    if (i > j) [i, j] = [j, i];
    if (i === j) return { text, how: 'none' };
    const a = t[i]!;
    const b = t[j]!;
    return { text: text.slice(0, a.start) + text.slice(b.start, b.end) + text.slice(a.end, b.start) + text.slice(a.start, a.end) + text.slice(b.end), how: `swap tags ${a.start} ${b.start}` };
  }
  // change a value: a known-bad value into some element's text
  const a = t[pick(t.length)]!;
  const bad = ['', 'y', 'SERVICE_VM', '0x', '-1', '99999999999999999999', 'SCHED_NOOP', '&amp;', ' POST_LAUNCHED_VM '][pick(9)]!;
  return { text: text.slice(0, a.end) + bad + text.slice(a.end), how: `insert ${JSON.stringify(bad)} at ${a.end}` };
}

test(`fuzz: ${DOCS} mutated official scenarios, no exception, ranges inside, <= ${LIMIT_MS} ms each`, { skip, timeout: Math.max(120_000, DOCS * 60) }, () => {
  const rnd = prng(SEED);
  const bases = BASES.map(([tag, rel]) => {
    const file = path.join(acrnTree(tag), 'misc', 'config_tools', 'data', rel);
    return { tag, file, text: readFileSync(file, 'utf8') };
  });
  // Warm up: schema models, boards, compiled XPath (a user's first keystroke pays this once).
  for (const b of bases) analyzeText(b.text, { acrnTree: acrnTree(b.tag), uri: b.file });
  let slowest = { ms: 0, how: '' };
  let slowestWall = 0;
  let findings = 0;
  const slow: string[] = [];
  for (let i = 0; i < DOCS; i++) {
    // Cycle the bases so the full-analysis documents (every FULL_EVERY-th) cover every base too.
    const base = bases[(i + Math.floor(i / FULL_EVERY)) % bases.length]!;
    // Stack one to three mutations.
    let m = { text: base.text, how: '' };
    const n = 1 + Math.floor(rnd() * 3);
    for (let k = 0; k < n; k++) {
      const next = mutate(m.text, rnd);
      m = { text: next.text, how: `${m.how}; ${next.how}` };
    }
    const label = `seed ${SEED} doc ${i} (${base.tag} ${path.basename(base.file)}:${m.how})`;
    const full = i % FULL_EVERY === 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let got: Finding[];
    try {
      got = full ? analyzeText(m.text, { acrnTree: acrnTree(base.tag), uri: base.file }).findings : structureOnly(m.text, acrnTree(base.tag));
    } catch (e) {
      assert.fail(`${label} threw: ${(e as Error).stack}`);
    }
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    // CPU time, not wall time: on a machine shared with other jobs the wall clock measures them.
    const ms = (cpu.user + cpu.system) / 1000;
    if (wall > slowestWall) slowestWall = wall;
    if (i >= DOCS / 10) {
      if (ms > slowest.ms) slowest = { ms, how: label };
      if (ms > LIMIT_MS) slow.push(`${label}${full ? ' (full)' : ''}: ${ms.toFixed(0)} ms`);
    }
    for (const f of got) {
      findings++;
      assert.ok(f.start >= 0 && f.end >= f.start && f.end <= m.text.length, `${label}: range ${f.start}-${f.end} outside 0-${m.text.length} (${f.code})`);
      for (const r of f.related ?? []) assert.ok(r.start >= 0 && r.end >= r.start && r.end <= m.text.length, `${label}: related range outside (${f.code})`);
      assert.equal(typeof f.message, 'string');
      // analyzeText turns a checker's exception into an internal-error finding: still a failure here.
      assert.notEqual(f.code, 'internal-error', `${label}: ${f.message}`);
      // checkSchema also turns its own exceptions into a finding (schema/internal): a failure too.
      assert.notEqual(f.code, 'schema/internal', `${label}: ${f.message}`);
    }
  }
  // A machine shared with other jobs can stall a single document; allow a few (0.5%) stragglers.
  assert.ok(slow.length <= Math.ceil(DOCS / 200), `documents over ${LIMIT_MS} ms:\n${slow.join('\n')}`);
  assert.ok(findings > DOCS, 'mutations produce findings');
  console.log(`fuzz: ${DOCS} documents, ${findings} findings, slowest ${slowest.ms.toFixed(0)} ms CPU (${slowest.how}), slowest wall ${slowestWall.toFixed(0)} ms`);
});
