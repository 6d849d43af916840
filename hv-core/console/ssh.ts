/**
 * RemoteHost over hv-core/ssh-target's SshConnection (host keys verified there), and a HostProvider
 * that reconnects after the board rebooted. Scripts run as `sh -c SCRIPT`, the script one quoted
 * argument; the scripts themselves quote every word they interpolate (shq).
 */
import type { Duplex } from 'node:stream';
import type { ConnectOptions, ResolvedTarget } from '../ssh-target/index.js';
import { SshConnection } from '../ssh-target/index.js';
import type { HostProvider, RemoteExecResult, RemoteHost, RemoteProcess } from './remote.js';

export class SshRemoteHost implements RemoteHost {
  constructor(readonly conn: SshConnection) {}

  get label(): string {
    return this.conn.label;
  }
  get alive(): boolean {
    return this.conn.isOpen;
  }

  async exec(script: string, opts: { stdin?: string | Buffer; timeoutMs?: number } = {}): Promise<RemoteExecResult> {
    const o: { stdin?: string | Buffer; timeoutMs?: number; what: string } = { what: 'a remote script' };
    if (opts.stdin !== undefined) o.stdin = opts.stdin;
    if (opts.timeoutMs !== undefined) o.timeoutMs = opts.timeoutMs;
    const r = await this.conn.exec(['sh', '-c', script], o);
    const out: RemoteExecResult = { code: r.code, stdout: r.stdout, stderr: r.stderr };
    if (r.signal) out.signal = r.signal;
    return out;
  }

  async spawn(script: string): Promise<RemoteProcess> {
    return (await this.conn.channel(['sh', '-c', script])) as unknown as RemoteProcess;
  }

  /** OpenSSH streamlocal forwarding: sshd connects to the Unix socket on the board for us. */
  async openUnixSocket(path: string): Promise<Duplex> {
    return await this.conn.streamLocal(path);
  }

  onClose(cb: (err?: Error) => void): void {
    void this.conn.closed.then(() => cb());
  }

  close(): void {
    this.conn.close();
  }
}

/**
 * One shared connection per target, made on first use and again after it dropped. Concurrent
 * callers share one connect attempt.
 */
export function sshHostProvider(target: ResolvedTarget, opts: ConnectOptions = {}): HostProvider & { close(): void } {
  let current: SshRemoteHost | undefined;
  let connecting: Promise<SshRemoteHost> | undefined;
  let closed = false;
  const provider = async (): Promise<RemoteHost> => {
    if (closed) throw new Error(`connection to ${target.name} closed`);
    if (current?.alive) return current;
    if (!connecting) {
      connecting = SshConnection.connect(target, opts).then(
        (c) => {
          connecting = undefined;
          current = new SshRemoteHost(c);
          if (closed) c.close();
          return current;
        },
        (e: unknown) => {
          connecting = undefined;
          throw e;
        },
      );
    }
    return connecting;
  };
  return Object.assign(provider, {
    close(): void {
      closed = true;
      current?.close();
    },
  });
}
