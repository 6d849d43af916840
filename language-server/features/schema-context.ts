/**
 * What the schema-driven features (completion, hover, code actions) need for a document: its
 * analysis, the schema model (the user's ACRN tree from `acrnNest.acrnTree` or found above the
 * file, else the bundled fallback), and the board (`acrnNest.boardFile`, else the scenario's
 * `board=` resolved in the tree, else a sibling board file: hv-core/settings.ts's one lookup),
 * loaded once and cached. The settings' paths arrive resolved (server.ts).
 */
import type { AssertCaches, SchemaModel, XmlDocument } from '../../hv-core/engine.js';
import { attr, boardFor as findBoard, loadBoard, schemaFor, uriToPath, useBundledModels } from '../../hv-core/engine.js';
import type { DocState } from '../documents.js';
import type { ServerContext } from './feature.js';

// The bundled fallback models, registered with schemaFor() for scenarios without a tree.
useBundledModels();

export interface SchemaContext {
  st: DocState;
  doc: XmlDocument;
  model: SchemaModel;
  board: XmlDocument | undefined;
  /** The ACRN tree the model came from; undefined for the bundled model. */
  tree: string | undefined;
}

/** Board path per document, re-resolved when the settings, the tree or the board= attribute change. */
const boardPaths = new Map<string, { key: string; path: string | undefined }>();

function boardFor(uri: string, doc: XmlDocument, tree: string | undefined, setting: string, caches: AssertCaches | undefined): XmlDocument | undefined {
  if (setting) return loadBoard(setting, caches);
  const key = `${tree ?? ''}\u0000${attr(doc.root, 'board') ?? ''}`;
  let hit = boardPaths.get(uri);
  if (!hit || hit.key !== key) {
    hit = { key, path: findBoard({ scenarioPath: uriToPath(uri), doc, acrnTree: tree }) };
    boardPaths.set(uri, hit);
  }
  return hit.path ? loadBoard(hit.path, caches) : undefined;
}

/** Forget cached board lookups (settings changed, document closed). */
export function forgetBoard(uri?: string): void {
  if (uri) boardPaths.delete(uri);
  else boardPaths.clear();
}

export function schemaContext(ctx: ServerContext, uri: string): SchemaContext | undefined {
  const td = ctx.documents.get(uri);
  if (!td) return undefined;
  const st = ctx.cache.get(td);
  const a = st.analysis;
  if (!a.doc || !a.dialect || a.dialect.kind !== 'scenario') return undefined;
  const s = ctx.settings();
  const choice = schemaFor({ acrnTree: s.acrnTree || undefined, uri, family: a.dialect.family, version: a.dialect.version });
  if (!choice) return undefined;
  return { st, doc: a.doc, model: choice.model, board: boardFor(uri, a.doc, choice.tree, s.boardFile, ctx.caches), tree: choice.tree };
}
