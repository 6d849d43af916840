/**
 * A console session (hv-core/console) as a VS Code Pseudoterminal: the banner, the stream, session
 * events as dimmed lines with the time (reconnects included), input to the board (refused, with a
 * note, for the read-only acrnlog), clear.
 */
import * as vscode from 'vscode';
import type { ConsoleSession } from '../../hv-core/engine.js';
import { CrlfNormalizer, statusLine } from '../../hv-core/engine.js';

const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

export class ConsolePty implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private readonly crlf = new CrlfNormalizer();
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  private notedReadOnly = false;
  private opened = false;
  private pending: string[] = [];

  constructor(
    readonly session: ConsoleSession,
    private readonly banner: string[],
    private readonly onClosed: () => void,
  ) {
    session.on('data', (d) => this.write(this.decoder.decode(this.crlf.push(d), { stream: true })));
    session.on('status', (ev) => {
      const l = statusLine(ev, true);
      if (l) this.write(l);
    });
  }

  private atLineStart = true;

  private write(s: string): void {
    if (!s) return;
    // Our lines start on a fresh line, without an empty line between two of them.
    if (this.atLineStart && s.startsWith('\r\n\x1b[2m')) s = s.slice(2);
    this.atLineStart = s.endsWith('\n');
    if (this.opened) this.writeEmitter.fire(s);
    else this.pending.push(s);
  }

  /** A dimmed note line (ours, not the board's). */
  note(text: string): void {
    this.write(`\r\n${DIM}[acrn-nest] ${text}${RESET}\r\n`);
  }

  open(): void {
    this.opened = true;
    this.writeEmitter.fire(this.banner.map((l) => `${DIM}${l}${RESET}\r\n`).join(''));
    for (const s of this.pending.splice(0)) this.writeEmitter.fire(s);
    if (this.session.state === 'idle') {
      this.session.start().catch(() => undefined);
    }
  }

  handleInput(data: string): void {
    if (this.session.readOnly) {
      if (!this.notedReadOnly) this.note('this is the hypervisor LOG (read-only), not a shell: typed input is not sent');
      this.notedReadOnly = true;
      return;
    }
    if (!this.session.connected) {
      this.note(`not connected (${this.session.state}): input not sent`);
      this.session.retryNow();
      return;
    }
    try {
      this.session.send(data);
    } catch (e) {
      this.note(e instanceof Error ? e.message : String(e));
    }
  }

  clear(): void {
    this.session.clearHistory();
    this.writeEmitter.fire('\x1b[2J\x1b[3J\x1b[H');
  }

  close(): void {
    void this.session.close();
    this.onClosed();
  }

  /** Ends the terminal from our side (e.g. the extension deactivates). */
  dispose(): void {
    void this.session.close();
    this.closeEmitter.fire();
  }
}
