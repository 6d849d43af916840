/**
 * What to call a scenario's nested-virtualization state (issue 11): "on" only when every recipe
 * step that applies is satisfied; "partly on (n of m steps)" when NVMX is switched on but steps
 * fail; "off" when it is not switched on. The code lens and the wizard's badge both say this.
 */
import type { NvmxStatus } from './engine.js';

export interface NvmxSummary {
  state: 'on' | 'partly' | 'off';
  /** Applicable recipe steps satisfied, of `total`. */
  satisfied: number;
  total: number;
  /** "on", "partly on (5 of 8 steps)", "off". */
  text: string;
}

export function nvmxSummary(s: Pick<NvmxStatus, 'enabled' | 'complete' | 'steps'>): NvmxSummary {
  const applicable = s.steps.filter((x) => !x.notApplicable);
  const satisfied = applicable.filter((x) => x.satisfied).length;
  const total = applicable.length;
  if (s.enabled && s.complete) return { state: 'on', satisfied, total, text: 'on' };
  if (s.enabled) return { state: 'partly', satisfied, total, text: `partly on (${satisfied} of ${total} steps)` };
  return { state: 'off', satisfied, total, text: 'off' };
}
