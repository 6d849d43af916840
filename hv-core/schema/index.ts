/**
 * Entry point of the schema layer: `schemaFor()` picks the model for a document (the user's ACRN
 * tree, found from the option or by walking up from the file), plus re-exports of the model
 * types and queries.
 */
import { schemaForTree, SchemaLoadError } from './loader.js';
import type { SchemaModel } from './model.js';
import { findAcrnTree, uriToPath } from './tree.js';

export type * from './model.js';
export * from './query.js';
export { findAcrnTree, findBoardFile, uriToPath, isAcrnTree } from './tree.js';
export { loadSchema, schemaForTree, clearSchemaCache, SchemaLoadError } from './loader.js';

/**
 * A hook for a bundled model used when no tree is found (set by the bundled-model module, so
 * this module does not depend on it). Receives the dialect family.
 */
let fallback: ((family: 'v2' | 'v3', version?: string) => SchemaModel | undefined) | undefined;
export function setFallbackSchema(fn: typeof fallback): void {
  fallback = fn;
}

export interface SchemaLookup {
  /** Explicit tree (setting acrnNest.acrnTree or --acrn-tree). */
  acrnTree?: string;
  /** The document's URI or path (walk up from it to find a tree). */
  uri?: string;
  /** Dialect family of the document, for the bundled fallback. */
  family?: 'v2' | 'v3';
  /** Dialect version ('2.5'|'2.6'|'2.7'|'3.x'), for the bundled fallback. */
  version?: string;
}

export interface SchemaChoice {
  model: SchemaModel;
  /** The ACRN tree the model came from; undefined for the bundled fallback. */
  tree?: string;
  /** A problem met while loading a tree's schema (the fallback is used then). */
  error?: string;
}

/** The schema model for a document: from its ACRN tree, else the bundled fallback, else undefined. */
export function schemaFor(lookup: SchemaLookup): SchemaChoice | undefined {
  const tree = findAcrnTree(lookup.acrnTree, uriToPath(lookup.uri));
  let error: string | undefined;
  if (tree) {
    try {
      return { model: schemaForTree(tree), tree };
    } catch (e) {
      error = e instanceof SchemaLoadError ? e.message : String(e);
    }
  }
  const fb = lookup.family && fallback ? fallback(lookup.family, lookup.version) : undefined;
  if (fb) return error ? { model: fb, error } : { model: fb };
  return undefined;
}
