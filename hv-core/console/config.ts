/**
 * The hypervisor console of a target, as written in the target file's `console` field (or the
 * `acrnNest.targets[].console` setting), validated with errors naming the field, and turned into a
 * ConsoleSource.
 *
 * ```json
 * "console": { "type": "serial",     "path": "/dev/ttyUSB0", "baud": 115200, "dataBits": 8, "parity": "none", "stopBits": 1 }
 * "console": { "type": "ssh-serial", "path": "/dev/ttyUSB0", "host": "labpc", "user": "me", "baud": 115200 }
 * "console": { "type": "tcp",        "host": "ts.lab", "port": 7001 }
 * "console": { "type": "acrnlog" }
 * ```
 * ssh-serial without `host` means the device is on the target itself. Default (no `console`):
 * acrnlog over the target's SSH connection.
 */
import type { Target } from '../ssh-target/target.js';
import type { HostProvider } from './remote.js';
import { AcrnLogSource, SshSerialSource } from './remoteSources.js';
import type { SerialOptions } from './serial.js';
import { SerialSource } from './serial.js';
import type { ConsoleSource } from './source.js';
import { TcpSource } from './tcp.js';

export type ConsoleConfig =
  | ({ type: 'serial' } & SerialOptions)
  | ({ type: 'ssh-serial'; host?: string; port?: number; user?: string; identityFile?: string[]; knownHostsFile?: string } & SerialOptions)
  | { type: 'tcp'; host: string; port: number }
  | { type: 'acrnlog'; logDir?: string; historyLines?: number };

export class ConsoleConfigError extends Error {
  constructor(source: string, field: string, message: string) {
    super(`${source}: field "${field}": ${message}`);
    this.name = 'ConsoleConfigError';
  }
}

const TYPES = ['serial', 'ssh-serial', 'tcp', 'acrnlog'] as const;

export function parseConsoleConfig(value: unknown, source = 'target', field = 'console'): ConsoleConfig {
  const fail = (f: string, m: string): never => {
    throw new ConsoleConfigError(source, f ? `${field}.${f}` : field, m);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('', 'must be an object like {"type": "serial", "path": "/dev/ttyUSB0"}');
  const o = value as Record<string, unknown>;
  const type = o.type;
  if (typeof type !== 'string' || !(TYPES as readonly string[]).includes(type)) return fail('type', `must be one of ${TYPES.join(', ')}, not ${JSON.stringify(type)}`);
  const allowed: Record<string, string[]> = {
    serial: ['type', 'path', 'baud', 'dataBits', 'parity', 'stopBits', 'rtscts', 'xon'],
    'ssh-serial': ['type', 'path', 'baud', 'dataBits', 'parity', 'stopBits', 'rtscts', 'xon', 'host', 'port', 'user', 'identityFile', 'knownHostsFile'],
    tcp: ['type', 'host', 'port'],
    acrnlog: ['type', 'logDir', 'historyLines'],
  };
  for (const k of Object.keys(o)) if (!allowed[type]!.includes(k)) fail(k, `not a field of a ${type} console (known: ${allowed[type]!.join(', ')})`);
  const str = (k: string, required = false): string | undefined => {
    const v = o[k];
    if (v === undefined) return required ? fail(k, 'is required') : undefined;
    if (typeof v !== 'string' || v === '' || /[\0\r\n]/.test(v)) return fail(k, `must be a non-empty string, not ${JSON.stringify(v)}`);
    return v;
  };
  const int = (k: string, min: number, max: number): number | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return fail(k, `must be an integer ${min}..${max}, not ${JSON.stringify(v)}`);
    return v;
  };
  const serial = (): SerialOptions => {
    const path = str('path', true)!;
    const s: SerialOptions = { path };
    const baud = int('baud', 50, 4_000_000);
    if (baud !== undefined) s.baudRate = baud;
    const db = int('dataBits', 5, 8);
    if (db !== undefined) s.dataBits = db as 5 | 6 | 7 | 8;
    if (o.parity !== undefined) {
      if (!['none', 'even', 'odd', 'mark', 'space'].includes(o.parity as string)) fail('parity', `must be none, even, odd, mark or space, not ${JSON.stringify(o.parity)}`);
      s.parity = o.parity as SerialOptions['parity'];
    }
    if (o.stopBits !== undefined) {
      if (![1, 1.5, 2].includes(o.stopBits as number)) fail('stopBits', `must be 1, 1.5 or 2, not ${JSON.stringify(o.stopBits)}`);
      s.stopBits = o.stopBits as 1 | 1.5 | 2;
    }
    for (const b of ['rtscts', 'xon'] as const) {
      if (o[b] !== undefined) {
        if (typeof o[b] !== 'boolean') fail(b, 'must be true or false');
        s[b] = o[b] as boolean;
      }
    }
    return s;
  };
  switch (type) {
    case 'serial':
      return { type, ...serial() };
    case 'ssh-serial': {
      const c: ConsoleConfig = { type, ...serial() };
      if (!c.path.startsWith('/')) fail('path', `must be an absolute device path on the remote host, not "${c.path}"`);
      const h = str('host');
      if (h !== undefined) c.host = h;
      const p = int('port', 1, 65535);
      if (p !== undefined) c.port = p;
      const u = str('user');
      if (u !== undefined) c.user = u;
      if (o.identityFile !== undefined) {
        const v = o.identityFile;
        c.identityFile = typeof v === 'string' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : fail('identityFile', 'must be a path or a list of paths');
      }
      const k = str('knownHostsFile');
      if (k !== undefined) c.knownHostsFile = k;
      return c;
    }
    case 'tcp':
      return { type, host: str('host', true)!, port: int('port', 1, 65535) ?? fail('port', 'is required') };
    case 'acrnlog': {
      const c: ConsoleConfig = { type };
      const d = str('logDir');
      if (d !== undefined) {
        if (!d.startsWith('/')) fail('logDir', 'must be an absolute path on the Service VM');
        c.logDir = d;
      }
      const n = int('historyLines', 0, 100000);
      if (n !== undefined) c.historyLines = n;
      return c;
    }
  }
  return fail('type', 'unknown');
}

/** For ssh-serial on another host: the Target to connect to (B1's format, validated by parseTarget). */
export function sshSerialTarget(c: Extract<ConsoleConfig, { type: 'ssh-serial' }>, source: string): Partial<Target> & { host: string } {
  const t: Partial<Target> & { host: string } = { host: c.host!, source };
  if (c.port !== undefined) t.port = c.port;
  if (c.user !== undefined) t.user = c.user;
  if (c.identityFile) t.identityFile = c.identityFile;
  if (c.knownHostsFile) t.knownHostsFile = c.knownHostsFile;
  return t;
}

/**
 * The hypervisor console source for a target. `targetHost` reaches the Service VM; `otherHost`
 * makes a provider for an ssh-serial host that is not the target.
 */
export function hypervisorSource(
  cfg: ConsoleConfig | undefined,
  targetLabel: string,
  targetHost: HostProvider,
  otherHost: (c: Extract<ConsoleConfig, { type: 'ssh-serial' }>) => { provider: HostProvider; label: string },
): ConsoleSource {
  const c = cfg ?? { type: 'acrnlog' };
  switch (c.type) {
    case 'serial':
      return new SerialSource(c);
    case 'tcp':
      return new TcpSource({ host: c.host, port: c.port });
    case 'acrnlog': {
      const o: ConstructorParameters<typeof AcrnLogSource>[1] = { hostLabel: targetLabel };
      if (c.logDir) o.logDir = c.logDir;
      if (c.historyLines !== undefined) o.historyLines = c.historyLines;
      return new AcrnLogSource(targetHost, o);
    }
    case 'ssh-serial': {
      const { provider, label } = c.host ? otherHost(c) : { provider: targetHost, label: targetLabel };
      return new SshSerialSource(provider, { ...c, hostLabel: label });
    }
  }
}
