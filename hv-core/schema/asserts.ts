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
 *
 * This module is the face of schema/asserts/, split by role: xpath.ts (ACRN's XPath rewritten
 * for fontoxpath, evaluation), dom.ts (the scenario's DOM, defaults populated), board.ts (board
 * files and their pruned DOMs), quantifier.ts (every/some chains, message placeholders),
 * outcomes.ts (running asserts, findings, the incremental datachecks) and caches.ts (AssertCaches:
 * all they remember, one object, passed in; none of them keeps module state).
 */
import type { Finding } from '../findings.js';
import type { AnalysisContext } from '../scenario/context.js';
import type { XmlDocument, XmlElement } from '../xml/model.js';
import { registerAcrnFunctions } from './functions.js';
import type { Assertion, SchemaModel } from './model.js';
import { boardDomOf, boardFor as boardForAnalysis, loadBoard as loadBoardInto } from './asserts/board.js';
import type { AssertTrace, CheckBudget, DatacheckStats, DElement } from './asserts/caches.js';
import { AssertCaches } from './asserts/caches.js';
import { buildScenario, domChildren } from './asserts/dom.js';
import { runCached, runDatachecks, toFindings } from './asserts/outcomes.js';

export { AssertCaches } from './asserts/caches.js';
export type { AssertTrace, CheckBudget, DatacheckStats } from './asserts/caches.js';
export { domPath } from './asserts/dom.js';
export { indexDescendants, wrapBareOperands } from './asserts/xpath.js';

/**
 * The caches of the callers that pass none with their analysis (`AnalyzeOptions.caches`): tests,
 * the bench and the conformance script, and the module functions below. A front end holds its
 * own (hv-core/engine.ts `createAnalysisCaches()`).
 */
export const DEFAULT_ASSERT_CACHES = new AssertCaches();

function cachesOf(ctx: AnalysisContext): AssertCaches {
  return ctx.options.caches ?? DEFAULT_ASSERT_CACHES;
}

/** Where expression errors go (the conformance script), for analyses with the default caches. */
export function setAssertTrace(t: AssertTrace | undefined, caches: AssertCaches = DEFAULT_ASSERT_CACHES): void {
  caches.trace = t;
}

/** Forgets every cached datacheck outcome (bench: measure full evaluations). */
export function clearDatacheckCache(caches: AssertCaches = DEFAULT_ASSERT_CACHES): void {
  caches.clearOutcomes();
}

/** How many datachecks the last evaluation ran vs reused (bench and tests). */
export function lastDatacheckStats(caches: AssertCaches = DEFAULT_ASSERT_CACHES): DatacheckStats {
  return caches.lastStats;
}

/** Runs `fn` with the budget `b` for the asserts of the analysis whose caches these are. */
export function withCheckBudget<T>(b: CheckBudget | undefined, fn: () => T, caches: AssertCaches = DEFAULT_ASSERT_CACHES): T {
  const saved = caches.budget;
  caches.budget = b;
  try {
    return fn();
  } finally {
    caches.budget = saved;
  }
}

/** The parsed board file, cached by path + mtime + size (in `caches`). */
export function loadBoard(file: string, caches: AssertCaches = DEFAULT_ASSERT_CACHES): XmlDocument | undefined {
  return loadBoardInto(caches, file);
}

/** The board for an analysis: options.board, else found from the scenario (board= / siblings). */
export function boardFor(ctx: AnalysisContext, tree: string | undefined): XmlDocument | undefined {
  return boardForAnalysis(cachesOf(ctx), ctx, tree);
}

/** Evaluates the config.xsd asserts on the elements whose types carry them. */
export function evaluateAsserts(ctx: AnalysisContext, model: SchemaModel, targets: { element: XmlElement; assert: Assertion }[]): Finding[] {
  const caches = cachesOf(ctx);
  const root = ctx.doc.root;
  if (!root || targets.length === 0) return [];
  registerAcrnFunctions();
  const s = buildScenario(caches, model, root);
  if (!s) return [];
  const items: { a: Assertion; context: DElement }[] = [];
  for (const t of targets) {
    const node = s.built.toDom.get(t.element);
    if (node) items.push({ a: t.assert, context: node });
  }
  const reports = runCached(caches, items, s.root, domChildren(s.root), model);
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
  const caches = cachesOf(ctx);
  const root = ctx.doc.root;
  if (!root || model.datachecks.length === 0) return [];
  registerAcrnFunctions();
  const boardXml = boardForAnalysis(caches, ctx, tree);
  const board = boardXml ? boardDomOf(caches, boardXml, model) : undefined;
  const asserts = board ? model.datachecks : model.datachecks.filter((a) => !needsBoard(a));
  if (asserts.length === 0) return [];
  if (!board) {
    const s = buildScenario(caches, model, root);
    if (!s) return [];
    const reports = runDatachecks(caches, asserts, s.root, domChildren(s.root), model);
    return toFindings(reports, s.built, root, 'datacheck');
  }
  const s = buildScenario(caches, model, root);
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
    const reports = runDatachecks(caches, asserts, boardRoot, scenarioKids, board);
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

