/**
 * Local serial port console (USB-serial cable to the board), through the `serialport` package.
 * 115200 8N1 by default; every line setting is configurable. The native binding is loaded
 * lazily so the rest of the console code works where it is absent.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { ConsoleLink, ConsoleSource } from './source.js';
import { ConsoleError, StreamLink } from './source.js';

export interface SerialOptions {
  path: string;
  baudRate?: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits?: 1 | 1.5 | 2;
  /** Hardware flow control. */
  rtscts?: boolean;
  xon?: boolean;
  xoff?: boolean;
}

export function serialLineLabel(o: SerialOptions): string {
  const p = (o.parity ?? 'none')[0]!.toUpperCase();
  return `${o.baudRate ?? 115200} ${o.dataBits ?? 8}${p}${o.stopBits ?? 1}`;
}

interface SerialPortLike {
  open(cb: (err: Error | null) => void): void;
  close(cb?: (err: Error | null) => void): void;
  write(data: Buffer): boolean;
  on(ev: string, cb: (...a: unknown[]) => void): unknown;
  isOpen: boolean;
}
type SerialPortCtor = new (opts: Record<string, unknown>) => SerialPortLike;

function loadSerialPort(): SerialPortCtor {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('serialport') as { SerialPort: SerialPortCtor }).SerialPort;
  } catch (e) {
    throw new ConsoleError(
      `local serial ports need the serialport package's native binding, which this installation cannot load (${(e as Error).message.split('\n')[0]}). Use a console of type "ssh-serial" or "tcp" instead.`,
      true,
    );
  }
}

export class SerialSource implements ConsoleSource {
  readonly kind = 'serial' as const;
  readonly readOnly = false;
  readonly label: string;

  constructor(private readonly opts: SerialOptions) {
    if (!opts.path) throw new ConsoleError('serial console: no device path given (e.g. /dev/ttyUSB0)', true);
    const baud = opts.baudRate ?? 115200;
    if (!Number.isInteger(baud) || baud <= 0) throw new ConsoleError(`serial console ${opts.path}: baud rate must be a positive integer, not ${String(baud)}`, true);
    this.label = `serial ${opts.path} ${serialLineLabel(opts)}`;
  }

  connect(signal?: AbortSignal): Promise<ConsoleLink> {
    const SerialPort = loadSerialPort();
    const o = this.opts;
    const port = new SerialPort({
      path: o.path,
      baudRate: o.baudRate ?? 115200,
      dataBits: o.dataBits ?? 8,
      parity: o.parity ?? 'none',
      stopBits: o.stopBits ?? 1,
      rtscts: o.rtscts ?? false,
      xon: o.xon ?? false,
      xoff: o.xoff ?? false,
      autoOpen: false,
    });
    const describe = (e: Error): ConsoleError => {
      const code = (e as NodeJS.ErrnoException).code;
      const msg = /ENOENT|No such file/.test(e.message) || code === 'ENOENT'
        ? 'no such device (unplugged, or the wrong path?)'
        : /EACCES|Permission denied/.test(e.message)
          ? 'permission denied (add yourself to the dialout group)'
          : /disconnected|EIO|Input\/output error/i.test(e.message)
            ? 'the device disconnected'
            : e.message;
      return new ConsoleError(`serial console ${o.path}: ${msg}`);
    };
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new ConsoleError('cancelled'));
      port.open((err) => {
        if (err) return reject(describe(err));
        const stream = port as unknown as import('node:stream').Duplex;
        // The device node disappearing (USB-serial unplugged; a pty pair ending) is watched with
        // inotify on its folder: serialport's reader does not always see a hangup, only writes fail.
        let watcher: FSWatcher | undefined;
        const link = new StreamLink(stream, stream, false, describe, () => {
          watcher?.close();
          if (port.isOpen) port.close();
        });
        try {
          const base = path.basename(o.path);
          watcher = watch(path.dirname(o.path), (_ev, name) => {
            if ((name === null || name === base) && !existsSync(o.path)) link.finish(new ConsoleError(`serial console ${o.path}: the device disappeared (unplugged?)`));
          });
          watcher.on('error', () => watcher?.close());
        } catch {
          watcher = undefined;
        }
        // serialport reports an unplugged device as 'close' with an error argument.
        port.on('close', (e) => link.finish(e instanceof Error ? describe(e) : undefined));
        resolve(link);
      });
    });
  }
}
