/**
 * The bundled fallback schema models, used when no ACRN tree is known (setting acrnNest.acrnTree
 * empty and none found above the scenario). Hand-written from the facts; see v2.ts and v3.ts.
 * Importing this module registers them with `schemaFor()` (schema/index.ts); a bundle keeps it
 * where `useBundledModels()` is called.
 */
import { setFallbackSchema } from '../index.js';
import type { SchemaFamily, SchemaModel } from '../model.js';
import { BUNDLED_V26 } from './v2.js';
import { BUNDLED_V33 } from './v3.js';

export { BUNDLED_V26, BUNDLED_V33 };

/**
 * The bundled model for a scenario: v3.3 for v3.x files, v2.6 for v2.6 files (and v2 files whose
 * minor version is unknown). v2.5 and v2.7 differ from v2.6 in enough values (v2.7 renamed SOS_VM
 * and the COM bases) that a v2.6 model would report false errors: they get none, so no schema
 * checks, only what the other layers say, until an ACRN tree is set.
 */
export function bundledModel(family: SchemaFamily, version?: string): SchemaModel | undefined {
  if (family === 'v3') return BUNDLED_V33;
  return version === undefined || version === '2.6' ? BUNDLED_V26 : undefined;
}

setFallbackSchema(bundledModel);

/**
 * Registers the bundled models with `schemaFor()` (importing this module does; the call is what
 * keeps this module in a bundle, whose modules scripts/build.mjs marks free of side effects).
 * Returns the model lookup.
 */
export function useBundledModels(): typeof bundledModel {
  setFallbackSchema(bundledModel);
  return bundledModel;
}
