/**
 * The types every checker shares: what one analysis knows about a document (AnalysisContext) and
 * a checker's signature. Below the pipeline (scenario/analyze.ts) and the checkers it runs
 * (schema/, nvmx/), so checkers import these without importing the pipeline back.
 */
import type { Finding } from '../findings.js';
import type { XmlDocument } from '../xml/model.js';
import type { LineIndex } from '../xml/positions.js';
import type { Dialect } from './dialect.js';

export interface AnalyzeOptions {
  /** Files above this size get one info finding instead of analysis. */
  maxFileMB?: number;
  /** Board document, when known (scenario checks that need the board use it). */
  board?: XmlDocument;
  /** ACRN source tree, when known. */
  acrnTree?: string;
  /** Display name for messages. */
  uri?: string;
}

export interface AnalysisContext {
  text: string;
  doc: XmlDocument;
  dialect: Dialect;
  lines: LineIndex;
  options: AnalyzeOptions;
}

export type Checker = (ctx: AnalysisContext) => Finding[];
