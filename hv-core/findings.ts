/** A finding is what every acrn-nest check produces: the CLI prints it, the server publishes it. */

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface Related {
  start: number;
  end: number;
  message: string;
}

export interface Finding {
  severity: Severity;
  message: string;
  /** Stable code, e.g. `xml/unexpected-end-tag`, `schema/enum`, `nvmx/sched-noop`. */
  code: string;
  /** Offsets into the document text (UTF-16). */
  start: number;
  end: number;
  /** Which engine said it: xml, schema, assert, datacheck, nvmx, build. */
  source: string;
  related?: Related[];
  /** Machine-readable payload for quick fixes (JSON-serialisable). */
  data?: unknown;
}

export const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2, hint: 3 };

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => a.start - b.start || SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.code.localeCompare(b.code));
}
