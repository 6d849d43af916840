/**
 * One SSH connection to a target, over `ssh2`, for deploy and consoles:
 * - host keys verified against known_hosts (the target's file and the user's); an unknown key goes
 *   to `onUnknownHostKey` (fingerprint shown, recorded only if the caller says yes); a changed or
 *   revoked key is refused, always;
 * - keys from identity files, then the SSH agent (SSH_AUTH_SOCK); ProxyJump (one or more hops);
 * - `exec(argv)`: every word quoted with `shq`; stdout/stderr/exit code; streaming callbacks;
 *   AbortSignal and timeout; `sudo` through `sudo -S -p ''` with the password on stdin only (never in
 *   a command line or a log), or `sudo -n` when no password is given;
 * - `upload()` over SFTP with progress and cancel; `shell()`/`channel()` for consoles;
 * - keepalive; `closed` resolves when the connection drops (reboots, cuts), failing pending work
 *   with ConnectionLostError.
 */
import { readFileSync } from 'node:fs';
import type { AnyAuthMethod, ClientChannel, ConnectConfig, SFTPWrapper, PseudoTtyOptions } from 'ssh2';
import { Client } from 'ssh2';
import type { Readable } from 'node:stream';
import type { ResolvedTarget } from './target.js';
import { shJoin } from './quote.js';
import { checkHostKey, fingerprint, hostKeyName, keyTypeOf, knownKeyTypes, readKnownHosts, recordHostKey } from './known-hosts.js';
import { describeTarget, lookupSshConfig } from './resolve.js';
import { AcrnNestError, ErrorCodes } from '../errors.js';

export interface HostKeyInfo {
  /** "user@host:port" or the target's name. */
  target: string;
  host: string;
  port: number;
  keyType: string;
  /** OpenSSH format: `SHA256:<base64 without padding>`. */
  fingerprint: string;
  key: Buffer;
  /** Where the key is recorded if accepted. */
  knownHostsFile: string;
}

/** The host presented a key that no known_hosts file has: nothing was sent to it. */
export class UnknownHostKeyError extends AcrnNestError {
  constructor(readonly info: HostKeyInfo) {
    super(ErrorCodes.hostKeyUnknown, `the host key of ${info.target} is not known: ${info.keyType} ${info.fingerprint}. Compare it with the board's own (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on its console) and accept it explicitly to record it in ${info.knownHostsFile}`);
    this.name = 'UnknownHostKeyError';
  }
}

/** The host presented a different key than the one recorded: refused, always (possible attack). */
export class ChangedHostKeyError extends AcrnNestError {
  constructor(
    readonly info: HostKeyInfo,
    readonly knownAt: string,
    readonly revoked = false,
  ) {
    super(
      ErrorCodes.hostKeyChanged,
      revoked
        ? `the host key of ${info.target} (${info.fingerprint}) is marked @revoked in ${knownAt}: refusing to connect`
        : `the host key of ${info.target} HAS CHANGED: it now presents ${info.keyType} ${info.fingerprint}, which differs from the key recorded at ${knownAt}. Someone could be intercepting the connection, or the board was reinstalled. acrn-nest refuses to connect; if the change is expected, remove the old key (ssh-keygen -R) and connect again`,
    );
    this.name = 'ChangedHostKeyError';
  }
}

/**
 * The user accepted an unknown host key but it could not be recorded (the known_hosts path is a
 * folder, lies under a file, is read-only, …): the connection is refused, so that trusting a key
 * never silently fails to stick.
 */
export class HostKeyRecordError extends AcrnNestError {
  constructor(
    readonly info: HostKeyInfo,
    readonly file: string,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ? `${(cause as NodeJS.ErrnoException).code}: ${cause.message}` : cause.message) : String(cause);
    super(ErrorCodes.hostKeyRecordFailed, `cannot connect to ${info.target}: the accepted host key (${info.keyType} ${info.fingerprint}) could not be recorded in ${file} (${why}). Fix that file's path ("knownHostsFile" of the target) or its permissions, then connect again`, { cause });
    this.name = 'HostKeyRecordError';
  }
}

export class ConnectError extends AcrnNestError {
  constructor(
    readonly target: string,
    message: string,
    override readonly cause?: unknown,
  ) {
    super('ssh/connect-failed', `cannot connect to ${target}: ${message}`);
    this.name = 'ConnectError';
  }
}

/** The connection dropped while work was pending (board rebooted, network cut). */
export class ConnectionLostError extends AcrnNestError {
  constructor(readonly target: string, what: string) {
    super('ssh/connection-lost', `connection to ${target} lost during ${what}`);
    this.name = 'ConnectionLostError';
  }
}

export class RemoteCommandError extends AcrnNestError {
  constructor(
    readonly target: string,
    readonly command: string,
    readonly result: ExecResult,
    hint?: string,
    code = 'remote/command-failed',
  ) {
    const why = result.stderr.trim() || result.stdout.trim() || (result.signal ? `killed by ${result.signal}` : '');
    super(code, `${command} failed on ${target} (exit ${result.code ?? result.signal ?? '?'})${why ? `: ${why.split('\n').slice(-5).join(' | ')}` : ''}${hint ? `. ${hint}` : ''}`);
    this.name = 'RemoteCommandError';
  }
}

export class AbortedError extends AcrnNestError {
  constructor(what: string) {
    super('ssh/cancelled', `${what}: cancelled`);
    this.name = 'AbortError';
  }
}

export class TimeoutError extends AcrnNestError {
  constructor(what: string, ms: number) {
    super('ssh/timeout', `${what}: no answer within ${Math.round(ms / 1000)} s`);
    this.name = 'TimeoutError';
  }
}

export interface ConnectOptions {
  /**
   * Asked when the host key is unknown; resolve true to trust it (then recorded in
   * target.knownHostsWrite). Absent or false: UnknownHostKeyError (with the fingerprint).
   */
  onUnknownHostKey?: (info: HostKeyInfo) => boolean | Promise<boolean>;
  /** Password for sudo on the target (from SecretStorage / stdin); sent only on sudo's stdin. */
  sudoPassword?: string;
  /** SSH agent socket; default process.env.SSH_AUTH_SOCK; false: no agent. */
  agent?: string | false;
  /** Handshake timeout; default 15 s. */
  readyTimeoutMs?: number;
  /** Keepalive interval; default 5 s (3 missed answers drop the connection). */
  keepaliveIntervalMs?: number;
  signal?: AbortSignal;
  /** Debug lines (never contain secrets). */
  log?: (line: string) => void;
  /** ssh config text used to resolve ProxyJump hosts (default: ~/.ssh/config). */
  sshConfigText?: string;
}

export interface ExecOptions {
  /** Run through sudo when the target uses sudo. */
  sudo?: boolean;
  /** Data for the command's stdin (not allowed together with a sudo password prompt). */
  stdin?: string | Buffer;
  signal?: AbortSignal;
  /** Default: none. */
  timeoutMs?: number;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** What to call it in errors; default the command line. */
  what?: string;
}

/** Session channels at once on one connection (OpenSSH's MaxSessions is 10; see SshConnection.sessions). */
export const MAX_SESSIONS = 8;
/**
 * OpenSSH frees a closed channel's session a turn of its main loop after our close, so a channel
 * opened right then can still be refused ("open failed"): tried again a few times, shortly after.
 */
const SESSION_RETRIES = 10;
function refusedForNow(err: Error): boolean {
  return /Channel open failure: open failed/.test(err.message);
}

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface UploadOptions {
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
  /** File mode; default 0o644. */
  mode?: number;
}

const WRITE_CHUNK = 32 * 1024;
const WRITE_WINDOW = 16;

function abortable(signal: AbortSignal | undefined, what: string, onAbort: () => void): () => void {
  if (!signal) return () => undefined;
  const h = (): void => onAbort();
  if (signal.aborted) {
    queueMicrotask(h);
    return () => undefined;
  }
  signal.addEventListener('abort', h, { once: true });
  void what;
  return () => signal.removeEventListener('abort', h);
}

/** Parses ProxyJump's `[user@]host[:port]` (one hop). */
function parseJump(spec: string): { user?: string; host: string; port?: number } {
  let s = spec.replace(/^ssh:\/\//, '');
  let user: string | undefined;
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    user = s.slice(0, at);
    s = s.slice(at + 1);
  }
  let port: number | undefined;
  const m = /^\[(.+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  const host = m?.[1] ?? s;
  if (m?.[2]) port = Number(m[2]);
  const out: { user?: string; host: string; port?: number } = { host };
  if (user) out.user = user;
  if (port) out.port = port;
  return out;
}

const EXITS = new WeakMap<ClientChannel, Promise<number | null>>();

/**
 * The exit status of a command started with SshConnection.channel(): resolves when it exits, or
 * with null when the channel closes without a status. Never misses a status that came before the
 * caller attached its own listeners.
 */
export function channelExit(ch: ClientChannel): Promise<number | null> {
  return EXITS.get(ch) ?? Promise.resolve(null);
}

export class SshConnection {
  private sftpP: Promise<SFTPWrapper> | undefined;
  private readonly pending = new Set<(e: Error) => void>();
  private isClosed = false;
  /** Resolves when the connection is gone (closed by us, the peer, or a network cut). */
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  readonly label: string;

  private constructor(
    private readonly client: Client,
    readonly target: ResolvedTarget,
    private readonly opts: ConnectOptions,
    private readonly jump: SshConnection | undefined,
  ) {
    this.label = describeTarget(target);
    this.closed = new Promise((r) => (this.resolveClosed = r));
    const onGone = (): void => {
      if (this.isClosed) return;
      this.isClosed = true;
      for (const rej of [...this.pending]) rej(new ConnectionLostError(this.label, 'a remote operation'));
      this.pending.clear();
      this.jump?.close();
      this.resolveClosed();
    };
    client.on('close', onGone);
    client.on('end', onGone);
    client.on('error', (e) => {
      opts.log?.(`ssh ${this.label}: ${e.message}`);
      onGone();
    });
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  /** Connects, verifies the host key and authenticates. */
  static async connect(target: ResolvedTarget, opts: ConnectOptions = {}): Promise<SshConnection> {
    const label = describeTarget(target);
    if (opts.signal?.aborted) throw new AbortedError(`connecting to ${label}`);
    let jump: SshConnection | undefined;
    let sock: Readable | undefined;
    if (target.proxyJump) {
      const hops = target.proxyJump.split(',');
      const last = hops.pop()!;
      const j = parseJump(last);
      const sc = lookupSshConfig(j.host, opts.sshConfigText ?? '');
      const jt: ResolvedTarget = {
        ...target,
        name: j.host,
        alias: j.host,
        host: sc.hostName ?? j.host,
        port: j.port ?? sc.port ?? 22,
        user: j.user ?? sc.user ?? target.user,
        identityFiles: sc.identityFiles.length ? sc.identityFiles : target.identityFiles,
        proxyJump: hops.length ? hops.join(',') : sc.proxyJump,
      };
      jump = await SshConnection.connect(jt, opts);
      try {
        sock = await jump.forward(target.host, target.port);
      } catch (e) {
        jump.close();
        throw new ConnectError(label, `through ProxyJump ${last}: ${(e as Error).message}`, e);
      }
    }

    const names = [...new Set([hostKeyName(target.host, target.port), hostKeyName(target.alias, target.port)])];
    let entries;
    try {
      entries = readKnownHosts(target.knownHostsFiles);
    } catch (e) {
      jump?.close();
      throw new ConnectError(label, `cannot read the known_hosts files (${target.knownHostsFiles.join(', ')}): ${(e as Error).message}`, e);
    }
    const preferred = knownKeyTypes(entries, names);
    let hostKeyError: Error | undefined;
    const client = new Client();
    const keys: Buffer[] = [];
    for (const f of target.identityFiles) {
      try {
        keys.push(readFileSync(f));
      } catch (e) {
        opts.log?.(`identity file ${f}: ${(e as Error).message}`);
      }
    }
    const agent = opts.agent === false ? undefined : (opts.agent ?? process.env.SSH_AUTH_SOCK);
    const methods: AnyAuthMethod[] = [
      ...keys.map((key): AnyAuthMethod => ({ type: 'publickey', username: target.user, key })),
      ...(agent ? [{ type: 'agent', username: target.user, agent } as AnyAuthMethod] : []),
    ];
    if (methods.length === 0) throw new ConnectError(label, `no identity file (${target.identityFiles.join(', ') || 'none configured'}) and no SSH agent (SSH_AUTH_SOCK): set "identityFile" or start ssh-agent`);

    const cfg: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.user,
      readyTimeout: opts.readyTimeoutMs ?? 15000,
      keepaliveInterval: opts.keepaliveIntervalMs ?? 5000,
      keepaliveCountMax: 3,
      authHandler: methods as unknown as ConnectConfig['authHandler'],
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        const info: HostKeyInfo = { target: label, host: target.host, port: target.port, keyType: keyTypeOf(key), fingerprint: fingerprint(key), key, knownHostsFile: target.knownHostsWrite };
        const st = checkHostKey(entries, names, key);
        if (st.status === 'known') return verify(true);
        if (st.status === 'changed' || st.status === 'revoked') {
          hostKeyError = new ChangedHostKeyError(info, `${st.entry.file}:${st.entry.line}`, st.status === 'revoked');
          return verify(false);
        }
        if (!opts.onUnknownHostKey) {
          hostKeyError = new UnknownHostKeyError(info);
          return verify(false);
        }
        Promise.resolve(opts.onUnknownHostKey(info)).then(
          (ok) => {
            if (ok) {
              // Recorded under the resolved HostName, as OpenSSH does (lookups also try the alias).
              // A failed write ends the handshake with an error of this connection (it must never
              // escape this callback: the CLI would crash, the extension host's handshake hang).
              try {
                recordHostKey(target.knownHostsWrite, hostKeyName(target.host, target.port), key);
              } catch (e) {
                hostKeyError = new HostKeyRecordError(info, target.knownHostsWrite, e);
                return verify(false);
              }
              verify(true);
            } else {
              hostKeyError = new UnknownHostKeyError(info);
              verify(false);
            }
          },
          (e: unknown) => {
            hostKeyError = e instanceof Error ? e : new Error(String(e));
            verify(false);
          },
        );
      },
    };
    if (preferred.length) {
      const all = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
      const pref = all.filter((a) => preferred.includes(a === 'rsa-sha2-512' || a === 'rsa-sha2-256' ? 'ssh-rsa' : a));
      cfg.algorithms = { serverHostKey: [...pref, ...all.filter((a) => !pref.includes(a))] as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] };
    }
    if (sock) cfg.sock = sock;
    if (opts.log) {
      const log = opts.log;
      cfg.debug = (m) => log(`ssh2 ${label}: ${m}`);
    }

    return await new Promise<SshConnection>((resolve, reject) => {
      let settled = false;
      const done = (e?: Error): void => {
        if (settled) return;
        settled = true;
        off();
        if (e) {
          client.end();
          client.destroy();
          jump?.close();
          reject(e);
        } else resolve(new SshConnection(client, target, opts, jump));
      };
      const off = abortable(opts.signal, 'connect', () => done(new AbortedError(`connecting to ${label}`)));
      client.once('ready', () => done());
      // A permanent listener: ssh2 may emit more than one error (e.g. while tearing down), and an
      // unhandled 'error' event would crash the process.
      client.on('error', (e: Error & { level?: string; code?: string }) => {
        if (hostKeyError) return done(hostKeyError);
        if (e.level === 'client-authentication') return done(new ConnectError(label, `authentication failed for user "${target.user}" (tried ${keys.length} key file(s)${agent ? ' and the SSH agent' : ''})`, e));
        if (e.level === 'client-timeout') return done(new ConnectError(label, `no SSH handshake within ${Math.round((cfg.readyTimeout ?? 0) / 1000)} s`, e));
        done(new ConnectError(label, e.code ? `${e.code} (${e.message})` : e.message, e));
      });
      client.once('close', () => done(hostKeyError ?? new ConnectError(label, 'connection closed during the handshake')));
      try {
        client.connect(cfg);
      } catch (e) {
        done(new ConnectError(label, (e as Error).message, e));
      }
    });
  }

  /**
   * Session channels (exec, shell, SFTP) open now, and those waiting for one. OpenSSH allows
   * MaxSessions (10 by default) per connection and counts a channel until both sides closed it, so
   * a burst of short commands right after others finished could be refused ("Channel open
   * failure: open failed", seen in a deploy's step 1 on the virtual board): at most MAX_SESSIONS
   * here, the rest wait for a slot.
   */
  private sessions = 0;
  private readonly sessionWaiters: (() => void)[] = [];

  private acquireSession(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = (): void => {
        this.sessions++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.sessions--;
          this.sessionWaiters.shift()?.();
        });
      };
      if (this.sessions < MAX_SESSIONS) grant();
      else this.sessionWaiters.push(grant);
    });
  }

  private track<T>(fn: (resolve: (v: T) => void, reject: (e: Error) => void) => void): Promise<T> {
    if (this.isClosed) return Promise.reject(new ConnectionLostError(this.label, 'a remote operation'));
    return new Promise<T>((resolve, reject) => {
      const rej = (e: Error): void => {
        this.pending.delete(rej);
        reject(e);
      };
      this.pending.add(rej);
      fn(
        (v) => {
          this.pending.delete(rej);
          resolve(v);
        },
        rej,
      );
    });
  }

  /** The command line sent for argv (sudo prefix when asked and the target uses sudo). */
  commandLine(argv: readonly string[], sudo = false): { line: string; password: boolean } {
    if (!sudo || !this.target.sudo) return { line: shJoin(argv), password: false };
    if (this.opts.sudoPassword !== undefined) return { line: shJoin(['sudo', '-S', '-p', '', '--', ...argv]), password: true };
    return { line: shJoin(['sudo', '-n', '--', ...argv]), password: false };
  }

  /** Runs one command (argv, each word quoted) and collects its output. Never throws on exit != 0. */
  exec(argv: readonly string[], o: ExecOptions = {}): Promise<ExecResult> {
    const { line, password } = this.commandLine(argv, o.sudo);
    if (password && o.stdin !== undefined) return Promise.reject(new Error('internal: stdin data and a sudo password cannot share stdin'));
    const what = o.what ?? argv.join(' ');
    return this.track<ExecResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let ch: ClientChannel | undefined;
      let finished = false;
      const finish = (e: Error | undefined, r?: ExecResult): void => {
        if (finished) return;
        finished = true;
        off();
        if (timer) clearTimeout(timer);
        if (e) {
          ch?.close();
          reject(e);
        } else resolve(r!);
      };
      const off = abortable(o.signal, what, () => finish(new AbortedError(what)));
      if (o.timeoutMs) timer = setTimeout(() => finish(new TimeoutError(`${what} on ${this.label}`, o.timeoutMs!)), o.timeoutMs);
      const attempt = (n: number): void => void this.acquireSession().then((release) => {
        if (finished || this.isClosed) {
          release();
          if (!finished) finish(new ConnectionLostError(this.label, what));
          return;
        }
        try {
          this.client.exec(line, (err, channel) => {
            if (err) {
              release();
              if (refusedForNow(err) && n < SESSION_RETRIES) return void setTimeout(() => attempt(n + 1), 20 * (n + 1));
              return finish(err.message.includes('No response') || this.isClosed ? new ConnectionLostError(this.label, what) : err);
            }
            channel.once('close', release);
            ch = channel;
            if (finished) return void channel.close();
            const out: Buffer[] = [];
            const errb: Buffer[] = [];
            let code: number | null = null;
            let sig: string | null = null;
            channel.on('data', (d: Buffer) => {
              out.push(d);
              o.onStdout?.(d);
            });
            channel.stderr.on('data', (d: Buffer) => {
              errb.push(d);
              o.onStderr?.(d);
            });
            channel.on('exit', (c: number | null, s?: string) => {
              code = c;
              sig = s ?? null;
            });
            channel.on('close', () => {
              if (code === null && sig === null && this.isClosed) return finish(new ConnectionLostError(this.label, what));
              finish(undefined, { code, signal: sig, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errb).toString('utf8') });
            });
            if (password) channel.write(this.opts.sudoPassword + '\n');
            if (o.stdin !== undefined) channel.write(o.stdin);
            channel.end();
          });
        } catch (e) {
          // ssh2 throws at once when the connection has just gone ("Not connected").
          release();
          finish(this.isClosed ? new ConnectionLostError(this.label, what) : (e as Error));
        }
      });
      attempt(0);
    });
  }

  /** exec() that throws RemoteCommandError unless the exit code is 0. */
  async run(argv: readonly string[], o: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.exec(argv, o);
    if (r.code !== 0) {
      const what = o.what ?? argv.join(' ');
      const needsPw = /a (terminal|password) is required|no tty present/.test(r.stderr);
      throw new RemoteCommandError(this.label, what, r, needsPw ? 'sudo needs a password on this board: store one (VS Code asks and keeps it in SecretStorage; CLI: --sudo-password-stdin) or set "sudo": false for root' : undefined, needsPw ? ErrorCodes.sudoPasswordNeeded : undefined);
    }
    return r;
  }

  /** An interactive channel (consoles): a command with an optional pty, or a login shell when argv is empty. */
  /**
   * A raw channel for a long-running command (consoles, the deploy lock). With `sudo` (and a
   * target that uses it) the command runs through sudo; a sudo password is written first, and
   * sudo reads exactly that one line of the channel's stdin.
   */
  channel(argv: readonly string[], pty?: PseudoTtyOptions | boolean, o: { sudo?: boolean } = {}): Promise<ClientChannel> {
    const { line, password } = this.commandLine(argv, o.sudo ?? false);
    return this.track<ClientChannel>((resolve, reject) => {
      let release: () => void = () => undefined;
      let n = 0;
      const cb = (err: Error | undefined, ch: ClientChannel): void => {
        if (err) {
          release();
          if (refusedForNow(err) && n++ < SESSION_RETRIES) return void setTimeout(open, 20 * n);
          return reject(err);
        }
        ch.once('close', release);
        // Recorded from the start: a quick command's exit status can come before the caller
        // gets the channel (see channelExit).
        EXITS.set(
          ch,
          new Promise((res) => {
            ch.once('exit', (code: number | null) => res(code ?? null));
            ch.once('close', () => res(null));
          }),
        );
        if (password) ch.write(this.opts.sudoPassword + '\n');
        resolve(ch);
      };
      const open = (): void => void this.acquireSession().then((r) => {
        release = r;
        if (this.isClosed) {
          release();
          return reject(new ConnectionLostError(this.label, argv.join(' ') || 'a shell'));
        }
        try {
          if (argv.length === 0) {
            if (pty && typeof pty === 'object') this.client.shell(pty, cb);
            else this.client.shell(cb);
          } else this.client.exec(line, pty ? { pty } : {}, cb);
        } catch (e) {
          release();
          reject(e as Error);
        }
      });
      open();
    });
  }

  /** A TCP stream to host:port as seen from the target (ProxyJump, ser2net on the board). */
  forward(host: string, port: number): Promise<ClientChannel> {
    return this.track<ClientChannel>((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, host, port, (err, ch) => (err ? reject(err) : resolve(ch)));
    });
  }

  /**
   * A stream to a Unix socket on the target (OpenSSH streamlocal forwarding,
   * direct-streamlocal@openssh.com): L2 guests' serial and QMP sockets, nothing installed on the board.
   */
  streamLocal(socketPath: string): Promise<ClientChannel> {
    return this.track<ClientChannel>((resolve, reject) => {
      this.client.openssh_forwardOutStreamLocal(socketPath, (err, ch) => (err ? reject(new Error(`${this.label} refused a stream to ${socketPath}: ${err.message}`)) : resolve(ch)));
    });
  }

  sftp(): Promise<SFTPWrapper> {
    if (!this.sftpP) {
      this.sftpP = this.track<SFTPWrapper>((resolve, reject) => {
        void this.acquireSession().then((release) => {
          try {
            this.client.sftp((err, s) => {
              if (err) {
                release();
                return reject(err);
              }
              s.once('close', release);
              resolve(s);
            });
          } catch (e) {
            release();
            reject(e as Error);
          }
        });
      });
      this.sftpP.catch(() => (this.sftpP = undefined));
    }
    return this.sftpP;
  }

  /**
   * Renames `from` to `to` over SFTP with OpenSSH's posix-rename extension: rename(2) on the
   * server, replacing `to` atomically, as `mv -f` does on one file system, without starting a
   * process. Resolves false where the server lacks the extension (the caller then runs mv).
   */
  async rename(from: string, to: string): Promise<boolean> {
    const sftp = await this.sftp();
    let supported = true;
    await this.track<void>((resolve, reject) => {
      try {
        sftp.ext_openssh_rename(from, to, (err) => (err ? reject(new Error(`rename ${from} to ${to} on ${this.label}: ${err.message}`)) : resolve()));
      } catch {
        // ssh2 throws at once when the server did not announce the extension.
        supported = false;
        resolve();
      }
    });
    return supported;
  }

  /**
   * Writes `data` to `remotePath` over SFTP (created or truncated; pipelined writes), with progress
   * and cancel. On failure the caller owns cleanup of remotePath (it may be partial).
   */
  async upload(data: Buffer, remotePath: string, o: UploadOptions = {}): Promise<void> {
    const sftp = await this.sftp();
    const what = `upload to ${remotePath}`;
    await this.track<void>((resolve, reject) => {
      let failed = false;
      let handle: Buffer | undefined;
      const fail = (e: Error): void => {
        if (failed) return;
        failed = true;
        off();
        if (handle) sftp.close(handle, () => undefined);
        reject(e);
      };
      const off = abortable(o.signal, what, () => fail(new AbortedError(what)));
      sftp.open(remotePath, 'w', { mode: o.mode ?? 0o644 }, (err, h) => {
        if (err) return fail(new Error(`${what} on ${this.label}: ${err.message}`));
        handle = h;
        if (failed) return void sftp.close(h, () => undefined);
        const total = data.length;
        let next = 0;
        let acked = 0;
        let inflight = 0;
        // The mode exactly (open's mode is subject to the server's umask), pipelined with the
        // writes: the request is answered before the close that follows them.
        if (o.mode !== undefined) {
          sftp.fchmod(h, o.mode, (merr) => {
            if (merr && !failed) fail(new Error(`${what} on ${this.label}: chmod ${o.mode!.toString(8)}: ${merr.message}`));
          });
        }
        const pump = (): void => {
          while (!failed && inflight < WRITE_WINDOW && next < total) {
            const off0 = next;
            const len = Math.min(WRITE_CHUNK, total - off0);
            next += len;
            inflight++;
            sftp.write(h, data, off0, len, off0, (werr) => {
              inflight--;
              if (failed) return;
              if (werr) return fail(new Error(`${what} on ${this.label}: ${werr.message}`));
              acked += len;
              o.onProgress?.(acked, total);
              if (acked === total) {
                sftp.close(h, (cerr) => {
                  handle = undefined;
                  if (cerr) return fail(new Error(`${what} on ${this.label}: ${cerr.message}`));
                  if (failed) return;
                  off();
                  resolve();
                });
              } else pump();
            });
          }
        };
        if (total === 0) {
          sftp.close(h, (cerr) => (cerr ? fail(cerr) : (off(), resolve())));
          return;
        }
        pump();
      });
    });
  }

  /** Closes the connection (and any ProxyJump hop). */
  close(): void {
    if (!this.isClosed) this.client.end();
    this.jump?.close();
  }
}
