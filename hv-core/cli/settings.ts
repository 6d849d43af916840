/**
 * The CLI's one place where flags and target files become the engine's settings: the options the
 * commands share (declared once, each command picks the ones it takes), their checks (a seconds
 * value, a positive job count), the target file loaded and resolved, the sudo password read from
 * stdin and the host-key prompt of --accept-new-host-key. `cliSettings()` gives the same
 * `AcrnSettings` the extension's Config and the language server make (hv-core/settings.ts), with
 * paths resolved against the working directory (a target file resolves its own relative paths).
 */
import path from 'node:path';
import type { AcrnSettings, HostKeyInfo, NestTarget, ResolvedTarget, TargetSettings } from '../engine.js';
import { DEFAULT_MAX_FILE_MB, TargetError, loadNestTarget, loadTargetFile, resolveTarget, targetNamed } from '../engine.js';
import type { CliIO } from './io.js';
import { UsageError } from './io.js';

/** The options more than one command takes, as node:util parseArgs declares them. */
export const SHARED_OPTIONS = {
  'acrn-tree': { type: 'string' },
  board: { type: 'string' },
  scenario: { type: 'string' },
  'target-file': { type: 'string' },
  'accept-new-host-key': { type: 'boolean', default: false },
  'sudo-password-stdin': { type: 'boolean', default: false },
  'no-reboot': { type: 'boolean', default: false },
  timeout: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

type Shared = typeof SHARED_OPTIONS;

/** The shared declarations of `names`, to spread into a command's parseArgs options. */
export function sharedOptions<K extends keyof Shared>(...names: K[]): Pick<Shared, K> {
  const out = {} as Pick<Shared, K>;
  for (const n of names) out[n] = SHARED_OPTIONS[n];
  return out;
}

/** The flags cliSettings reads (each optional: a command passes what it declared). */
export interface SettingsFlags {
  'acrn-tree'?: string | undefined;
  board?: string | undefined;
  'target-file'?: string | undefined;
  'build-host'?: string | undefined;
  python?: string | undefined;
  jobs?: number | undefined;
  'make-var'?: string[] | undefined;
}

export interface CliSettingsOptions {
  /** The tree flag names a path on the build host (`--build-host`): kept as written. */
  remoteTree?: boolean;
  /** The tree, when --acrn-tree is absent (board inspect: $ACRN_TREE). */
  treeFallback?: string | undefined;
  /**
   * How a target file (an absolute path) is read: `loadCliTarget` (the target: deploy, inspect,
   * build's --build-host) or `loadCliNestTarget` (with its console and l2 parts: console, l2,
   * doctor). A parameter, not an import, so a command bundles only the reader it uses (lint and
   * nvmx, which take no target, no SSH config parsing at all).
   */
  loadTarget?: (file: string) => TargetSettings;
}

/** A path flag, absolute (against the working directory). */
export function cliPath(io: Pick<CliIO, 'cwd'>, p: string): string {
  return path.resolve(io.cwd, p);
}

/** A target file, loaded and resolved (ssh config, defaults) as the engine's target settings. */
export function loadCliTarget(file: string): TargetSettings {
  return { target: resolveTarget(loadTargetFile(file)), console: undefined, l2: {}, source: file };
}

/** A target file with its console and l2 parts (console, l2, doctor), loaded and resolved. */
export function loadCliNestTarget(file: string): TargetSettings {
  const n: NestTarget = loadNestTarget(file);
  return { target: resolveTarget(n.target), console: n.console, l2: n.l2, source: file };
}

/**
 * Flags and target files -> the engine's settings (once per command run). A target file that is
 * not valid throws its TargetError (deploy and inspect report it with exit 2, see targetOrExit).
 */
export function cliSettings(flags: SettingsFlags, io: Pick<CliIO, 'cwd'>, opts: CliSettingsOptions = {}): AcrnSettings {
  const abs = (p: string | undefined): string | undefined => (p ? cliPath(io, p) : undefined);
  const tree = flags['acrn-tree'] ?? opts.treeFallback;
  // The target file first, the build host last: cliTarget and cliBuildHost find them so even
  // when both have the same name.
  const load = (file: string): TargetSettings => {
    if (!opts.loadTarget) throw new Error('cliSettings: a target file needs opts.loadTarget');
    return opts.loadTarget(cliPath(io, file));
  };
  const main = flags['target-file'] ? load(flags['target-file']) : undefined;
  const buildHost = flags['build-host'] ? load(flags['build-host']) : undefined;
  const targets = [main, buildHost].filter((t): t is TargetSettings => t !== undefined);
  return {
    acrnTree: opts.remoteTree ? undefined : abs(tree),
    boardFile: abs(flags.board),
    limits: { maxFileMB: DEFAULT_MAX_FILE_MB },
    targets,
    targetErrors: [],
    defaultTarget: main?.target.name,
    build: {
      host: buildHost?.target.name,
      hostAcrnTree: opts.remoteTree ? tree : undefined,
      python: abs(flags.python),
      jobs: flags.jobs,
      makeVariables: flags['make-var'] ?? [],
    },
  };
}

/** The target of `--target-file` in settings made by cliSettings. */
export function cliTarget(settings: AcrnSettings): TargetSettings | undefined {
  return targetNamed(settings, settings.defaultTarget);
}

/** The build host of `--build-host` in settings made by cliSettings. */
export function cliBuildHost(settings: AcrnSettings): ResolvedTarget | undefined {
  return settings.build.host === undefined ? undefined : [...settings.targets].reverse().find((t) => t.target.name === settings.build.host)?.target;
}

/**
 * cliSettings for the commands that report a target file's mistake as `acrn-nest CMD: message`
 * with exit status 2 (deploy, board inspect): the settings, or the exit status.
 */
export function settingsOrExit(command: string, io: CliIO, make: () => AcrnSettings): AcrnSettings | number {
  try {
    return make();
  } catch (e) {
    if (e instanceof TargetError) {
      io.err(`acrn-nest ${command}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

/** `--timeout SEC` (or another seconds flag) -> milliseconds; undefined when absent. */
export function secondsFlag(value: string | undefined, flag = '--timeout'): number | undefined {
  if (value === undefined) return undefined;
  const s = Number(value);
  if (!Number.isFinite(s) || s <= 0) throw new UsageError(`${flag} must be a number of seconds, not '${value}'`);
  return s * 1000;
}

/** `--jobs N`: a positive integer; undefined when absent. */
export function jobsFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const jobs = Number(value);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs must be a positive integer, not '${value}'`);
  return jobs;
}

async function readFirstLine(stream: NodeJS.ReadableStream): Promise<string> {
  return await new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer | string): void => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) {
        done();
        resolve(buf.slice(0, i).replace(/\r$/, ''));
      }
    };
    const onEnd = (): void => {
      done();
      resolve(buf.replace(/\r?\n$/, ''));
    };
    const done = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', reject);
      (stream as NodeJS.ReadStream).pause?.();
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', reject);
  });
}

/** `--sudo-password-stdin`: the first line of stdin (never an argument or the environment). */
export async function sudoPasswordFlag(wanted: boolean, io: CliIO): Promise<string | undefined> {
  if (!wanted) return undefined;
  if (!io.stdin) throw new UsageError('--sudo-password-stdin needs a standard input');
  return await readFirstLine(io.stdin);
}

/**
 * The SSH connection options of deploy and board inspect: the sudo password, if given, and an
 * unknown host key accepted (and said so) only with --accept-new-host-key.
 */
export function connectFlags(io: CliIO, accept: boolean, sudoPassword: string | undefined): { sudoPassword?: string; onUnknownHostKey: (info: HostKeyInfo) => boolean } {
  return {
    ...(sudoPassword !== undefined ? { sudoPassword } : {}),
    onUnknownHostKey: (info) => {
      if (!accept) return false;
      io.out(`accepted the new host key of ${info.target}: ${info.keyType} ${info.fingerprint} (recorded in ${info.knownHostsFile})`);
      return true;
    },
  };
}
