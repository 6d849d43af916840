/**
 * Turning a console session into terminal output (CLI and VS Code's Pseudoterminal): session
 * events as dimmed lines with the time, bare LF made CRLF for terminals (log files use LF).
 */
import type { SessionEvent } from './session.js';
import { formatClock } from './session.js';

const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

/** The line a terminal shows for a session event, or undefined for events not worth a line. */
export function statusLine(ev: SessionEvent, color = true): string | undefined {
  let text: string;
  switch (ev.type) {
    case 'connecting':
      if ((ev.attempt ?? 1) > 1) return undefined;
      text = ev.message;
      break;
    case 'connected':
    case 'reconnected':
    case 'disconnected':
    case 'error':
    case 'closed':
      text = ev.type === 'error' ? `error: ${ev.message}` : ev.type === 'disconnected' ? `disconnected: ${ev.message}` : ev.message;
      break;
    case 'retry':
      text = ev.message;
      break;
  }
  const line = `[acrn-nest ${formatClock(ev.time)}] ${text}`;
  return color ? `\r\n${DIM}${line}${RESET}\r\n` : `${line}\n`;
}

/** Converts lone LF to CRLF across chunk boundaries (a terminal needs CR to return the carriage). */
export class CrlfNormalizer {
  private lastWasCr = false;

  push(chunk: Buffer): Buffer {
    let extra = 0;
    let prevCr = this.lastWasCr;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === 0x0a && !prevCr) extra++;
      prevCr = c === 0x0d;
    }
    if (extra === 0) {
      if (chunk.length) this.lastWasCr = chunk[chunk.length - 1] === 0x0d;
      return chunk;
    }
    const out = Buffer.allocUnsafe(chunk.length + extra);
    let j = 0;
    prevCr = this.lastWasCr;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === 0x0a && !prevCr) out[j++] = 0x0d;
      out[j++] = c;
      prevCr = c === 0x0d;
    }
    this.lastWasCr = prevCr;
    return out;
  }
}
