/** Outline (textDocument/documentSymbol): a thin adapter over hv-core's scenario outline. */
import type { DocumentSymbol } from 'vscode-languageserver/node';
import { SymbolKind } from 'vscode-languageserver/node';
import type { LineIndex, OutlineKind, OutlineSymbol } from '../../hv-core/engine.js';
import { outline } from '../../hv-core/engine.js';
import type { ServerFeature } from './feature.js';

const KIND: Record<OutlineKind, SymbolKind> = {
  root: SymbolKind.File,
  hv: SymbolKind.Module,
  section: SymbolKind.Namespace,
  setting: SymbolKind.Property,
  vm: SymbolKind.Class,
  vuart: SymbolKind.Interface,
  'list-item': SymbolKind.Field,
};

export function toDocumentSymbol(lines: LineIndex, s: OutlineSymbol): DocumentSymbol {
  const d: DocumentSymbol = {
    name: s.name,
    kind: KIND[s.kind],
    range: lines.rangeOf(s.start, s.end),
    selectionRange: lines.rangeOf(s.selectionStart, s.selectionEnd),
    children: s.children.map((c) => toDocumentSymbol(lines, c)),
  };
  if (s.detail) d.detail = s.detail;
  return d;
}

export const outlineFeature: ServerFeature = {
  name: 'outline',
  capabilities: () => ({ documentSymbolProvider: { label: 'ACRN' } }),
  register(ctx) {
    ctx.connection.onDocumentSymbol((params) =>
      ctx.guard('documentSymbol', [] as DocumentSymbol[], () => {
        const doc = ctx.documents.get(params.textDocument.uri);
        if (!doc) return [];
        const st = ctx.cache.get(doc);
        const a = st.analysis;
        if (!a.doc || !a.dialect) return [];
        return outline(a.doc, a.dialect).map((s) => toDocumentSymbol(st.lines, s));
      }),
    );
  },
};
