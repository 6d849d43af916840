import type { Finding } from '../findings.js';
import { LineIndex } from '../xml/positions.js';

/** `FILE:LINE:COL: severity: MESSAGE [CODE]`, 1-based, one finding a line (gcc style). */
export function formatFindingText(file: string, lines: LineIndex, f: Finding): string {
  const p = lines.positionAt(f.start);
  return `${file}:${p.line + 1}:${p.character + 1}: ${f.severity}: ${f.message.replace(/\s*\n\s*/g, ' ')} [${f.code}]`;
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
}

export function toJsonFinding(lines: LineIndex, f: Finding): JsonFinding {
  const s = lines.positionAt(f.start);
  const e = lines.positionAt(f.end);
  return { severity: f.severity, code: f.code, message: f.message, source: f.source, line: s.line + 1, column: s.character + 1, endLine: e.line + 1, endColumn: e.character + 1 };
}
