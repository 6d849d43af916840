/**
 * A console session over a source: reconnects with backoff when the source drops (the board
 * reboots), says so with a timestamped event, keeps a bounded history, can prefix lines with
 * timestamps, log to a file, and send input (not to a read-only log).
 */
import { EventEmitter } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { RingBuffer } from './ring.js';
import type { ConsoleLink, ConsoleSource } from './source.js';
import { ConsoleError } from './source.js';

export type SessionState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'closed';

export interface SessionEvent {
  type: 'connecting' | 'connected' | 'reconnected' | 'disconnected' | 'retry' | 'error' | 'closed';
  time: Date;
  message: string;
  /** For 'retry': the delay before the next attempt. */
  delayMs?: number;
  attempt?: number;
}

export interface SessionOptions {
  /** History kept in memory (bytes). Default 1 MiB. */
  historyBytes?: number;
  timestamps?: boolean;
  /** Reconnect when the link drops (default true). */
  reconnect?: boolean;
  /** Keep retrying when the very first connect fails (default false: start() rejects). */
  retryFirstConnect?: boolean;
  backoff?: { initialMs?: number; maxMs?: number; factor?: number };
  /** Give up after this many failed attempts in a row (default: never). */
  maxAttempts?: number;
  /** Clock, injectable for tests of timestamp formatting. */
  now?: () => Date;
}

export interface ConsoleSessionEvents {
  data: [Buffer];
  status: [SessionEvent];
}

export function formatClock(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export class ConsoleSession extends EventEmitter<ConsoleSessionEvents> {
  readonly history: RingBuffer;
  private link: ConsoleLink | undefined;
  private _state: SessionState = 'idle';
  private everConnected = false;
  private readonly abort = new AbortController();
  private timestamps: boolean;
  private atLineStart = true;
  private log: WriteStream | undefined;
  private logPath: string | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly now: () => Date;

  constructor(
    readonly source: ConsoleSource,
    private readonly opts: SessionOptions = {},
  ) {
    super();
    this.history = new RingBuffer(opts.historyBytes ?? 1 << 20);
    this.timestamps = opts.timestamps ?? false;
    this.now = opts.now ?? (() => new Date());
  }

  get state(): SessionState {
    return this._state;
  }
  get readOnly(): boolean {
    return this.source.readOnly;
  }
  get connected(): boolean {
    return this._state === 'connected';
  }
  get timestampsOn(): boolean {
    return this.timestamps;
  }
  get logFile(): string | undefined {
    return this.logPath;
  }

  /**
   * Connects, then keeps the session up in the background. Resolves once the first link is up;
   * rejects with the source's message if the first connect fails (unless retryFirstConnect).
   */
  start(): Promise<void> {
    if (this.loop) throw new Error('session already started');
    return new Promise((resolve, reject) => {
      let settled = false;
      const ok = (): void => {
        if (settled) return;
        settled = true;
        resolve();
      };
      const fail = (e: Error): void => {
        if (settled) return;
        settled = true;
        reject(e);
      };
      this.loop = this.run(ok, fail);
      void this.loop.then(() => fail(new ConsoleError(`${this.source.label}: closed before connecting`)));
    });
  }

  private emitStatus(ev: Omit<SessionEvent, 'time'>): void {
    const full: SessionEvent = { ...ev, time: this.now() };
    if (this.log) this.log.write(`\n[acrn-nest ${full.time.toISOString()}] ${full.type}: ${full.message}\n`);
    this.emit('status', full);
  }

  private async run(onUp: () => void, onFirstFail: (e: Error) => void): Promise<void> {
    const b = this.opts.backoff ?? {};
    const initial = b.initialMs ?? 250;
    const max = b.maxMs ?? 5000;
    const factor = b.factor ?? 2;
    let delay = initial;
    let shortLivedDelay = initial;
    let failures = 0;
    while (!this.abort.signal.aborted) {
      this._state = 'connecting';
      this.emitStatus({ type: 'connecting', message: `connecting to ${this.source.label}`, attempt: failures + 1 });
      let link: ConsoleLink;
      try {
        link = await this.source.connect(this.abort.signal);
      } catch (e) {
        if (this.abort.signal.aborted) break;
        const err = e instanceof Error ? e : new Error(String(e));
        failures++;
        this.emitStatus({ type: 'error', message: err.message, attempt: failures });
        const permanent = err instanceof ConsoleError && err.permanent;
        const giveUp = permanent || (!this.everConnected && !this.opts.retryFirstConnect) || (this.opts.maxAttempts !== undefined && failures >= this.opts.maxAttempts);
        if (giveUp) {
          onFirstFail(err);
          break;
        }
        this._state = 'waiting';
        this.emitStatus({ type: 'retry', message: `retrying in ${(delay / 1000).toFixed(delay < 1000 ? 2 : 0)} s`, delayMs: delay, attempt: failures });
        await this.pause(delay);
        delay = Math.min(max, delay * factor);
        continue;
      }
      if (this.abort.signal.aborted) {
        link.close();
        break;
      }
      failures = 0;
      delay = initial;
      const upSince = Date.now();
      this.link = link;
      this._state = 'connected';
      const first = !this.everConnected;
      this.everConnected = true;
      this.emitStatus(first ? { type: 'connected', message: `connected to ${this.source.label}` } : { type: 'reconnected', message: `reconnected to ${this.source.label}` });
      onUp();
      const ended = await new Promise<Error | undefined>((resolve) => {
        link.on('data', (chunk) => this.onData(chunk));
        link.on('end', resolve);
      });
      this.link = undefined;
      if (this.abort.signal.aborted) break;
      this.emitStatus({ type: 'disconnected', message: ended ? ended.message : `${this.source.label}: connection closed` });
      if (this.opts.reconnect === false) break;
      // A link that dies right after connecting (a server that accepts and drops) must not spin:
      // short-lived links grow the backoff like failed connects; a link that lived resets it.
      this._state = 'waiting';
      if (Date.now() - upSince < 2000) {
        await this.pause(shortLivedDelay);
        shortLivedDelay = Math.min(max, shortLivedDelay * factor);
      } else {
        shortLivedDelay = initial;
        await this.pause(initial);
      }
    }
    this._state = 'closed';
    this.emitStatus({ type: 'closed', message: `${this.source.label}: console closed` });
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const signal = this.abort.signal;
      function done(): void {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  /** Skips the current backoff wait and tries now (e.g. the user pressed a key). */
  retryNow(): void {
    this.wake?.();
  }

  private onData(chunk: Buffer): void {
    this.history.push(chunk);
    const out = this.timestamps ? this.stamp(chunk) : chunk;
    if (!this.timestamps && chunk.length) this.atLineStart = chunk[chunk.length - 1] === 0x0a;
    this.log?.write(out);
    this.emit('data', out);
  }

  private stamp(chunk: Buffer): Buffer {
    const parts: Buffer[] = [];
    let from = 0;
    for (;;) {
      if (from >= chunk.length) break;
      if (this.atLineStart) {
        parts.push(Buffer.from(`[${formatClock(this.now())}] `));
        this.atLineStart = false;
      }
      const nl = chunk.indexOf(0x0a, from);
      if (nl < 0) {
        parts.push(chunk.subarray(from));
        break;
      }
      parts.push(chunk.subarray(from, nl + 1));
      this.atLineStart = true;
      from = nl + 1;
    }
    return Buffer.concat(parts);
  }

  setTimestamps(on: boolean): void {
    this.timestamps = on;
  }

  /** Starts (or, with undefined, stops) appending the console's output to a file. */
  async setLogFile(path: string | undefined): Promise<void> {
    const old = this.log;
    this.log = undefined;
    this.logPath = undefined;
    if (old) await new Promise<void>((r) => old.end(r));
    if (!path) return;
    const ws = createWriteStream(path, { flags: 'a' });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', (e) => reject(new ConsoleError(`cannot log to ${path}: ${e.message}`)));
    });
    ws.on('error', (e) => {
      this.emitStatus({ type: 'error', message: `logging to ${path} stopped: ${e.message}` });
      this.log = undefined;
      this.logPath = undefined;
    });
    this.log = ws;
    this.logPath = path;
  }

  /** Sends input to the console. Throws for a read-only log, or while disconnected. */
  send(data: string | Buffer): void {
    if (this.source.readOnly) throw new ConsoleError(`${this.source.label} is a read-only log, not a shell: input is not sent`, true);
    const link = this.link;
    if (!link) throw new ConsoleError(`${this.source.label}: not connected (${this._state}); input not sent`);
    link.write(typeof data === 'string' ? Buffer.from(data) : data);
  }

  clearHistory(): void {
    this.history.clear();
  }

  /** Closes the link and stops reconnecting. */
  async close(): Promise<void> {
    if (this._state === 'closed' && !this.loop) return;
    this.abort.abort();
    this.link?.close();
    this.wake?.();
    if (this.loop) await this.loop;
    else this._state = 'closed';
    await this.setLogFile(undefined);
  }
}
