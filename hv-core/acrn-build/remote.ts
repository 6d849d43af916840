/**
 * A build host reached over SSH (hv-core/ssh-target's SshConnection): for ACRN v2 trees, which need
 * GCC <= 11, users build on an older machine. Every remote command is an argv that the connection
 * quotes word by word (shq); make runs in its own session (setsid) so cancel can kill its whole
 * process group on the build host, not just the SSH channel.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SshConnection } from '../ssh-target/connection.js';
import { AbortedError } from '../ssh-target/connection.js';
import type { BuildHost, FileStat, RunOptions, RunResult } from './host.js';
import { LineSplitter } from './host.js';

const PGID_MARK = 'acrn-nest-pgid:';
// $1 = cwd, the rest = the command. Prints its pid (= process group id, thanks to setsid) first.
const WRAPPER = `cd -- "$1" || exit 125; shift; echo "${PGID_MARK}$$" >&2; exec "$@"`;

export class RemoteHost implements BuildHost {
  readonly kind = 'remote' as const;
  readonly label: string;

  constructor(private readonly conn: SshConnection) {
    this.label = conn.label;
  }

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const envArgs = opts.env ? Object.entries(opts.env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`) : [];
    const cmd = [...(envArgs.length ? ['env', ...envArgs] : []), ...argv];
    const full = opts.cwd ? ['setsid', '-w', 'sh', '-c', WRAPPER, 'sh', opts.cwd, ...cmd] : cmd;
    let pgid: string | undefined;
    const result: RunResult = { code: null, signal: null, stdout: '', stderr: '', aborted: false };
    const limit = opts.captureLimit ?? 1024 * 1024;
    const out = new LineSplitter((l) => opts.onLine?.(l, 'stdout'));
    const err = new LineSplitter((l) => {
      if (pgid === undefined && l.startsWith(PGID_MARK)) {
        pgid = l.slice(PGID_MARK.length);
        return;
      }
      opts.onLine?.(l, 'stderr');
    });
    try {
      const r = await this.conn.exec(full, {
        signal: opts.signal,
        onStdout: (d) => out.push(d.toString('utf8')),
        onStderr: (d) => err.push(d.toString('utf8')),
      });
      out.end();
      err.end();
      result.code = r.code;
      result.signal = r.signal;
      result.stdout = r.stdout.slice(0, limit);
      result.stderr = r.stderr.split('\n').filter((l) => !l.startsWith(PGID_MARK)).join('\n').slice(0, limit);
      if (r.code === 127 && /not found/.test(r.stderr)) result.spawnError = 'ENOENT';
      return result;
    } catch (e) {
      if (!(e instanceof AbortedError)) throw e;
      result.aborted = true;
      if (pgid && /^\d+$/.test(pgid)) {
        await this.conn.exec(['kill', '-TERM', '--', `-${pgid}`]).catch(() => undefined);
      }
      return result;
    }
  }

  async readFile(file: string): Promise<Buffer | undefined> {
    const sftp = await this.conn.sftp();
    return new Promise((resolve, reject) => {
      sftp.readFile(file, (e: (Error & { code?: number }) | null | undefined, data: Buffer) => {
        if (e) return e.code === 2 ? resolve(undefined) : reject(new Error(`reading ${file} on ${this.label}: ${e.message}`));
        resolve(data);
      });
    });
  }

  async writeFile(file: string, data: Buffer | string): Promise<void> {
    await this.conn.upload(Buffer.isBuffer(data) ? data : Buffer.from(data), file);
  }

  async mkdirp(dir: string): Promise<void> {
    await this.conn.run(['mkdir', '-p', '--', dir]);
  }

  async stat(file: string): Promise<FileStat | undefined> {
    const sftp = await this.conn.sftp();
    return new Promise((resolve) => {
      sftp.stat(file, (e, st) => {
        if (e) return resolve(undefined);
        resolve({ size: st.size, mtimeMs: st.mtime * 1000, isDirectory: st.isDirectory() });
      });
    });
  }

  async remove(file: string): Promise<void> {
    await this.conn.run(['rm', '-f', '--', file]);
  }

  async fingerprint(root: string, rel: readonly string[]): Promise<string> {
    const r = await this.run(['find', ...rel, '-name', '__pycache__', '-prune', '-o', '-type', 'f', '!', '-name', '*.pyc', '-printf', '%T@ %s %p\\n'], { cwd: root });
    return createHash('sha256').update(r.stdout.split('\n').sort().join('\n')).digest('hex');
  }

  async download(file: string, localPath: string): Promise<void> {
    const sftp = await this.conn.sftp();
    await new Promise<void>((resolve, reject) => sftp.fastGet(file, localPath, (e) => (e ? reject(new Error(`downloading ${file} from ${this.label}: ${e.message}`)) : resolve())));
  }

  async upload(localPath: string, file: string): Promise<void> {
    await this.conn.upload(readFileSync(localPath), file);
  }

  dispose(): void {
    this.conn.close();
  }
}
