/**
 * Resolves a Target into a ResolvedTarget: an alias from ~/.ssh/config (parsed with the
 * `ssh-config` package) supplies HostName, User, Port, IdentityFile and ProxyJump; fields set in
 * the target win over the ssh config (as options on ssh's command line do); the rest gets
 * Ubuntu defaults. `Match exec` blocks are never evaluated (the config might not be the user's).
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ResolvedTarget, Target } from './target.js';
import { TARGET_DEFAULTS, TargetError, resolveLocalPath } from './target.js';

export interface SshConfigEntry {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  proxyJump?: string;
  userKnownHostsFiles: string[];
}

export interface ResolveOptions {
  /** ~/.ssh/config text; default: read `sshConfigFile`. */
  sshConfigText?: string;
  /** Default ~/.ssh/config. */
  sshConfigFile?: string;
  /** Default os.homedir(). */
  homeDir?: string;
  /** Default os.userInfo().username. */
  localUser?: string;
}

/** The part of the `ssh-config` package we use (its types are ESM-only; we are CommonJS). */
interface SshConfigModule {
  parse(text: string): { compute(host: string, opts: { ignoreCase: boolean; matchExec: boolean }): Record<string, string | string[]> };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SSHConfig = require('ssh-config') as SshConfigModule;

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Expands ssh_config tokens we can know locally: %h (host), %u (local user), %r (remote user), %d (home), %%. */
function expandTokens(s: string, host: string, remoteUser: string, home: string, localUser: string): string {
  return s.replace(/%([hurd%])/g, (_m, c: string) => (c === 'h' ? host : c === 'u' ? localUser : c === 'r' ? remoteUser : c === 'd' ? home : '%'));
}

/** What ~/.ssh/config says about `alias` (empty when it says nothing). */
export function lookupSshConfig(alias: string, configText: string, home = os.homedir(), localUser = safeUser()): SshConfigEntry {
  const cfg = SSHConfig.parse(configText);
  const c = cfg.compute(alias, { ignoreCase: true, matchExec: false });
  const hostName = first(c.hostname);
  const user = first(c.user);
  const portText = first(c.port);
  const out: SshConfigEntry = { identityFiles: [], userKnownHostsFiles: [] };
  if (hostName) out.hostName = expandTokens(hostName, alias, user ?? localUser, home, localUser);
  if (user) out.user = user;
  if (portText) {
    const p = Number(portText);
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new TargetError('~/.ssh/config', `Host ${alias}`, `Port "${portText}" is not a port number`);
    out.port = p;
  }
  const ids = c.identityfile;
  for (const f of Array.isArray(ids) ? ids : ids ? [ids] : []) {
    out.identityFiles.push(resolveLocalPath(expandTokens(f, out.hostName ?? alias, out.user ?? localUser, home, localUser).replace(/^~(?=\/|$)/, home), home));
  }
  const pj = first(c.proxyjump);
  if (pj && pj.toLowerCase() !== 'none') out.proxyJump = pj;
  const ukh = c.userknownhostsfile;
  for (const f of Array.isArray(ukh) ? ukh : ukh ? ukh.split(/\s+/) : []) if (f.toLowerCase() !== 'none') out.userKnownHostsFiles.push(resolveLocalPath(f.replace(/^~(?=\/|$)/, home), home));
  return out;
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}

/** Target -> ResolvedTarget (ssh config alias, defaults). */
export function resolveTarget(t: Target, opts: ResolveOptions = {}): ResolvedTarget {
  const home = opts.homeDir ?? os.homedir();
  const localUser = opts.localUser ?? safeUser();
  let text = opts.sshConfigText;
  if (text === undefined) {
    const file = opts.sshConfigFile ?? path.join(home, '.ssh', 'config');
    text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  }
  const sc = lookupSshConfig(t.host, text, home, localUser);
  const user = t.user ?? sc.user ?? localUser;
  const defaultIds = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((n) => path.join(home, '.ssh', n)).filter((f) => existsSync(f));
  const identityFiles = t.identityFile ?? (sc.identityFiles.length ? sc.identityFiles : defaultIds);
  const userKh = sc.userKnownHostsFiles.length ? sc.userKnownHostsFiles : [path.join(home, '.ssh', 'known_hosts')];
  const knownHostsFiles = [...(t.knownHostsFile ? [t.knownHostsFile] : []), ...userKh];
  const cmds = { ...TARGET_DEFAULTS.commands, ...(t.commands ?? {}) };
  return {
    name: t.name ?? t.host,
    alias: t.host,
    host: sc.hostName ?? t.host,
    port: t.port ?? sc.port ?? TARGET_DEFAULTS.port,
    user,
    identityFiles,
    knownHostsFiles,
    knownHostsWrite: knownHostsFiles[0]!,
    bootDir: t.bootDir ?? TARGET_DEFAULTS.bootDir,
    imageName: t.imageName ?? TARGET_DEFAULTS.imageName,
    grubScriptDir: t.grubScriptDir ?? TARGET_DEFAULTS.grubScriptDir,
    grubScriptName: t.grubScriptName ?? TARGET_DEFAULTS.grubScriptName,
    kernel: t.kernel ?? TARGET_DEFAULTS.kernel,
    kernelTag: t.kernelTag,
    modules: t.modules ?? [],
    cmdline: t.cmdline,
    commands: { updateGrub: [...cmds.updateGrub], grubReboot: [...cmds.grubReboot], grubSetDefault: [...cmds.grubSetDefault], reboot: [...cmds.reboot], grubEditenv: [...cmds.grubEditenv] },
    hypervisorProbe: t.hypervisorProbe ?? TARGET_DEFAULTS.hypervisorProbe,
    grubCfg: t.grubCfg ?? TARGET_DEFAULTS.grubCfg,
    grubDefault: t.grubDefault ?? TARGET_DEFAULTS.grubDefault,
    sudo: t.sudo ?? user !== 'root',
    proxyJump: t.proxyJump ?? sc.proxyJump,
    source: t.source ?? 'target',
  };
}

/**
 * "name (user@host:port)" for messages, or "user@host:port" when the name is the host. A target
 * named by its ~/.ssh/config alias keeps that name: the address alone does not say which of the
 * user's hosts it is (Add Target names ssh-config targets so).
 */
export function describeTarget(t: Pick<ResolvedTarget, 'user' | 'host' | 'port' | 'name' | 'alias'>): string {
  const where = `${t.user}@${t.host}${t.port !== 22 ? `:${t.port}` : ''}`;
  return t.name !== t.host ? `${t.name} (${where})` : where;
}
