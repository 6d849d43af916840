/**
 * `acrn-nest console`: the hypervisor console of a target (or an L2 guest's) on stdin/stdout, in
 * any terminal and in scripts. Console bytes go to stdout; the banner and connection events
 * (dimmed, with the time) go to stderr. On a TTY stdin is in raw mode (keys go to the board, Ctrl-C
 * included) and Ctrl-] quits. In scripts, --until REGEX exits 0 once the output matches and
 * --timeout SECONDS bounds the wait (exit 1); input piped in before the console is up is held and
 * sent once it connects.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ConsoleSource } from '../engine.js';
import { ConsoleSession, CrlfNormalizer, L2ConsoleSource, hypervisorBanner, hypervisorSource, statusLine } from '../engine.js';
import type { CliIO, CliRun } from './io.js';
import { UsageError } from './io.js';
import { openTargetFile } from './nest-target.js';

/** Ctrl-]: the same escape telnet uses. */
export const QUIT_KEY = 0x1d;

export const consoleCommand: CliRun = {
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values } = parseArgs({
      args: argv,
      options: {
        'target-file': { type: 'string' },
        l2: { type: 'string' },
        timestamps: { type: 'boolean', default: false },
        log: { type: 'string' },
        'no-reconnect': { type: 'boolean', default: false },
        until: { type: 'string' },
        timeout: { type: 'string' },
      },
    });
    let until: RegExp | undefined;
    if (values.until !== undefined) {
      try {
        until = new RegExp(values.until);
      } catch (e) {
        throw new UsageError(`--until: ${(e as Error).message}`);
      }
    }
    if (values.timeout !== undefined && !/^\d+(\.\d+)?$/.test(values.timeout)) throw new UsageError(`--timeout must be seconds, not '${values.timeout}'`);
    const t = openTargetFile(values['target-file'], io);
    const name = t.resolved.name;
    let source: ConsoleSource;
    if (values.l2) {
      source = new L2ConsoleSource(t.provider, values.l2, name, t.nest.l2.runDir ? { runDir: t.nest.l2.runDir } : {});
    } else {
      source = hypervisorSource(t.nest.console, name, t.provider, (c) => t.other(c));
    }
    const stdout = io.stdout ?? process.stdout;
    const stdin = io.stdin ?? process.stdin;
    const tty = (stdin as NodeJS.ReadStream).isTTY === true && typeof (stdin as NodeJS.ReadStream).setRawMode === 'function';
    const outTty = (stdout as NodeJS.WriteStream).isTTY === true;
    const color = (process.stderr.isTTY ?? false) && !io.env.NO_COLOR;
    const err = (s: string): void => io.err(s.replace(/\r?\n$/, '').replace(/^\r?\n/, ''));
    const session = new ConsoleSession(source, { timestamps: values.timestamps, reconnect: !values['no-reconnect'] });
    if (values.log) await session.setLogFile(path.resolve(io.cwd, values.log));

    const banner = values.l2 ? [`L2 guest ${values.l2} — serial console (${source.label})`] : hypervisorBanner(name, source.label, source.readOnly);
    for (const l of banner) err(l);
    err(tty ? 'Ctrl-] quits.' : 'End with Ctrl-C (SIGINT), --until or --timeout.');

    const crlf = outTty ? new CrlfNormalizer() : undefined;
    let seen = '';
    let everUp = false;
    let resolveDone!: (code: number) => void;
    const done = new Promise<number>((r) => (resolveDone = r));
    session.on('data', (d) => {
      stdout.write(crlf ? crlf.push(d) : d);
      if (until) {
        seen = (seen + d.toString('latin1')).slice(-65536);
        if (until.test(seen)) resolveDone(0);
      }
    });
    session.on('status', (ev) => {
      const l = statusLine(ev, color);
      if (l) err(l);
      if (ev.type === 'connected') everUp = true;
      if (ev.type === 'closed') resolveDone(everUp && !until ? 0 : 1);
    });
    const held: Buffer[] = [];
    session.on('status', (ev) => {
      if ((ev.type === 'connected' || ev.type === 'reconnected') && held.length) {
        for (const b of held.splice(0)) session.send(b);
      }
    });
    const onInput = (d: Buffer | string): void => {
      let b = typeof d === 'string' ? Buffer.from(d) : d;
      if (tty) {
        const q = b.indexOf(QUIT_KEY);
        if (q >= 0) {
          b = b.subarray(0, q);
          resolveDone(0);
        }
      }
      if (!b.length) return;
      if (source.readOnly) return;
      if (session.connected) {
        try {
          session.send(b);
        } catch (e) {
          err(`acrn-nest: ${(e as Error).message}`);
        }
      } else held.push(b);
    };
    if (source.readOnly) err('(read-only: typed input is not sent)');
    stdin.on('data', onInput);
    if (tty) (stdin as NodeJS.ReadStream).setRawMode(true);
    (stdin as NodeJS.ReadStream).resume?.();
    const onAbort = (): void => resolveDone(130);
    io.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = values.timeout !== undefined ? setTimeout(() => {
      err(`acrn-nest: --timeout ${values.timeout} s reached${until ? ` without output matching ${String(until)}` : ''}`);
      resolveDone(until ? 1 : 0);
    }, Number(values.timeout) * 1000) : undefined;

    let code: number;
    try {
      // A failed first connect is reported by its 'error' line and ends with 'closed' (exit 1).
      session.start().catch(() => undefined);
      code = await done;
    } finally {
      if (timer) clearTimeout(timer);
      io.signal?.removeEventListener('abort', onAbort);
      stdin.off('data', onInput);
      if (tty) (stdin as NodeJS.ReadStream).setRawMode(false);
      (stdin as NodeJS.ReadStream).pause?.();
      await session.close();
      t.close();
    }
    return code;
  },
};
