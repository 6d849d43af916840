/**
 * The types every checker shares: what one analysis knows about a document (AnalysisContext) and
 * a checker's signature. Below the pipeline (scenario/analyze.ts) and the checkers it runs
 * (schema/, nvmx/), so checkers import these without importing the pipeline back.
 */
import type { Finding } from '../findings.js';
import type { AssertCaches } from '../schema/asserts/caches.js';
import type { XmlDocument } from '../xml/model.js';
import type { LineIndex } from '../xml/positions.js';
import type { Dialect } from './dialect.js';

export interface AnalyzeOptions {
  /**
   * What the assert evaluation remembers between analyses (hv-core/engine.ts
   * `createAnalysisCaches()`: one per front end); none: the shared default.
   */
  caches?: AssertCaches;
  /** Files above this size get one info finding instead of analysis. */
  maxFileMB?: number;
  /** Board document, when known (scenario checks that need the board use it). */
  board?: XmlDocument;
  /** ACRN source tree, when known. */
  acrnTree?: string;
  /** Display name for messages. */
  uri?: string;
  /**
   * Time budget (ms) for ACRN's assertions and datachecks, counted from the start of the
   * analysis (schema/checker.ts DEFAULT_BUDGET_MS when unset); checks not started in time are
   * named in one `schema/budget` warning.
   */
  budgetMs?: number;
  /**
   * Polled between ACRN's assertions: true once the result is no longer wanted (the language
   * server's worker: a newer version of the document arrived). The rest is skipped, as when the
   * budget runs out; the caller discards the result.
   */
  cancelled?: () => boolean;
}

export interface AnalysisContext {
  text: string;
  doc: XmlDocument;
  dialect: Dialect;
  lines: LineIndex;
  options: AnalyzeOptions;
  /** performance.now() when the analysis started (budgets count from here). */
  started?: number;
}

export type Checker = (ctx: AnalysisContext) => Finding[];
