/**
 * `acrn-nest lint`'s start-up snapshot: a V8 heap (Node's `--build-snapshot`) with lint, the
 * checkers and the XPath engine loaded and warmed, so a file that is not in the lint cache is
 * analyzed without loading the bundle or parsing and compiling ACRN's XPath expressions again: on
 * this machine a first lint's CPU time went from 470 ms to 320 ms (docs/editing.md, "Speed"; what
 * is left is the evaluation, in V8's interpreter in any fresh process).
 *
 * What the heap holds, and why it cannot give a different answer:
 *  - code (the bundles) and fontoxpath's compiled expressions, keyed by the expression text;
 *  - the schema models of the trees it was warmed with, re-read when a schema file changes
 *    (schema/loader.ts `schemaForTree`, the check the language server relies on);
 *  - no findings: each lint makes its own analysis caches (engine `createAnalysisCaches()`), the
 *    warm-up's are dropped.
 * The blob is keyed by the Node binary (version, path, size, mtime), the platform and the
 * acrn-nest build (every file of dist/cli/); another key is another file, stale ones are removed.
 *
 * Use: lint runs in the snapshot (a child `node --snapshot-blob`, stdio inherited, its exit code
 * returned) only when some file needs an analysis, i.e. is not answered from the lint cache: a
 * cache hit is cheaper in this process than a second Node start. Without a blob, lint analyzes
 * in-process as before and starts building one in the background (detached; the blob is probed
 * before it is renamed into place; a key Node cannot build one for is not tried again).
 * $ACRN_NEST_STARTUP_SNAPSHOT: `auto` (default), `off`, or
 * `sync` (build before exiting: tests, the bench). `--no-cache` neither uses nor builds one.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Bumped when what the snapshot holds or how it is entered changes. */
const FORMAT = 1;

/** The snapshot entry, next to lint.js in dist/cli/ (scripts/build.mjs). */
export const ENTRY = 'lint-startup.js';

export type SnapshotMode = 'auto' | 'off' | 'sync';

export function snapshotMode(env: NodeJS.ProcessEnv): SnapshotMode {
  const m = env.ACRN_NEST_STARTUP_SNAPSHOT;
  return m === 'off' || m === 'sync' ? m : 'auto';
}

let inSnapshot = false;
/** Set by the snapshot entry: inside the snapshot, lint analyzes (it never delegates again). */
export function markInSnapshot(): void {
  inSnapshot = true;
}
export function runningInSnapshot(): boolean {
  return inSnapshot;
}

/** A file's identity for cache keys: size, mtime (ns) and inode; 'absent' when it is not there. */
export function fileStamp(file: string): string {
  try {
    const st = statSync(file, { bigint: true });
    return `${st.size}:${st.mtimeNs}:${st.ino}`;
  } catch {
    return 'absent';
  }
}

/** The folder of the bundles (dist/cli/), or undefined when not running from them (tsx, tests). */
export function bundleDir(dirname: string): string | undefined {
  try {
    return statSync(path.join(dirname, ENTRY)).isFile() ? dirname : undefined;
  } catch {
    return undefined;
  }
}

/** What a snapshot depends on: Node itself and every file of the acrn-nest build. */
export function snapshotKey(dir: string, nodeOptions = process.env.NODE_OPTIONS ?? '', node: { version: string; execPath: string; platform: string; arch: string } = process): string {
  const h = createHash('sha256');
  // V8 flags (NODE_OPTIONS) must be the same to load a snapshot as to build it.
  h.update(`format ${FORMAT}\0node ${node.version} ${node.platform} ${node.arch} ${node.execPath} ${fileStamp(node.execPath)}\0options ${nodeOptions}\0`);
  let names: string[] = [];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith('.js'))
      .sort();
  } catch {
    /* nothing to stamp */
  }
  for (const n of names) h.update(`${n}=${fileStamp(path.join(dir, n))}\0`);
  return h.digest('hex').slice(0, 32);
}

export function blobPath(cacheDir: string, key: string): string {
  return path.join(cacheDir, 'startup', `lint-${key}.blob`);
}

/** What the warm-up analyzes (the files of the lint that asked for the snapshot), for the builder. */
export interface WarmUp {
  files: string[];
  acrnTree?: string;
  board?: string;
}

/**
 * The environment of lint's snapshot processes: ours, without NODE_EXTRA_CA_CERTS. Node parses
 * that bundle at every start (150 ms here for Debian's), and lint makes no TLS connection.
 */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** Node's exit status for a startup snapshot it cannot load (other V8 flags or version). */
const SNAPSHOT_FAILURE = 14;

/**
 * Runs `acrn-nest lint` in the snapshot, if there is one for this Node and build: one child per
 * element of `runs` (each the arguments of one lint over a run of consecutive files), their
 * output written in order, so the whole is what one lint of every file prints (`json`: the
 * children's arrays joined into one). The exit code, or undefined: no usable snapshot (a blob
 * Node cannot load is removed, before any output).
 */
export async function lintInSnapshot(runs: string[][], blob: string, io: { out(line: string): void }, json: boolean): Promise<number | undefined> {
  try {
    if (!statSync(blob).isFile()) return undefined;
  } catch {
    return undefined;
  }
  const { spawn } = await import('node:child_process');
  const env = childEnv({ ACRN_NEST_IN_STARTUP_SNAPSHOT: '1' });
  // The first child writes to our stdout as it goes (text); the others are held until their turn.
  // (Only the bundled CLI hands over, bundleDir(): there io.out is this process's stdout.)
  const children = runs.map((argv, i) => {
    const child = spawn(process.execPath, ['--snapshot-blob', blob, 'lint', ...argv], { stdio: ['inherit', i === 0 && !json ? 'inherit' : 'pipe', 'inherit'], env });
    const out: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) => {
      child.on('error', () => resolve({ status: null, signal: null, out: '' }));
      child.on('close', (status, signal) => resolve({ status, signal, out: Buffer.concat(out).toString('utf8') }));
    });
    return done;
  });
  const results = await Promise.all(children);
  if (results.some((r) => r.status === SNAPSHOT_FAILURE || (r.status === null && r.signal !== 'SIGINT' && r.signal !== 'SIGTERM'))) {
    try {
      unlinkSync(blob);
    } catch {
      /* gone already */
    }
    // Only a first child that started (and wrote) can have printed anything; it must not print twice.
    if (results[0]!.status === SNAPSHOT_FAILURE || results[0]!.status === null) return undefined;
  }
  if (results.some((r) => r.status === null)) return 130;
  if (json) {
    const all: unknown[] = [];
    for (const r of results) all.push(...(JSON.parse(r.out) as unknown[]));
    io.out(JSON.stringify(all, null, 2));
  } else {
    for (const r of results.slice(1)) for (const line of r.out.split('\n').slice(0, -1)) io.out(line);
  }
  const codes = results.map((r) => r.status ?? 1);
  return codes.includes(2) ? 2 : codes.includes(1) ? 1 : 0;
}

/**
 * How many processes a batch is spread over: --jobs, else one. A second process pays its own
 * start and its own interpreted warm-up; on the 2-core machine the figures were taken on, shared
 * with other work, it made a batch of the 30 official v3.3 scenarios no faster (and 40% more CPU):
 * docs/editing.md, "Speed". `npm run bench` prints both.
 */
export function jobsFor(files: number, jobs: number | undefined): number {
  return jobs === undefined ? 1 : Math.max(1, Math.min(jobs, files));
}

/** Consecutive runs of `items`, `n` of them, of about equal total weight, none empty. */
export function splitRuns<T>(items: T[], n: number, weight: (t: T) => number): T[][] {
  const total = items.reduce((a, t) => a + weight(t), 0);
  const out: T[][] = [];
  let cur: T[] = [];
  let acc = 0;
  for (let i = 0; i < items.length; i++) {
    const t = items[i]!;
    cur.push(t);
    acc += weight(t);
    const left = items.length - i - 1;
    const runsLeft = n - out.length - 1;
    if (runsLeft > 0 && (acc >= (total * (out.length + 1)) / n || left === runsLeft)) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * Builds the blob for `key` (in a temporary file, probed, then renamed into place) and removes
 * the blobs of other keys. Detached in the background, or (sync) before returning.
 */
export async function buildSnapshot(dir: string, cacheDir: string, key: string, warm: WarmUp, sync: boolean): Promise<boolean> {
  const blob = blobPath(cacheDir, key);
  // Where Node cannot build or load one (a platform, a flag), it is tried once per key, not per lint.
  if (existsSync(failedMarker(blob))) return false;
  const { spawn, spawnSync } = await import('node:child_process');
  try {
    mkdirSync(path.dirname(blob), { recursive: true, mode: 0o700 });
  } catch {
    return false;
  }
  const env = childEnv({ ACRN_NEST_STARTUP_WARMUP: JSON.stringify(warm), ACRN_NEST_STARTUP_BLOB: blob });
  const args = [path.join(dir, 'lint-startup-build.js')];
  if (sync) {
    spawnSync(process.execPath, args, { stdio: 'ignore', env });
  } else {
    const child = spawn(process.execPath, args, { stdio: 'ignore', env, detached: true });
    child.on('error', () => undefined);
    child.unref();
  }
  return true;
}

/** Left by a builder that could not build or load the blob for its key. */
export function failedMarker(blob: string): string {
  return `${blob}.failed`;
}

/** The builder (dist/cli/lint-startup-build.js): build, probe, rename, tidy. */
export async function buildSnapshotNow(env: NodeJS.ProcessEnv, dir: string): Promise<number> {
  const { spawnSync } = await import('node:child_process');
  const blob = env.ACRN_NEST_STARTUP_BLOB;
  if (!blob) return 2;
  const tmp = `${blob}.${process.pid}.tmp`;
  const clean = (): void => {
    try {
      unlinkSync(tmp);
    } catch {
      /* never written */
    }
  };
  const failed = (): number => {
    clean();
    try {
      writeFileSync(failedMarker(blob), '');
    } catch {
      /* tried again next time */
    }
    return 1;
  };
  const built = spawnSync(process.execPath, ['--snapshot-blob', tmp, '--build-snapshot', path.join(dir, ENTRY)], { stdio: 'ignore', env, cwd: dir });
  if (built.status !== 0) return failed();
  const probe = spawnSync(process.execPath, ['--snapshot-blob', tmp], { encoding: 'utf8', env: { ...env, ACRN_NEST_STARTUP_PROBE: '1' } });
  if (probe.status !== 0 || probe.stdout.trim() !== 'acrn-nest startup snapshot ok') return failed();
  try {
    renameSync(tmp, blob);
  } catch {
    clean();
    return 1;
  }
  // Other keys' blobs and markers go, and the temporary files of builders that died an hour ago.
  const folder = path.dirname(blob);
  try {
    for (const n of readdirSync(folder)) {
      const f = path.join(folder, n);
      if (!n.startsWith('lint-') || f === blob) continue;
      if (!n.endsWith('.tmp') || statSync(f).mtimeMs < Date.now() - 3600_000) unlinkSync(f);
    }
  } catch {
    /* another builder's */
  }
  return 0;
}
