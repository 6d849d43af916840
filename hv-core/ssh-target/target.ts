/**
 * A deploy target: the board's Service VM reached over SSH. Read from a JSON target file (CLI) or
 * from settings (VS Code), validated with errors that name the field and the file, then resolved
 * (ssh-config alias, defaults) into a `ResolvedTarget` where every field is set.
 *
 * Target file (every field but `host` optional; paths are paths ON THE BOARD):
 * ```json
 * { "name": "nuc", "host": "nuc.lan or an ~/.ssh/config alias", "port": 22, "user": "root",
 *   "identityFile": "~/.ssh/id_ed25519", "knownHostsFile": "./known_hosts",
 *   "bootDir": "/boot/acrn", "grubScriptDir": "/etc/grub.d", "kernel": "/boot/vmlinuz",
 *   "commands": { "updateGrub": "update-grub", "grubReboot": "grub-reboot",
 *                 "grubSetDefault": "grub-set-default", "reboot": "reboot" },
 *   "sudo": true }
 * ```
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { splitCommand } from './quote.js';

/** A GRUB module: the file on the board and the tag ACRN looks it up by. */
export interface BootModule {
  path: string;
  tag: string;
}

export interface TargetCommands {
  /** Regenerates grub.cfg. Default `update-grub`. */
  updateGrub: string[];
  /** One-shot boot of an entry (the entry id is appended). Default `grub-reboot`. */
  grubReboot: string[];
  /** Makes an entry the default (the entry id is appended). Default `grub-set-default`. */
  grubSetDefault: string[];
  /** Reboots the board. Default `reboot`. */
  reboot: string[];
  /** GRUB's environment block tool, before its subcommand (`list`, `unset NAME` are appended). Default `grub-editenv -`. */
  grubEditenv: string[];
}

/** A target as written by the user: only `host` is required. */
export interface Target {
  name?: string;
  host: string;
  port?: number;
  user?: string;
  identityFile?: string[];
  knownHostsFile?: string;
  bootDir?: string;
  /** File name of the image in bootDir. Default `acrn.bin`. */
  imageName?: string;
  grubScriptDir?: string;
  /** Our GRUB script's file name in grubScriptDir. Default `41_acrn_nest` (never 40_custom). */
  grubScriptName?: string;
  /** The Service VM kernel on the board; `tag` defaults to the scenario's os_config/kern_mod. */
  kernel?: string;
  kernelTag?: string;
  /** Extra modules (e.g. pre-launched VM kernels), by tag. */
  modules?: BootModule[];
  /** Extra multiboot2 command line; default: the running kernel's `root=` from /proc/cmdline. */
  cmdline?: string;
  commands?: Partial<TargetCommands>;
  /**
   * The file that exists only while the Service VM runs on the hypervisor. Default /dev/acrn_hsm
   * (ACRN v2.6+; older ACRN: /dev/acrn_vhm; the virtual board's Xen stand-in: /sys/hypervisor/type).
   */
  hypervisorProbe?: string;
  /** The grub.cfg that update-grub writes and GRUB reads. Default /boot/grub/grub.cfg. */
  grubCfg?: string;
  /**
   * Where GRUB_DEFAULT is not `saved` (Ubuntu's 0, grub-acrn's title), "manage" (default) lets the
   * deploy add /etc/default/grub.d/zz-acrn-nest.cfg (GRUB_DEFAULT=saved, today's default kept) so
   * a verified image can become the default; "keep" refuses at step 1 instead.
   */
  grubDefault?: 'manage' | 'keep';
  /** Run privileged commands through sudo. Default: true unless the user is root. */
  sudo?: boolean;
  proxyJump?: string;
  /** Where this target came from (file path or "settings"), for error messages. */
  source?: string;
}

/** Every field set: what the connection and the deploy use. */
export interface ResolvedTarget {
  name: string;
  /** What the user wrote (alias or host name), used in messages and known_hosts lookups of aliases. */
  alias: string;
  host: string;
  port: number;
  user: string;
  identityFiles: string[];
  knownHostsFiles: string[];
  /** known_hosts file new keys are recorded in after the user accepts them. */
  knownHostsWrite: string;
  bootDir: string;
  imageName: string;
  grubScriptDir: string;
  grubScriptName: string;
  kernel: string;
  kernelTag: string | undefined;
  modules: BootModule[];
  cmdline: string | undefined;
  commands: TargetCommands;
  hypervisorProbe: string;
  grubCfg: string;
  grubDefault: 'manage' | 'keep';
  sudo: boolean;
  proxyJump: string | undefined;
  source: string;
}

/** Ubuntu defaults for every remote path and command. */
export const TARGET_DEFAULTS = {
  port: 22,
  bootDir: '/boot/acrn',
  imageName: 'acrn.bin',
  grubScriptDir: '/etc/grub.d',
  grubScriptName: '41_acrn_nest',
  kernel: '/boot/vmlinuz',
  hypervisorProbe: '/dev/acrn_hsm',
  grubCfg: '/boot/grub/grub.cfg',
  grubDefault: 'manage',
  commands: {
    updateGrub: ['update-grub'],
    grubReboot: ['grub-reboot'],
    grubSetDefault: ['grub-set-default'],
    reboot: ['reboot'],
    grubEditenv: ['grub-editenv', '-'],
  } satisfies TargetCommands,
} as const;

/** A bad target file or setting; `field` is the JSON field, `source` the file. */
export class TargetError extends Error {
  constructor(
    readonly source: string,
    readonly field: string | undefined,
    message: string,
  ) {
    super(`${source}${field ? `: field "${field}"` : ''}: ${message}`);
    this.name = 'TargetError';
  }
}

// `console` and `l2` belong to the consoles (validated in hv-core/console/targetFile.ts).
const FIELDS = new Set(['name', 'host', 'port', 'user', 'identityFile', 'knownHostsFile', 'bootDir', 'imageName', 'grubScriptDir', 'grubScriptName', 'kernel', 'kernelTag', 'modules', 'cmdline', 'commands', 'hypervisorProbe', 'grubCfg', 'grubDefault', 'sudo', 'proxyJump', '$schema', 'comment', 'console', 'l2']);
const COMMAND_FIELDS = new Set(['updateGrub', 'grubReboot', 'grubSetDefault', 'reboot', 'grubEditenv']);

/** Validates a parsed JSON value as a Target; throws TargetError naming the field and the source. */
export function parseTarget(value: unknown, source = 'target'): Target {
  const fail = (field: string | undefined, msg: string): never => {
    throw new TargetError(source, field, msg);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(undefined, 'must be a JSON object');
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!FIELDS.has(k)) fail(k, `unknown field (known: ${[...FIELDS].filter((f) => !f.startsWith('$') && f !== 'comment').join(', ')})`);
  const str = (k: string, opts: { abs?: boolean; required?: boolean } = {}): string | undefined => {
    const v = o[k];
    if (v === undefined || v === null) {
      if (opts.required) fail(k, 'is required');
      return undefined;
    }
    if (typeof v !== 'string') return fail(k, `must be a string, not ${JSON.stringify(v)}`);
    if (v.trim() === '') return fail(k, 'must not be empty');
    if (v.includes('\0') || /[\r\n]/.test(v)) return fail(k, 'must not contain NUL or line breaks');
    if (opts.abs && !v.startsWith('/')) fail(k, `must be an absolute path on the board, not "${v}"`);
    return v;
  };
  const t: Target = { host: str('host', { required: true })! };
  if (/\s/.test(t.host) || t.host.startsWith('-')) fail('host', `"${t.host}" is not a host name`);
  const name = str('name');
  if (name !== undefined) t.name = name;
  if (o.port !== undefined) {
    const p = o.port;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) fail('port', `must be an integer 1..65535, not ${JSON.stringify(p)}`);
    t.port = p as number;
  }
  const user = str('user');
  if (user !== undefined) {
    if (user.startsWith('-') || /[\s@:]/.test(user)) fail('user', `"${user}" is not a user name`);
    t.user = user;
  }
  if (o.identityFile !== undefined) {
    const v = o.identityFile;
    const list = typeof v === 'string' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'string' && x !== '') ? (v as string[]) : fail('identityFile', 'must be a path or a list of paths');
    t.identityFile = list;
  }
  const khf = str('knownHostsFile');
  if (khf !== undefined) t.knownHostsFile = khf;
  for (const k of ['bootDir', 'grubScriptDir', 'kernel'] as const) {
    const v = str(k, { abs: true });
    if (v !== undefined) t[k] = v.length > 1 ? v.replace(/\/+$/, '') : v;
  }
  for (const k of ['imageName', 'grubScriptName'] as const) {
    const v = str(k);
    if (v !== undefined) {
      if (v.includes('/') || v === '.' || v === '..') fail(k, `must be a plain file name, not "${v}"`);
      t[k] = v;
    }
  }
  if (t.grubScriptName === '40_custom') fail('grubScriptName', 'acrn-nest never writes 40_custom (it is yours); use another name such as 41_acrn_nest');
  if (t.grubScriptName && !/^\d\d_/.test(t.grubScriptName)) fail('grubScriptName', `must start with two digits and "_" (update-grub only runs such files), not "${t.grubScriptName}"`);
  const tag = str('kernelTag');
  if (tag !== undefined) {
    if (/\s/.test(tag)) fail('kernelTag', 'must not contain spaces');
    t.kernelTag = tag;
  }
  if (o.modules !== undefined) {
    if (!Array.isArray(o.modules)) fail('modules', 'must be a list of {"path", "tag"}');
    t.modules = (o.modules as unknown[]).map((m, i) => {
      const mm = m as Record<string, unknown>;
      if (typeof m !== 'object' || m === null || typeof mm.path !== 'string' || typeof mm.tag !== 'string') return fail(`modules[${i}]`, 'must be {"path": "/boot/...", "tag": "Zephyr_RawImage"}');
      if (!mm.path.startsWith('/')) fail(`modules[${i}].path`, 'must be an absolute path on the board');
      if (/\s/.test(mm.tag) || mm.tag === '') fail(`modules[${i}].tag`, 'must be one word');
      return { path: mm.path, tag: mm.tag };
    });
  }
  const cmdline = str('cmdline');
  if (cmdline !== undefined) t.cmdline = cmdline;
  if (o.commands !== undefined) {
    if (typeof o.commands !== 'object' || o.commands === null || Array.isArray(o.commands)) fail('commands', 'must be an object');
    const c = o.commands as Record<string, unknown>;
    t.commands = {};
    for (const [k, v] of Object.entries(c)) {
      if (!COMMAND_FIELDS.has(k)) fail(`commands.${k}`, `unknown command (known: ${[...COMMAND_FIELDS].join(', ')})`);
      let argv: string[];
      if (typeof v === 'string') {
        try {
          argv = splitCommand(v);
        } catch (e) {
          return fail(`commands.${k}`, (e as Error).message);
        }
      } else if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) argv = v as string[];
      else return fail(`commands.${k}`, 'must be a command string or a non-empty list of words');
      (t.commands as Record<string, string[]>)[k] = argv;
    }
  }
  const probe = str('hypervisorProbe', { abs: true });
  if (probe !== undefined) t.hypervisorProbe = probe;
  const cfg = str('grubCfg', { abs: true });
  if (cfg !== undefined) t.grubCfg = cfg;
  if (o.grubDefault !== undefined) {
    if (o.grubDefault !== 'manage' && o.grubDefault !== 'keep') fail('grubDefault', `must be "manage" or "keep", not ${JSON.stringify(o.grubDefault)}`);
    t.grubDefault = o.grubDefault as 'manage' | 'keep';
  }
  if (o.sudo !== undefined) {
    if (typeof o.sudo !== 'boolean') fail('sudo', 'must be true or false');
    t.sudo = o.sudo as boolean;
  }
  const pj = str('proxyJump');
  if (pj !== undefined) t.proxyJump = pj;
  t.source = source;
  return t;
}

/** A target file's JSON, with errors that name the file. */
export function readTargetJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TargetError(file, undefined, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new TargetError(file, undefined, `not valid JSON: ${(e as Error).message}`);
  }
}

/** Reads and validates a JSON target file; relative identity/known_hosts paths are relative to it. */
export function loadTargetFile(file: string): Target {
  const t = parseTarget(readTargetJson(file), file);
  const dir = path.dirname(path.resolve(file));
  if (t.identityFile) t.identityFile = t.identityFile.map((f) => resolveLocalPath(f, dir));
  if (t.knownHostsFile) t.knownHostsFile = resolveLocalPath(t.knownHostsFile, dir);
  return t;
}

/** `~/x` -> home, relative -> against `base`. */
export function resolveLocalPath(p: string, base: string): string {
  if (p === '~' || p.startsWith('~/')) return path.join(os.homedir(), p.slice(1));
  return path.resolve(base, p);
}

/** Remote path helper: joins POSIX paths on the board. */
export function remoteJoin(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}
