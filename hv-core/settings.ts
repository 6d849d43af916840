/**
 * The engine's settings: one typed, fully resolved object that every front end makes once (the
 * extension through extension/config.ts from `acrnNest.*`, the language server from the client's
 * settings, the CLI from flags and target files) and hands to the engine. Paths in it are absolute:
 * `${workspaceFolder}`, `${userHome}`, `${env:NAME}` and a leading `~` are expanded and relative
 * paths are resolved against the workspace folder, here, once, so no engine operation ever sees a
 * raw setting. Also the one board lookup (`boardFor`) and the one "is this an ACRN file?" check
 * (`isAcrnText`) the front ends share.
 */
import { DEFAULT_MAX_FILE_MB } from './files.js';
import type { PathScope } from './settings-paths.js';
import { resolveSettingPath, SETTINGS_SECTION } from './settings-paths.js';
import type { ConsoleConfig } from './console/config.js';
import type { L2Settings } from './console/targetFile.js';
import { parseConsoleConfig } from './console/config.js';
import { parseL2Settings } from './console/targetFile.js';
import type { ResolveOptions } from './ssh-target/resolve.js';
import { resolveTarget } from './ssh-target/resolve.js';
import type { ResolvedTarget } from './ssh-target/target.js';
import { parseTarget, TargetError } from './ssh-target/target.js';

export type { PathScope } from './settings-paths.js';
export { acrnKind, boardFor, DEFAULT_RAW_SETTINGS, isAcrnText, resolveSettingPath, SETTINGS_SECTION } from './settings-paths.js';

/** `acrnNest.*` as the user wrote them (the JSON of VS Code's settings, or the LSP client's). */
export interface RawSettings {
  acrnTree?: string;
  boardFile?: string;
  maxFileSizeMB?: number;
  targets?: unknown[];
  defaultTarget?: string;
  build?: { host?: string; hostAcrnTree?: string; python?: string; jobs?: number; makeVariables?: string[] };
}

/** A target from settings, resolved (ssh config, defaults, absolute local paths), with its parts. */
export interface TargetSettings {
  target: ResolvedTarget;
  console: ConsoleConfig | undefined;
  l2: L2Settings;
  /** `setting acrnNest.targets[i]`. */
  source: string;
  /**
   * Why the `console` / `l2` part is not valid (then `console` is undefined and `l2` empty): the
   * target still deploys; the consoles report this when they are used.
   */
  partsError?: Error;
}

/** The engine's settings: absolute paths, defaults applied, targets validated. */
export interface AcrnSettings {
  /** The ACRN tree setting; undefined: found from the scenario (walking up). */
  acrnTree: string | undefined;
  /** The board XML setting; undefined: found from the scenario (`boardFor`). */
  boardFile: string | undefined;
  limits: { maxFileMB: number };
  targets: TargetSettings[];
  /** One message per target entry that is not valid (the others are still usable). */
  targetErrors: string[];
  defaultTarget: string | undefined;
  build: {
    /** A target name (build over SSH), or undefined: build here. */
    host: string | undefined;
    /** The tree on the build host: a remote path, kept as written. */
    hostAcrnTree: string | undefined;
    python: string | undefined;
    jobs: number | undefined;
    makeVariables: string[];
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** Local paths of a target entry: `~`, variables and relative paths resolved like other settings. */
function resolveTargetPaths(entry: Record<string, unknown>, scope: PathScope): Record<string, unknown> {
  const out: Record<string, unknown> = { ...entry };
  const one = (v: unknown): unknown => (typeof v === 'string' && v !== '' ? resolveSettingPath(v, scope) : v);
  const many = (v: unknown): unknown => (typeof v === 'string' ? one(v) : Array.isArray(v) ? v.map(one) : v);
  if (out.identityFile !== undefined) out.identityFile = many(out.identityFile);
  if (out.knownHostsFile !== undefined) out.knownHostsFile = one(out.knownHostsFile);
  const c = out.console;
  if (c && typeof c === 'object' && !Array.isArray(c) && (c as { type?: unknown }).type === 'ssh-serial') {
    const cc = { ...(c as Record<string, unknown>) };
    if (cc.identityFile !== undefined) cc.identityFile = many(cc.identityFile);
    if (cc.knownHostsFile !== undefined) cc.knownHostsFile = one(cc.knownHostsFile);
    out.console = cc;
  }
  return out;
}

/** `acrnNest.targets`: each entry the target file's fields, or `{ name, sshAlias }`. */
export function resolveTargetSettings(raw: unknown[] | undefined, scope: PathScope = {}, resolveOpts: ResolveOptions = {}): { targets: TargetSettings[]; errors: string[] } {
  const targets: TargetSettings[] = [];
  const errors: string[] = [];
  (Array.isArray(raw) ? raw : []).forEach((entry, i) => {
    const source = `setting ${SETTINGS_SECTION}.targets[${i}]`;
    try {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new TargetError(source, undefined, 'must be an object');
      const { sshAlias, ...rest } = entry as Record<string, unknown>;
      if (sshAlias !== undefined && rest.host !== undefined) throw new TargetError(source, 'sshAlias', 'give either "sshAlias" or "host", not both');
      const { console: c, l2, ...fields } = resolveTargetPaths(sshAlias !== undefined ? { ...rest, host: sshAlias } : rest, scope);
      const t: TargetSettings = { target: resolveTarget(parseTarget(fields, source), resolveOpts), console: undefined, l2: {}, source };
      try {
        t.console = c === undefined ? undefined : parseConsoleConfig(c, source);
        t.l2 = parseL2Settings(l2, source);
      } catch (e) {
        t.console = undefined;
        t.l2 = {};
        t.partsError = e instanceof Error ? e : new Error(String(e));
      }
      targets.push(t);
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
  });
  return { targets, errors };
}

/** Raw settings -> the engine's settings (once per front end and settings change). */
export function resolveSettings(raw: RawSettings, scope: PathScope = {}, resolveOpts: ResolveOptions = {}): AcrnSettings {
  const b = raw.build ?? {};
  const max = raw.maxFileSizeMB;
  const { targets, errors } = resolveTargetSettings(raw.targets, scope, resolveOpts);
  const jobs = typeof b.jobs === 'number' && Number.isInteger(b.jobs) && b.jobs > 0 ? b.jobs : undefined;
  return {
    acrnTree: resolveSettingPath(str(raw.acrnTree), scope),
    boardFile: resolveSettingPath(str(raw.boardFile), scope),
    limits: { maxFileMB: typeof max === 'number' && max > 0 ? max : DEFAULT_MAX_FILE_MB },
    targets,
    targetErrors: errors,
    defaultTarget: str(raw.defaultTarget),
    build: {
      host: str(b.host),
      hostAcrnTree: str(b.hostAcrnTree),
      python: resolveSettingPath(str(b.python), scope),
      jobs,
      makeVariables: Array.isArray(b.makeVariables) ? b.makeVariables.filter((v): v is string => typeof v === 'string') : [],
    },
  };
}

