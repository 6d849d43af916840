/**
 * Which target a command uses, decided without a window: the one named (a task's "target", the
 * build host), else `acrnNest.defaultTarget`, else the only one, else the user picks (the default
 * first). Errors carry stable codes (extension/errorActions.ts maps them to actions).
 */
import type { ResolvedTarget, TargetSettings } from '../hv-core/engine.js';
import { AcrnNestError, ErrorCodes } from '../hv-core/engine.js';
import { Settings } from './constants.js';

export type TargetChoice =
  | { kind: 'target'; target: ResolvedTarget }
  | { kind: 'none' }
  | { kind: 'pick'; items: { target: ResolvedTarget; isDefault: boolean }[] };

export function chooseTarget(configured: { targets: TargetSettings[]; errors: string[] }, name: string | undefined, defaultTarget: string | undefined, ask = false): TargetChoice {
  if (configured.errors.length) throw new AcrnNestError(ErrorCodes.badTargets, configured.errors.join('; '));
  const targets = configured.targets.map((t) => t.target);
  if (targets.length === 0) return { kind: 'none' };
  const wanted = name ?? (ask ? undefined : defaultTarget);
  if (wanted) {
    const t = targets.find((x) => x.name === wanted);
    if (!t) throw new AcrnNestError(ErrorCodes.unknownTarget, `target "${wanted}" is not in ${Settings.targets} (known: ${targets.map((x) => x.name).join(', ')})`);
    return { kind: 'target', target: t };
  }
  if (targets.length === 1 && !ask) return { kind: 'target', target: targets[0]! };
  const ordered = [...targets.filter((t) => t.name === defaultTarget), ...targets.filter((t) => t.name !== defaultTarget)];
  return { kind: 'pick', items: ordered.map((target) => ({ target, isDefault: target.name === defaultTarget })) };
}
