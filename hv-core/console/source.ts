/**
 * Console sources: where a console's bytes come from (a local serial port, a serial device on
 * another host over SSH, raw TCP, the hypervisor log on the Service VM, an L2 guest's serial
 * socket). A source opens a link; a ConsoleSession (session.ts) reconnects it when it drops.
 */
import { EventEmitter } from 'node:events';
import type { Duplex, Readable, Writable } from 'node:stream';

export type ConsoleKind = 'serial' | 'ssh-serial' | 'tcp' | 'acrnlog' | 'l2';

/** One open connection to a console. Emits 'data' (Buffer) and, exactly once, 'end' (Error | undefined). */
export interface ConsoleLink {
  readonly readOnly: boolean;
  write(data: Buffer): void;
  close(): void;
  on(event: 'data', cb: (chunk: Buffer) => void): this;
  on(event: 'end', cb: (err: Error | undefined) => void): this;
  off(event: 'data', cb: (chunk: Buffer) => void): this;
  off(event: 'end', cb: (err: Error | undefined) => void): this;
}

export interface ConsoleSource {
  readonly kind: ConsoleKind;
  /** Human-readable: "serial /dev/ttyUSB0 115200 8N1", "hypervisor log on nuc (read-only, not a shell)". */
  readonly label: string;
  /** A log (acrnlog) rather than a shell: input is refused. */
  readonly readOnly: boolean;
  /** Opens one link; rejects with a message naming the host/device and the step that failed. */
  connect(signal?: AbortSignal): Promise<ConsoleLink>;
}

/** An Error whose message is already user-facing (host, device, step). */
export class ConsoleError extends Error {
  constructor(
    message: string,
    /** Retrying cannot help (bad configuration, read-only input, missing binding). */
    readonly permanent = false,
  ) {
    super(message);
  }
}

/**
 * Wraps a node stream (socket, SSH channel, serial port) as a ConsoleLink. `describe` turns the
 * stream's error into a user-facing one. `onClose` runs once when the link ends (cleanup).
 */
export class StreamLink extends EventEmitter implements ConsoleLink {
  private ended = false;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable | undefined,
    readonly readOnly: boolean,
    private readonly describe: (e: Error) => Error = (e) => e,
    private readonly onClose?: () => void,
  ) {
    super();
    // Bytes wait in the stream (paused) until someone listens, so nothing is lost between
    // connecting and the session subscribing.
    let flowing = false;
    this.on('newListener', (ev: string) => {
      if (ev !== 'data' || flowing) return;
      flowing = true;
      queueMicrotask(() => {
        input.on('data', (chunk: Buffer | string) => this.emit('data', typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
        input.resume();
      });
    });
    input.on('error', (e: Error) => this.finish(this.describe(e)));
    input.on('end', () => this.finish(undefined));
    input.on('close', () => this.finish(undefined));
    output?.on('error', (e: Error) => this.finish(this.describe(e)));
  }

  write(data: Buffer): void {
    if (this.readOnly || !this.output) throw new ConsoleError('this console is read-only: input is not sent', true);
    if (this.ended) throw new ConsoleError('not connected: the console dropped; input not sent');
    this.output.write(data);
  }

  close(): void {
    if (this.ended) return;
    (this.input as Readable & { destroy(): void }).destroy();
    if (this.output && this.output !== (this.input as unknown)) (this.output as Writable & { destroy(): void }).destroy();
    this.finish(undefined);
  }

  /** Ends the link from outside (e.g. the SSH connection under it closed). */
  finish(err: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    try {
      this.onClose?.();
    } finally {
      this.emit('end', err);
    }
  }
}

export function duplexLink(stream: Duplex, readOnly: boolean, describe?: (e: Error) => Error, onClose?: () => void): StreamLink {
  return new StreamLink(stream, readOnly ? undefined : stream, readOnly, describe, onClose);
}
