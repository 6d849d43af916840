/**
 * The consoles' part of a target in settings: `acrnNest.targets[i].console` and `.l2` (the same
 * fields as the target file, validated by hv-core/console), as Config resolved them.
 */
import type { ConsoleConfig, L2Settings, ResolvedTarget } from '../../hv-core/engine.js';
import type { Config } from '../config.js';

export function consoleSettings(config: Config, target: ResolvedTarget): { console: ConsoleConfig | undefined; l2: L2Settings } {
  const entry = config.targets().targets.find((t) => t.target.name === target.name);
  // An invalid console/l2 part is reported where it is used (as before), not by every target pick.
  if (entry?.partsError) throw entry.partsError;
  return entry ? { console: entry.console, l2: entry.l2 } : { console: undefined, l2: {} };
}
