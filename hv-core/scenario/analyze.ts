/**
 * The analysis pipeline shared by the CLI and the language server: parse, detect the dialect,
 * run every registered checker. Checkers are pure functions of the context; later layers (schema,
 * NVMX rules) register themselves in CHECKERS.
 */
import type { Finding } from '../findings.js';
import { sortFindings } from '../findings.js';
import { DEFAULT_MAX_FILE_MB } from '../files.js';
import type { XmlDocument } from '../xml/model.js';
import { MAX_DEPTH, parseXml } from '../xml/parser.js';
import { LineIndex } from '../xml/positions.js';
import type { Dialect } from './dialect.js';
import { detectDialect, looksLikeAcrn } from './dialect.js';
import { checkNvmx } from '../nvmx/rules.js';
import { checkSchema } from '../schema/checker.js';
import { dedupeFindings } from './dedupe.js';

export { DEFAULT_MAX_FILE_MB } from '../files.js';

// The shared types live below the pipeline and its checkers (no circle through them).
import type { AnalysisContext, AnalyzeOptions, Checker } from './context.js';
export type { AnalysisContext, AnalyzeOptions, Checker } from './context.js';

/** Registered checks, run in order for ACRN documents. */
export const CHECKERS: { name: string; check: Checker }[] = [{ name: 'schema', check: (ctx) => checkSchema(ctx) }];
CHECKERS.push({ name: 'nvmx', check: checkNvmx });

export interface Analysis {
  /** Undefined for documents that are not ACRN files: acrn-nest stays silent on those. */
  dialect: Dialect | undefined;
  doc: XmlDocument | undefined;
  findings: Finding[];
  /** Why a document got no analysis (not ACRN, too large). */
  skipped?: string;
}

export function analyzeText(text: string, options: AnalyzeOptions = {}): Analysis {
  const started = performance.now();
  if (!looksLikeAcrn(text)) return { dialect: undefined, doc: undefined, findings: [], skipped: 'not an ACRN file (root element is not <acrn-config>)' };
  const maxMB = options.maxFileMB ?? DEFAULT_MAX_FILE_MB;
  if (text.length > maxMB * 1024 * 1024) {
    const mb = (text.length / (1024 * 1024)).toFixed(1);
    const end = Math.min(text.length, text.indexOf('>') + 1 || 1);
    return {
      dialect: undefined,
      doc: undefined,
      findings: [{ severity: 'info', source: 'acrn-nest', code: 'file-too-large', start: 0, end, message: `This file is ${mb} MB; acrn-nest analyzes ACRN files up to ${maxMB} MB (setting acrnNest.maxFileSizeMB). ACRN scenario and board files are well under 1 MB.` }],
      skipped: 'too large',
    };
  }
  const doc = parseXml(text);
  const dialect = detectDialect(doc);
  const findings: Finding[] = doc.errors.map((e) => ({ severity: 'error', source: 'xml', code: `xml/${e.code}`, start: e.start, end: e.end, message: e.message }));
  if (text.includes('\uFFFD')) {
    const i = text.indexOf('\uFFFD');
    findings.push({ severity: 'warning', source: 'xml', code: 'xml/replacement-char', start: i, end: i + 1, message: 'The file holds U+FFFD replacement characters: it was probably not valid UTF-8 when it was read. ACRN\'s tools read scenario files as UTF-8.' });
  }
  if (doc.tooDeep) {
    // An error, not a warning: the file is no ACRN file as it stands; the rest is still checked.
    findings.push({ severity: 'error', source: 'xml', code: 'xml/too-deep', start: doc.tooDeep.start, end: doc.tooDeep.end, message: `Elements nest ${doc.tooDeep.depth} levels deep here: acrn-nest checks up to ${MAX_DEPTH} levels (ACRN scenario and board files nest under 10), so what is deeper is left out of the checks.` });
  }
  if (!dialect) {
    if (doc.root) findings.push({ severity: 'info', source: 'acrn-nest', code: 'dialect-unknown', start: doc.root.nameStart, end: doc.root.nameEnd, message: '<acrn-config> holds neither hv/vm (scenario) nor board sections: the ACRN dialect could not be detected' });
    return { dialect, doc, findings: sortFindings(findings) };
  }
  // A file that is not well-formed is one ACRN's own tools cannot read at all; checking its
  // structure would only bury the real error under follow-on findings (an end-tag typo leaves
  // every later element "in the wrong place"). Say so once and check again when it parses.
  const fatal = doc.errors[0];
  if (fatal) {
    findings.push({ severity: 'info', source: 'acrn-nest', code: 'checks-paused', start: fatal.start, end: fatal.end, message: 'Schema and nested-virtualization checks resume once the file is well-formed (ACRN\'s tools cannot read it either).' });
    return { dialect, doc, findings: sortFindings(findings) };
  }
  const ctx: AnalysisContext = { text, doc, dialect, lines: new LineIndex(text), options, started };
  for (const { name, check } of CHECKERS) {
    try {
      findings.push(...check(ctx));
    } catch (e) {
      // One broken checker must not take the others (or the document's diagnostics) down.
      const at = doc.root ?? { nameStart: 0, nameEnd: 0 };
      findings.push({ severity: 'warning', source: 'acrn-nest', code: 'internal-error', start: at.nameStart, end: at.nameEnd, message: `acrn-nest's ${name} check failed on this file: ${e instanceof Error ? e.message : String(e)}. Please report it with the file.` });
    }
  }
  // One mistake, one diagnostic: merge what two engines say about one fact (dedupe.ts).
  return { dialect, doc, findings: sortFindings(dedupeFindings(doc, findings)) };
}
