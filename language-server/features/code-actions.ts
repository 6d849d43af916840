/**
 * Quick fixes (textDocument/codeAction) for acrn-nest's diagnostics: a thin adapter over
 * hv-core/schema/fixes.ts. The diagnostics come back from the client with their `data`; the
 * edits are a WorkspaceEdit on the current version of the document (undoable like any edit).
 * The NVMX rules' own fixes (nvmxActions.ts) and "Upgrade Scenario to v3…" on a v2 scenario's
 * root element (upgradeActions.ts, a refactor) are answered from the same handler.
 */
import type { CodeAction, Diagnostic } from 'vscode-languageserver/node';
import { CodeActionKind } from 'vscode-languageserver/node';
import { fixesFor } from '../../hv-core/engine.js';
import type { ServerFeature } from './feature.js';
import { schemaContext } from './schema-context.js';
import { nvmxCodeActions } from './nvmxActions.js';
import { treeMismatchActions } from './treeMismatch.js';
import { upgradeCodeActions } from './upgradeActions.js';

export const codeActionsFeature: ServerFeature = {
  name: 'code-actions',
  capabilities: () => ({ codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.RefactorRewrite] } }),
  register(ctx) {
    ctx.connection.onCodeAction((params) =>
      ctx.guard('codeAction', [] as CodeAction[], () => {
        const wants = (kind: string): boolean => !params.context.only || params.context.only.some((k) => kind === k || kind.startsWith(`${k}.`) || k.startsWith(`${kind}.`));
        const uri = params.textDocument.uri;
        const refactors = wants(CodeActionKind.RefactorRewrite) ? upgradeCodeActions(ctx, uri, params.range) : [];
        if (!wants(CodeActionKind.QuickFix)) return refactors;
        const out: CodeAction[] = treeMismatchActions(params.context.diagnostics as Diagnostic[]);
        const sc = schemaContext(ctx, uri);
        const td = ctx.documents.get(uri);
        if (!sc || !td) return [...out, ...nvmxCodeActions(ctx, uri, params.context.diagnostics), ...refactors];
        const lines = sc.st.lines;
        for (const d of params.context.diagnostics as Diagnostic[]) {
          if (typeof d.code === 'string' && (d.code.startsWith('nvmx/') || d.code === 'scenario/tree-mismatch')) continue;
          if (d.source !== 'acrn-nest' || typeof d.code !== 'string') continue;
          const finding = { code: d.code, message: d.message, start: lines.offsetAt(d.range.start), end: lines.offsetAt(d.range.end), data: d.data };
          for (const fix of fixesFor(sc.doc, sc.model, finding)) {
            const action: CodeAction = {
              title: fix.title,
              kind: CodeActionKind.QuickFix,
              diagnostics: [d],
              edit: { documentChanges: [{ textDocument: { uri, version: td.version }, edits: fix.edits.map((e) => ({ range: lines.rangeOf(e.start, e.end), newText: e.newText })) }] },
            };
            if (fix.preferred) action.isPreferred = true;
            out.push(action);
          }
        }
        out.push(...nvmxCodeActions(ctx, uri, params.context.diagnostics), ...refactors);
        return out;
      }),
    );
  },
};
