/**
 * Running asserts and turning their failures into findings, with the incremental datachecks: an
 * assert that selects by name only is keyed on a fingerprint of the elements it names, and an
 * edit that leaves that unchanged reuses the outcome (AssertCaches.outcomes) instead of running
 * the XPath again. The analysis budget (AssertCaches.budget) skips what would start too late.
 */
// @ts-expect-error -- TS1479: slimdom's types are ESM-only, but its package exports a CJS build (exports.require) that Node and esbuild load.
import type * as slimdom from 'slimdom';
import type { Finding, Severity } from '../../findings.js';
import type { XmlElement } from '../../xml/model.js';
import { withDescendantIndex } from '../functions.js';
import type { Assertion } from '../model.js';
import type { AssertCaches, CachedOutcome, DatacheckStats, DElement, DNode } from './caches.js';
import type { Built } from './dom.js';
import { domPath, resolveDomPath } from './dom.js';
import { evaluateTest, fillMessage, parseQuantified } from './quantifier.js';
import type { Vars } from './xpath.js';
import { evalAll, evalBool } from './xpath.js';

export interface Report {
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

function runAssert(caches: AssertCaches, a: Assertion, context: DNode): Report | undefined {
  let res: { ok: boolean; vars: Vars };
  try {
    // A top-level every/some chain is iterated here (its invariant sequences evaluated once, the
    // counter-example found on the way); a failure is confirmed by fontoxpath on the whole test,
    // so a disagreement can never add a finding. Other tests: fontoxpath alone.
    if (parseQuantified(caches, a.test)) {
      res = evaluateTest(caches, a.test, context, {});
      if (res.ok || evalBool(caches, a.test, context, {})) return undefined;
    } else {
      if (evalBool(caches, a.test, context, {})) return undefined;
      res = { ok: false, vars: {} };
    }
  } catch (e) {
    caches.trace?.errors.push({ assert: a.id, message: (e as Error).message.split('\n')[0] ?? String(e) });
    return undefined;
  }
  let nodes: DNode[] = [];
  if (a.acrn?.reportOn) {
    try {
      nodes = evalAll(caches, a.acrn.reportOn, context, res.vars).filter((x): x is DNode => typeof x === 'object' && x !== null && 'nodeType' in x);
    } catch (e) {
      caches.trace?.errors.push({ assert: a.id, message: `report-on: ${(e as Error).message.split('\n')[0] ?? ''}` });
    }
  }
  const doc = a.documentation ?? `Assertion failed: ${a.test.replace(/\s+/g, ' ').trim()}`;
  const message = a.documentation ? fillMessage(caches, doc, context, res.vars) : doc;
  return { assert: a, severity: severityOf(a), message, nodes, context };
}

export function toFindings(reports: Report[], built: Built, fallback: XmlElement, source: 'assert' | 'datacheck'): Finding[] {
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
function namesOf(caches: AssertCaches, a: Assertion): Set<string> {
  let n = caches.assertNames.get(a);
  if (!n) {
    n = new Set<string>(['acrn-config']);
    const all = [a.test, a.acrn?.reportOn ?? '', ...(a.documentation?.match(/\{[^{}]*\}/g) ?? [])].join(' ');
    for (const m of all.matchAll(/[A-Za-z_][\w.-]*/g)) n.add(m[0]);
    if (/number-of-clos-id-needed/.test(a.test)) for (const x of CLOS_NAMES) n.add(x);
    caches.assertNames.set(a, n);
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

const OUTCOMES_PER_ASSERT = 32;

/** Runs the datachecks over a unified tree, reusing outcomes whose inputs did not change. */
const NOT_BY_NAME = /\/\*|::\*|\*\[|node\(\)|\.\.|parent::|preceding|following|position\(|last\(\)|local-name|\bname\(\)/;

/** Whether an assert selects by name only, so its outcome can be keyed on a fingerprint. */
function cacheable(caches: AssertCaches, a: Assertion): boolean {
  let c = caches.cacheable.get(a);
  if (c === undefined) {
    c = !NOT_BY_NAME.test([a.test, a.acrn?.reportOn ?? '', ...(a.documentation?.match(/\{[^{}]*\}/g) ?? [])].join(' '));
    caches.cacheable.set(a, c);
  }
  return c;
}

/**
 * Runs asserts (each with its context node) over a tree, reusing outcomes whose inputs did not
 * change: the fingerprint of the elements the assert names, plus the context node's path.
 */
export function runCached(caches: AssertCaches, items: { a: Assertion; context: DElement }[], root: DElement, scenarioNodes: DElement[], cacheKey: object): Report[] {
  return withDescendantIndex(root.ownerDocument ?? root, () => runCachedIndexed(caches, items, root, scenarioNodes, cacheKey));
}

function runCachedIndexed(caches: AssertCaches, items: { a: Assertion; context: DElement }[], root: DElement, scenarioNodes: DElement[], cacheKey: object): Report[] {
  let byAssert = caches.outcomes.get(cacheKey);
  if (!byAssert) {
    byAssert = new Map();
    caches.outcomes.set(cacheKey, byAssert);
    caches.outcomeKeys.add(cacheKey);
  }
  const budget = caches.budget;
  const reports: Report[] = [];
  const stats: DatacheckStats = { evaluated: 0, reused: 0 };
  const fps = new Map<Assertion, string>();
  for (const { a, context } of items) {
    if (!cacheable(caches, a)) {
      if (budget && (performance.now() > budget.deadline || budget.cancelled?.())) {
        budget.skipped.push(a);
        continue;
      }
      stats.evaluated++;
      const r = runAssert(caches, a, context);
      if (r) reports.push(r);
      continue;
    }
    let base = fps.get(a);
    if (base === undefined) {
      base = fingerprint(scenarioNodes, namesOf(caches, a)) + fingerprintAttrs(root);
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
    const r = runAssert(caches, a, context);
    const outcome: CachedOutcome = { fp, report: r ? { severity: r.severity, message: r.message, paths: r.nodes.map((n) => domPath(n)), contextPath: domPath(r.context) } : null };
    list.unshift(outcome);
    if (list.length > OUTCOMES_PER_ASSERT) list.length = OUTCOMES_PER_ASSERT;
    byAssert.set(a, list);
    if (r) reports.push(r);
  }
  caches.lastStats = stats;
  return reports;
}

export function runDatachecks(caches: AssertCaches, asserts: Assertion[], root: DElement, scenarioNodes: DElement[], cacheKey: object): Report[] {
  return runCached(caches, asserts.map((a) => ({ a, context: root })), root, scenarioNodes, cacheKey);
}

function fingerprintAttrs(root: DElement): string {
  let s = '';
  for (const a of root.attributes) s += ` ${a.name}=${JSON.stringify(a.value)}`;
  return s;
}
