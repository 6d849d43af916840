/**
 * The analyzer, loaded when first needed: the CLI's lint answers a cached file without loading
 * the checkers (in the CLI's bundles analyze.ts is dist/cli/analyze.js, loaded on demand).
 */
import type { analyzeText } from './analyze.js';

export async function loadAnalyzer(): Promise<{ analyzeText: typeof analyzeText }> {
  return import('./analyze.js');
}
