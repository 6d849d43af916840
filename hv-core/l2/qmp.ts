/** A minimal QMP client (QEMU Machine Protocol, JSON lines) over any duplex stream. */
import type { Duplex } from 'node:stream';

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export class QmpClient {
  private buf = '';
  private greeted: Promise<void>;
  private queue: Pending[] = [];
  private closedErr: Error | undefined;
  readonly events: Array<{ event: string; data?: unknown }> = [];

  constructor(private readonly stream: Duplex) {
    let greet!: () => void;
    let fail!: (e: Error) => void;
    this.greeted = new Promise((res, rej) => {
      greet = res;
      fail = rej;
    });
    let haveGreeting = false;
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (!line) continue;
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        if ('QMP' in msg && !haveGreeting) {
          haveGreeting = true;
          greet();
        } else if ('event' in msg) {
          this.events.push({ event: String(msg.event), data: msg.data });
        } else if ('return' in msg || 'error' in msg) {
          const p = this.queue.shift();
          if (!p) continue;
          if ('error' in msg) {
            const e = msg.error as { class?: string; desc?: string };
            p.reject(new Error(`QMP error ${e.class ?? ''}: ${e.desc ?? JSON.stringify(e)}`));
          } else p.resolve(msg.return);
        }
      }
    });
    const end = (e?: Error): void => {
      this.closedErr = e ?? new Error('QMP connection closed');
      fail(this.closedErr);
      for (const p of this.queue.splice(0)) p.reject(this.closedErr);
    };
    stream.on('error', (e: Error) => end(e));
    stream.on('close', () => end());
    stream.on('end', () => end());
  }

  /** Waits for the greeting and leaves capabilities negotiation mode. */
  async handshake(timeoutMs = 5000): Promise<void> {
    await withTimeout(this.greeted, timeoutMs, 'no QMP greeting');
    await this.execute('qmp_capabilities', undefined, timeoutMs);
  }

  execute(command: string, args?: Record<string, unknown>, timeoutMs = 5000): Promise<unknown> {
    if (this.closedErr) return Promise.reject(this.closedErr);
    const p = new Promise<unknown>((resolve, reject) => this.queue.push({ resolve, reject }));
    this.stream.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
    return withTimeout(p, timeoutMs, `QMP ${command} got no answer`);
  }

  close(): void {
    this.stream.destroy();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
