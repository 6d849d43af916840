/**
 * Where a build runs: this machine (`LocalHost`, child_process.spawn with an argument array, never
 * a shell string) or a build host over SSH (`remote.ts`, on top of hv-core/ssh-target). The build
 * driver only talks to this interface, so preflight, staging, make and the up-to-date stamp work
 * the same on both.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, promises as fsp, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type Stream = 'stdout' | 'stderr';

export interface RunOptions {
  cwd?: string;
  /** Full environment for the child (local) or variables to set (remote). */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Each complete output line (without the newline), as it arrives. */
  onLine?: (line: string, stream: Stream) => void;
  /** Keep at most this many characters of stdout/stderr in the result (default 1 MB). */
  captureLimit?: number;
}

export interface RunResult {
  /** Exit status; null when killed by a signal. 127: the program was not found. */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started (e.g. ENOENT). */
  spawnError?: string;
  /** True when the run was cancelled through the AbortSignal. */
  aborted: boolean;
}

export interface FileStat {
  size: number;
  mtimeMs: number;
  isDirectory: boolean;
}

export interface BuildHost {
  readonly kind: 'local' | 'remote';
  /** For messages: "this machine" or "user@host:port". */
  readonly label: string;
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** undefined when the file does not exist. */
  readFile(file: string): Promise<Buffer | undefined>;
  writeFile(file: string, data: Buffer | string): Promise<void>;
  mkdirp(dir: string): Promise<void>;
  stat(file: string): Promise<FileStat | undefined>;
  /** Removes a file; no error when it is missing. */
  remove(file: string): Promise<void>;
  /** A hash of (mtime, size, path) of every file under `rel` paths of `root` (pyc caches excluded). */
  fingerprint(root: string, rel: readonly string[]): Promise<string>;
  /** Copies a file of this host to a local path (remote hosts); local hosts copy the file. */
  download(file: string, localPath: string): Promise<void>;
  /** Copies a local file onto this host. */
  upload(localPath: string, file: string): Promise<void>;
  dispose(): void;
}

/** Splits a byte stream into lines; `\r\n` and lone `\r` progress updates count as line ends. */
export class LineSplitter {
  private rest = '';
  constructor(private readonly emit: (line: string) => void) {}
  push(chunk: string): void {
    const text = this.rest + chunk;
    const parts = text.split(/\r?\n|\r(?!$)/);
    this.rest = parts.pop() ?? '';
    for (const p of parts) this.emit(p);
  }
  end(): void {
    if (this.rest.length > 0) this.emit(this.rest.replace(/\r$/, ''));
    this.rest = '';
  }
}

const KILL_GRACE_MS = 2000;

/** Live (not zombie) members of process group `pgid`, from /proc; [] where /proc is missing. */
export function groupMembers(pgid: number): number[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') out.push(Number(pid));
  }
  return out;
}

/**
 * Resolves once no live process is left in group `pgid`, or at `deadline`. Processes that are not
 * our children give no exit event, so this looks at the process table between short waits.
 */
async function groupGone(pgid: number, deadline: number): Promise<void> {
  while (groupMembers(pgid).length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

export class LocalHost implements BuildHost {
  readonly kind = 'local' as const;
  readonly label = 'this machine';

  run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const [cmd, ...args] = argv;
    if (!cmd) throw new Error('empty command');
    const limit = opts.captureLimit ?? 1024 * 1024;
    return new Promise((resolve) => {
      const result: RunResult = { code: null, signal: null, stdout: '', stderr: '', aborted: false };
      if (opts.signal?.aborted) {
        resolve({ ...result, aborted: true });
        return;
      }
      // detached: the child leads its own process group, so cancel can kill make and everything
      // make started (gcc, python) with one signal to the group.
      const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let killTimer: NodeJS.Timeout | undefined;
      const killGroup = (sig: NodeJS.Signals): void => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, sig);
        } catch {
          /* already gone */
        }
      };
      const onAbort = (): void => {
        result.aborted = true;
        killGroup('SIGTERM');
        killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
        killTimer.unref();
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const wire = (stream: Stream): LineSplitter => {
        const splitter = new LineSplitter((line) => opts.onLine?.(line, stream));
        const src = stream === 'stdout' ? child.stdout : child.stderr;
        src.setEncoding('utf8');
        src.on('data', (chunk: string) => {
          if (result[stream].length < limit) result[stream] += chunk.slice(0, limit - result[stream].length);
          splitter.push(chunk);
        });
        return splitter;
      };
      const out = wire('stdout');
      const err = wire('stderr');
      child.on('error', (e: NodeJS.ErrnoException) => {
        result.spawnError = e.code ?? e.message;
        result.code = e.code === 'ENOENT' ? 127 : 126;
      });
      child.on('close', (code, signal) => {
        out.end();
        err.end();
        opts.signal?.removeEventListener('abort', onAbort);
        if (killTimer) clearTimeout(killTimer);
        if (result.spawnError === undefined) {
          result.code = code;
          result.signal = signal;
        }
        if (!result.aborted || child.pid === undefined) {
          resolve(result);
          return;
        }
        // Stragglers that ignored SIGTERM get SIGKILL; a cancel returns only once the group has
        // left the process table (make's own exit comes before its children's).
        killGroup('SIGKILL');
        void groupGone(child.pid, Date.now() + KILL_GRACE_MS).then(() => resolve(result));
      });
    });
  }

  async readFile(file: string): Promise<Buffer | undefined> {
    try {
      return await fsp.readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async writeFile(file: string, data: Buffer | string): Promise<void> {
    const tmp = `${file}.${process.pid}.tmp`;
    await fsp.writeFile(tmp, data);
    await fsp.rename(tmp, file);
  }

  async mkdirp(dir: string): Promise<void> {
    await fsp.mkdir(dir, { recursive: true });
  }

  async stat(file: string): Promise<FileStat | undefined> {
    try {
      const s = await fsp.stat(file);
      return { size: s.size, mtimeMs: s.mtimeMs, isDirectory: s.isDirectory() };
    } catch {
      return undefined;
    }
  }

  async remove(file: string): Promise<void> {
    await fsp.rm(file, { force: true });
  }

  async fingerprint(root: string, rel: readonly string[]): Promise<string> {
    // Synchronous on purpose: ~1000 lstat calls are faster inline than through the thread pool.
    const lines: string[] = [];
    const walk = (p: string, relPath: string): void => {
      let st;
      try {
        st = lstatSync(p);
      } catch {
        lines.push(`- ${relPath}`);
        return;
      }
      if (st.isDirectory()) {
        if (path.basename(p) === '__pycache__') return;
        for (const n of readdirSync(p).sort()) walk(path.join(p, n), `${relPath}/${n}`);
      } else if (!p.endsWith('.pyc')) {
        lines.push(`${Math.floor(st.mtimeMs)} ${st.size} ${relPath}`);
      }
    };
    for (const r of rel) walk(path.join(root, r), r);
    return createHash('sha256').update(lines.join('\n')).digest('hex');
  }

  async download(file: string, localPath: string): Promise<void> {
    if (path.resolve(file) !== path.resolve(localPath)) await fsp.copyFile(file, localPath);
  }

  async upload(localPath: string, file: string): Promise<void> {
    if (path.resolve(file) !== path.resolve(localPath)) await fsp.copyFile(localPath, file);
  }

  dispose(): void {}
}
