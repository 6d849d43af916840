/** Completion (textDocument/completion): a thin adapter over hv-core/schema/complete.ts. */
import type { CompletionItem, CompletionList } from 'vscode-languageserver/node';
import { CompletionItemKind, InsertTextFormat, MarkupKind } from 'vscode-languageserver/node';
import type { CompletionEntry, CompletionKind, LineIndex } from '../../hv-core/engine.js';
import { complete } from '../../hv-core/engine.js';
import type { ServerFeature } from './feature.js';
import { schemaContext } from './schema-context.js';

const KIND: Record<CompletionKind, CompletionItemKind> = {
  element: CompletionItemKind.Property,
  value: CompletionItemKind.EnumMember,
  board: CompletionItemKind.Value,
  reference: CompletionItemKind.Reference,
  attribute: CompletionItemKind.Field,
};

export function toCompletionItem(lines: LineIndex, offset: number, e: CompletionEntry): CompletionItem {
  const item: CompletionItem = {
    label: e.label,
    kind: KIND[e.kind],
    sortText: e.sortText,
    insertTextFormat: e.snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
    // Insert replaces what was typed up to the cursor; Replace (Shift+Enter… or the user's
    // setting) replaces the whole word or value.
    textEdit: { newText: e.insertText, insert: lines.rangeOf(e.start, Math.max(e.start, Math.min(offset, e.end))), replace: lines.rangeOf(e.start, e.end) },
  };
  if (e.detail) item.detail = e.detail;
  if (e.documentation) item.documentation = { kind: MarkupKind.Markdown, value: e.documentation };
  if (e.filterText) item.filterText = e.filterText;
  if (e.preselect) item.preselect = true;
  return item;
}

export const completionFeature: ServerFeature = {
  name: 'completion',
  capabilities: () => ({ completionProvider: { triggerCharacters: ['<', '>', ' '], resolveProvider: false } }),
  register(ctx) {
    ctx.connection.onCompletion((params) =>
      ctx.guard('completion', null as CompletionList | null, () => {
        const sc = schemaContext(ctx, params.textDocument.uri);
        if (!sc) return null;
        const offset = sc.st.lines.offsetAt(params.position);
        let entries = complete({ doc: sc.doc, offset, model: sc.model, ...(sc.board ? { board: sc.board } : {}) });
        // Typing a space or closing a start tag only pops up values and attributes, never the
        // element list (that would open at every space typed between elements).
        const trigger = params.context?.triggerCharacter;
        if (trigger === ' ' || trigger === '>') entries = entries.filter((e) => e.kind !== 'element');
        return { isIncomplete: false, items: entries.map((e) => toCompletionItem(sc.st.lines, offset, e)) };
      }),
    );
  },
};
