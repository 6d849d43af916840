/**
 * What the engine's operations take from the settings a front end made once (AcrnSettings,
 * hv-core/settings.ts), in one place rather than in each front end: the build's options from the
 * build host part and the target a name means. Re-exported by hv-core/engine.ts.
 */
import type { AcrnSettings, TargetSettings } from './settings.js';

/**
 * The build's options from the settings: make's python3 (local builds only: a build host uses
 * its own), `make -j` and the extra `VAR=value` arguments.
 */
export function buildOptionsFrom(settings: AcrnSettings, opts: { remote: boolean }): { python: string | undefined; jobs: number | undefined; makeVars: string[] } {
  const { python, jobs, makeVariables } = settings.build;
  return { python: opts.remote ? undefined : python, jobs, makeVars: makeVariables };
}

/** The target of that name in the settings, if there is one. */
export function targetNamed(settings: AcrnSettings, name: string | undefined): TargetSettings | undefined {
  return name === undefined ? undefined : settings.targets.find((t) => t.target.name === name);
}

