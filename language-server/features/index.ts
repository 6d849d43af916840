import type { ServerFeature } from './feature.js';

/** Every LSP feature beyond diagnostics; later layers add theirs here. */
export const FEATURES: ServerFeature[] = [];
