/**
 * A new AssertCaches for a front end to hold (hv-core/engine.ts re-exports this): passed with
 * each analysis as `AnalyzeOptions.caches` and to `loadBoard`.
 */
import { AssertCaches } from './caches.js';

export function createAnalysisCaches(): AssertCaches {
  return new AssertCaches();
}
