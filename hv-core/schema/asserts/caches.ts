/**
 * Everything the assert evaluation remembers between analyses, in one object: prepared XPath
 * expressions, parsed quantifiers, parsed board files and their pruned DOMs, what each assert
 * names, the datacheck outcomes, the last run's statistics, and the per-analysis budget and
 * trace. No module of schema/asserts/ keeps state of its own: a front end holds one AssertCaches
 * (hv-core/engine.ts `createAnalysisCaches()`) and passes it with each analysis
 * (`AnalyzeOptions.caches`); callers that pass none (tests, bench, conformance) share
 * `DEFAULT_ASSERT_CACHES` (schema/asserts.ts).
 */
// @ts-expect-error -- TS1479: slimdom's types are ESM-only, but its package exports a CJS build (exports.require) that Node and esbuild load.
import type * as slimdom from 'slimdom';
import type { Severity } from '../../findings.js';
import type { XmlDocument } from '../../xml/model.js';
import type { Assertion, SchemaModel } from '../model.js';

export type DNode = slimdom.Node;
export type DElement = slimdom.Element;

/** Problems met while evaluating (expression errors); the conformance script prints them. */
export interface AssertTrace {
  errors: { assert: string; message: string }[];
}

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

export interface DatacheckStats {
  evaluated: number;
  reused: number;
}

/** A board's pruned DOM: the board root's own children kept in place, scenario nodes inserted around them. */
export interface BoardDom {
  doc: slimdom.Document;
  root: DElement;
  /** The board root's own children (kept in place; scenario nodes are inserted around them). */
  boardChildren: DElement[];
  attributes: { name: string; value: string }[];
}

/** A parsed `every|some $a in E1, $b in E2 satisfies BODY`. */
export interface Quantified {
  some: boolean;
  bindings: { name: string; expr: string }[];
  body: string;
}

export interface CachedOutcome {
  fp: string;
  report: { severity: Severity; message: string; paths: string[]; contextPath: string } | null;
}

export class AssertCaches {
  /** ACRN's expression -> the one fontoxpath evaluates (xpath.ts prepare). */
  readonly exprs = new Map<string, string>();
  /** Expression -> its top-level quantifier, or null (quantifier.ts). */
  readonly quantified = new Map<string, Quantified | null>();
  /** Parsed board files by path, with the mtime and size they were read at (board.ts loadBoard). */
  readonly boardsByPath = new Map<string, { mtimeMs: number; size: number; xml: XmlDocument }>();
  /** A board document's pruned DOMs, by the names the model's datachecks mention. */
  readonly boardDoms = new WeakMap<XmlDocument, Map<string, BoardDom>>();
  /** Every name a model's datachecks mention. */
  readonly namesByModel = new WeakMap<SchemaModel, { key: string; names: Set<string> }>();
  /** The names one assert mentions (outcomes.ts namesOf). */
  readonly assertNames = new WeakMap<Assertion, Set<string>>();
  /** Whether an assert selects by name only (outcomes.ts cacheable). */
  readonly cacheable = new WeakMap<Assertion, boolean>();
  /** Outcomes per (board DOM or model) and assert; a few fingerprints each. */
  readonly outcomes = new WeakMap<object, Map<Assertion, CachedOutcome[]>>();
  /** The keys of `outcomes` (a WeakMap cannot be listed), so clearOutcomes can forget them. */
  readonly outcomeKeys = new Set<object>();
  /** How many datachecks the last evaluation ran vs reused. */
  lastStats: DatacheckStats = { evaluated: 0, reused: 0 };
  /** Where expression errors go (the conformance script), if anywhere. */
  trace: AssertTrace | undefined;
  /** The budget of the analysis running now (withCheckBudget). */
  budget: CheckBudget | undefined;

  /** Forgets every cached datacheck outcome (bench: measure full evaluations). */
  clearOutcomes(): void {
    for (const k of this.outcomeKeys) this.outcomes.delete(k);
    this.outcomeKeys.clear();
  }
}
