/** Raw TCP console source (ser2net, a terminal server, the board simulator's UART). */
import net from 'node:net';
import type { ConsoleLink, ConsoleSource } from './source.js';
import { ConsoleError, duplexLink } from './source.js';

export interface TcpConsoleOptions {
  host: string;
  port: number;
  /** Connect timeout (ms). */
  timeoutMs?: number;
}

export class TcpSource implements ConsoleSource {
  readonly kind = 'tcp' as const;
  readonly readOnly = false;
  readonly label: string;

  constructor(private readonly opts: TcpConsoleOptions) {
    if (!opts.host) throw new ConsoleError('tcp console: no host given', true);
    if (!Number.isInteger(opts.port) || opts.port <= 0 || opts.port > 65535) throw new ConsoleError(`tcp console: port must be 1..65535, not ${String(opts.port)}`, true);
    this.label = `tcp ${opts.host}:${opts.port}`;
  }

  connect(signal?: AbortSignal): Promise<ConsoleLink> {
    const { host, port } = this.opts;
    const where = `${host}:${port}`;
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host, port, noDelay: true });
      const timer = setTimeout(() => fail(new Error(`timed out after ${this.opts.timeoutMs ?? 5000} ms`)), this.opts.timeoutMs ?? 5000);
      const onAbort = (): void => fail(new Error('cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
      function cleanup(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        sock.off('error', fail);
      }
      function fail(e: Error): void {
        cleanup();
        sock.destroy();
        reject(new ConsoleError(`tcp console ${where}: cannot connect: ${describeNetError(e)}`));
      }
      sock.once('error', fail);
      sock.once('connect', () => {
        cleanup();
        sock.setKeepAlive(true, 5000);
        resolve(duplexLink(sock, false, (e) => new ConsoleError(`tcp console ${where}: ${describeNetError(e)}`)));
      });
    });
  }
}

export function describeNetError(e: Error): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (nothing listening there, or the board is rebooting)';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host name';
    case 'ECONNRESET':
      return 'connection reset by the other side';
    case 'ETIMEDOUT':
      return 'timed out';
    default:
      return e.message;
  }
}
