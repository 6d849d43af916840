/**
 * The NVMX recipe in the editor: quick fixes for the `nvmx/...` diagnostics (their edits travel in
 * Finding.data.nvmxFixes; they are re-read from the analysis of the document's current version so
 * a stale diagnostic never applies stale offsets) and CodeLenses above FEATURES and above the
 * Service VM that open the NVMX wizard. Thin: the rules and the checklist live in hv-core/nvmx.
 */
import type { CodeAction, CodeLens, Diagnostic } from 'vscode-languageserver/node';
import { CodeActionKind } from 'vscode-languageserver/node';
import { collectFacts, isNvmxData, nvmxStatus, nvmxSummary, path as childPath } from '../../hv-core/engine.js';
import type { ServerContext, ServerFeature } from './feature.js';

/** The extension's command that opens the wizard (extension/constants.ts Commands.nvmxWizard). */
export const NVMX_WIZARD_COMMAND = 'acrnNest.nvmxWizard';

/** Quick fixes for the nvmx diagnostics among `diagnostics` (called by the code-actions feature). */
export function nvmxCodeActions(ctx: ServerContext, uri: string, diagnostics: Diagnostic[]): CodeAction[] {
  const td = ctx.documents.get(uri);
  if (!td) return [];
  const st = ctx.cache.get(td);
  const out: CodeAction[] = [];
  for (const d of diagnostics) {
    if (typeof d.code !== 'string' || !d.code.startsWith('nvmx/')) continue;
    const start = st.lines.offsetAt(d.range.start);
    const end = st.lines.offsetAt(d.range.end);
    const finding = st.analysis.findings.find((f) => f.code === d.code && f.start === start && f.end === end && f.message === d.message);
    if (!finding || !isNvmxData(finding.data)) continue;
    for (const fix of finding.data.nvmxFixes) {
      const action: CodeAction = {
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        edit: { documentChanges: [{ textDocument: { uri, version: td.version }, edits: fix.edits.map((e) => ({ range: st.lines.rangeOf(e.start, e.end), newText: e.newText })) }] },
      };
      if (fix.isPreferred) action.isPreferred = true;
      out.push(action);
    }
  }
  return out;
}

export const nvmxLensFeature: ServerFeature = {
  name: 'nvmx-lens',
  capabilities: () => ({ codeLensProvider: { resolveProvider: false } }),
  register(ctx) {
    ctx.connection.onCodeLens((params) =>
      ctx.guard('codeLens', [] as CodeLens[], () => {
        const td = ctx.documents.get(params.textDocument.uri);
        if (!td) return [];
        const st = ctx.cache.get(td);
        const a = st.analysis;
        if (!a.doc || a.dialect?.kind !== 'scenario' || a.doc.errors.length) return [];
        const facts = collectFacts(st.text, a.doc, a.dialect);
        if (!facts) return [];
        let title: string;
        try {
          // The truth: on only when every applicable recipe step holds (issue 11). Steps that need
          // the board are checked by the wizard, which knows it.
          const sum = nvmxSummary(nvmxStatus(st.text));
          title =
            sum.state === 'on'
              ? 'Nested virtualization: on — open the NVMX wizard (recipe checklist)'
              : sum.state === 'partly'
                ? `Nested virtualization: ${sum.text} — finish with the NVMX wizard…`
                : 'Nested virtualization: off — enable with the NVMX wizard…';
        } catch {
          return [];
        }
        const lenses: CodeLens[] = [];
        const at = (offset: number): CodeLens => ({ range: st.lines.rangeOf(offset, offset), command: { title, command: NVMX_WIZARD_COMMAND, arguments: [params.textDocument.uri] } });
        const features = childPath(facts.root, 'hv', 'FEATURES');
        if (features) lenses.push(at(features.start));
        if (facts.service) lenses.push(at(facts.service.el.start));
        return lenses;
      }),
    );
  },
};
