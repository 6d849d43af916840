import type { ServerFeature } from './feature.js';
import { nvmxLensFeature } from './nvmxActions.js';

/** Every LSP feature beyond diagnostics; later layers add theirs here. */
export const FEATURES: ServerFeature[] = [nvmxLensFeature];
