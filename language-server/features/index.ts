import type { ServerFeature } from './feature.js';
import { codeActionsFeature } from './code-actions.js';
import { completionFeature } from './completion.js';
import { hoverFeature } from './hover.js';
import { outlineFeature } from './outline.js';
import { nvmxLensFeature } from './nvmxActions.js';

/** Every LSP feature beyond diagnostics; later layers add theirs here. */
export const FEATURES: ServerFeature[] = [completionFeature, hoverFeature, codeActionsFeature, outlineFeature, nvmxLensFeature];
