import type { Finding } from '../engine.js';
import { LineIndex } from '../engine.js';

/** `FILE:LINE:COL: severity: MESSAGE [CODE]`, 1-based, one finding a line (gcc style). */
export function formatFindingText(file: string, lines: LineIndex, f: Finding): string {
  const p = lines.positionAt(f.start);
  return `${file}:${p.line + 1}:${p.character + 1}: ${f.severity}: ${f.message.replace(/\s*\n\s*/g, ' ')} [${f.code}]`;
}

/**
 * gcc-style notes under a finding for the ACRN findings it carries (one mistake, one diagnostic:
 * scenario/dedupe.ts keeps ours and attaches ACRN's as related information `ACRN <code>: ...`).
 */
export function formatAcrnNotes(file: string, lines: LineIndex, f: Finding): string[] {
  return (f.related ?? [])
    .filter((r) => r.message.startsWith('ACRN '))
    .map((r) => {
      const p = lines.positionAt(r.start);
      return `${file}:${p.line + 1}:${p.character + 1}: note: ${r.message.replace(/\s*\n\s*/g, ' ')}`;
    });
}

export interface JsonFinding {
  severity: Finding['severity'];
  code: string;
  message: string;
  source: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  related?: { line: number; column: number; message: string }[];
}

export function toJsonFinding(lines: LineIndex, f: Finding): JsonFinding {
  const s = lines.positionAt(f.start);
  const e = lines.positionAt(f.end);
  const out: JsonFinding = { severity: f.severity, code: f.code, message: f.message, source: f.source, line: s.line + 1, column: s.character + 1, endLine: e.line + 1, endColumn: e.character + 1 };
  if (f.related?.length) {
    out.related = f.related.map((r) => {
      const p = lines.positionAt(r.start);
      return { line: p.line + 1, column: p.character + 1, message: r.message };
    });
  }
  return out;
}
