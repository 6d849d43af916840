/**
 * The consoles' and L2 guests' part of a target file. The target file format is hv-core/ssh-target's
 * (host, port, user, identityFile, knownHostsFile, …); consoles add two optional fields:
 *
 * ```json
 * { "host": "nuc", "user": "root",
 *   "console": { "type": "tcp", "host": "127.0.0.1", "port": 7001 },
 *   "l2": { "runDir": "~/.acrn-nest/l2", "accel": "kvm", "net": "tap", "powerdownTimeoutMs": 30000 } }
 * ```
 * `l2.accel: "tcg"` is the explicit setting that allows L2 guests without /dev/kvm.
 */
import path from 'node:path';
import type { Target } from '../ssh-target/target.js';
import { TargetError, parseTarget, readTargetJson, resolveLocalPath } from '../ssh-target/target.js';
import type { ConsoleConfig } from './config.js';
import { ConsoleConfigError, parseConsoleConfig } from './config.js';
import type { Accel } from '../l2/qemu.js';

export interface L2Settings {
  runDir?: string;
  accel?: Accel;
  net?: 'tap' | 'user' | 'none';
  powerdownTimeoutMs?: number;
}

export interface NestTarget {
  target: Target;
  console: ConsoleConfig | undefined;
  l2: L2Settings;
  file: string;
}

export function parseL2Settings(value: unknown, source: string): L2Settings {
  const fail = (f: string, m: string): never => {
    throw new ConsoleConfigError(source, `l2${f ? '.' + f : ''}`, m);
  };
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('', 'must be an object');
  const o = value as Record<string, unknown>;
  const out: L2Settings = {};
  for (const k of Object.keys(o)) if (!['runDir', 'accel', 'net', 'powerdownTimeoutMs'].includes(k)) fail(k, 'unknown field (known: runDir, accel, net, powerdownTimeoutMs)');
  if (o.runDir !== undefined) {
    if (typeof o.runDir !== 'string' || !(o.runDir.startsWith('/') || o.runDir.startsWith('~/')) || /[\0\r\n]/.test(o.runDir)) fail('runDir', 'must be an absolute path on the Service VM or start with ~/');
    out.runDir = o.runDir as string;
  }
  if (o.accel !== undefined) {
    if (o.accel !== 'kvm' && o.accel !== 'tcg') fail('accel', `must be "kvm" or "tcg", not ${JSON.stringify(o.accel)}`);
    out.accel = o.accel as Accel;
  }
  if (o.net !== undefined) {
    if (!['tap', 'user', 'none'].includes(o.net as string)) fail('net', `must be "tap", "user" or "none", not ${JSON.stringify(o.net)}`);
    out.net = o.net as L2Settings['net'];
  }
  if (o.powerdownTimeoutMs !== undefined) {
    const v = o.powerdownTimeoutMs;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 600_000) fail('powerdownTimeoutMs', 'must be an integer 0..600000');
    out.powerdownTimeoutMs = v as number;
  }
  return out;
}

/** Parses a target object with the console and l2 fields (settings or a parsed file). */
export function parseNestTarget(value: unknown, source: string): Omit<NestTarget, 'file'> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TargetError(source, undefined, 'must be a JSON object');
  const { console: c, l2, ...rest } = value as Record<string, unknown>;
  return {
    target: parseTarget(rest, source),
    console: c === undefined ? undefined : parseConsoleConfig(c, source),
    l2: parseL2Settings(l2, source),
  };
}

/** Reads a target file; relative identity and known_hosts paths are relative to the file. */
export function loadNestTarget(file: string): NestTarget {
  const t = parseNestTarget(readTargetJson(file), file);
  const dir = path.dirname(path.resolve(file));
  if (t.target.identityFile) t.target.identityFile = t.target.identityFile.map((f) => resolveLocalPath(f, dir));
  if (t.target.knownHostsFile) t.target.knownHostsFile = resolveLocalPath(t.target.knownHostsFile, dir);
  if (t.console?.type === 'ssh-serial') {
    if (t.console.identityFile) t.console.identityFile = t.console.identityFile.map((f) => resolveLocalPath(f, dir));
    if (t.console.knownHostsFile) t.console.knownHostsFile = resolveLocalPath(t.console.knownHostsFile, dir);
  }
  return { ...t, file };
}
