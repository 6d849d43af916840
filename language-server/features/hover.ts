/** Hover (textDocument/hover): a thin adapter over hv-core/schema/hover.ts. */
import type { Hover } from 'vscode-languageserver/node';
import { MarkupKind } from 'vscode-languageserver/node';
import { hoverAt } from '../../hv-core/engine.js';
import type { ServerFeature } from './feature.js';
import { schemaContext } from './schema-context.js';

export const hoverFeature: ServerFeature = {
  name: 'hover',
  capabilities: () => ({ hoverProvider: true }),
  register(ctx) {
    ctx.connection.onHover((params) =>
      ctx.guard('hover', null as Hover | null, () => {
        const sc = schemaContext(ctx, params.textDocument.uri);
        if (!sc) return null;
        const h = hoverAt({ doc: sc.doc, offset: sc.st.lines.offsetAt(params.position), model: sc.model });
        if (!h) return null;
        return { contents: { kind: MarkupKind.Markdown, value: h.markdown }, range: sc.st.lines.rangeOf(h.start, h.end) };
      }),
    );
  },
};
