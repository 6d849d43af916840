/** What a CLI command needs from the process, injectable so tests run commands in-process. */
export interface CliIO {
  out(line: string): void;
  err(line: string): void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  /** Aborted on SIGINT. */
  signal?: AbortSignal;
}

/** The real process as a CliIO, aborted on SIGINT (the CLI's entry points: dist/cli.js, the lint snapshot). */
export function processIO(): CliIO {
  const ac = new AbortController();
  process.on('SIGINT', () => ac.abort());
  // A reader that stopped reading (`acrn-nest --help | head -3`): end as a Unix tool ends on
  // SIGPIPE (status 128 + 13), with no stack trace, rather than on an unhandled 'error' event.
  for (const s of [process.stdout, process.stderr]) {
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(141);
      throw e;
    });
  }
  return {
    out: (l) => process.stdout.write(l + '\n'),
    err: (l) => process.stderr.write(l + '\n'),
    cwd: process.cwd(),
    env: process.env,
    // Getters: touching process.stdin builds a stream, and most commands never read it.
    get stdin() {
      return process.stdin;
    },
    get stdout() {
      return process.stdout;
    },
    signal: ac.signal,
  };
}

/** A command's implementation, loaded only when that command runs. */
export interface CliRun {
  run(argv: string[], io: CliIO): Promise<number>;
}

/**
 * A command as `acrn-nest --help` lists it. The implementation is loaded on demand, so `lint`
 * does not pay for ssh2 or serialport, nor `--help` for any of them.
 */
export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  load(): Promise<CliRun>;
}

/**
 * A usage error: printed with the command's usage, exit status 2. Recognised by its code, not by
 * instanceof: each on-demand part of the bundled CLI (dist/cli/*.js) has its own copy of this class.
 */
export class UsageError extends Error {
  readonly code = 'ERR_ACRN_NEST_USAGE';
}
