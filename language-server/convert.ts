/** hv-core findings -> LSP diagnostics. */
import type { Diagnostic } from 'vscode-languageserver';
import { DiagnosticSeverity } from 'vscode-languageserver';
import type { Finding, LineIndex, Severity } from '../hv-core/engine.js';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toDiagnostic(uri: string, lines: LineIndex, f: Finding): Diagnostic {
  const d: Diagnostic = {
    range: lines.rangeOf(f.start, f.end),
    severity: SEVERITY[f.severity],
    message: f.message,
    source: 'acrn-nest',
    code: f.code,
  };
  if (f.related?.length) d.relatedInformation = f.related.map((r) => ({ location: { uri, range: lines.rangeOf(r.start, r.end) }, message: r.message }));
  if (f.data !== undefined) d.data = f.data;
  return d;
}
