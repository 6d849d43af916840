/**
 * The shapes of one Build / Deploy / Build and Deploy run, shared by the build controller
 * (extension/build.ts) and the task provider (extension/tasks.ts) so neither imports the other's
 * module for them.
 */
import type { BuildResult, DeployResult } from '../hv-core/engine.js';

export type Action = 'build' | 'deploy' | 'buildAndDeploy';

/** Where a run's output goes: the output channel, or a task's pseudoterminal. */
export interface Sink {
  line(text: string): void;
  step(message: string, increment?: number): void;
}

export interface RunRequest {
  action: Action;
  scenario?: string;
  board?: string;
  target?: string;
  signal: AbortSignal;
  sink: Sink;
  /** Task runs report findings through their problem matcher (printed lines), not diagnostics. */
  publishDiagnostics: boolean;
}

export interface RunOutcome {
  ok: boolean;
  build?: BuildResult;
  deploy?: DeployResult;
  /** The step that failed, in words, and why; `code` is the stable error code (errorActions.ts). */
  failure?: { step: string; message: string; hint?: string; code?: string; tree?: string };
  cancelled?: boolean;
}

/** What runs a request (the build controller); tasks only need this. */
export interface Runner {
  run(req: RunRequest): Promise<RunOutcome>;
}
