/**
 * The `acrn-nest lint` result cache: a file whose inputs have not changed since the last lint is
 * answered from disk, without loading the XPath engine or evaluating a single check.
 *
 * The inputs of one file's analysis, all of them in the key:
 *  - the scenario's text (SHA-256) and absolute path (the tree and board are found from it);
 *  - the ACRN tree in use and the size and mtime of every file under its schema folder and VERSION;
 *  - the board file in use (explicit, or found the way the analysis finds it) with size and mtime;
 *  - the acrn-nest build itself (size and mtime of the running script) and the options.
 * A schema that could not be read, or an internal error, is never cached.
 *
 * One entry per linted file (overwritten when its inputs change), in `--cache-dir`,
 * $ACRN_NEST_CACHE_DIR, $XDG_CACHE_HOME/acrn-nest or ~/.cache/acrn-nest. A cache that cannot be
 * read or written is ignored: lint then analyzes as if there were none.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Finding } from '../engine.js';
import { SCHEMA_DIR } from '../engine.js';
import { fileStamp } from './startup.js';

/** Bumped when the entry format or the meaning of a key changes. */
const FORMAT = 1;

export interface CachedLint {
  dialect?: string;
  findings: Finding[];
}

interface Entry extends CachedLint {
  format: number;
  key: string;
}

/** Where the cache lives, from the environment (an explicit --cache-dir wins over all of it). */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.ACRN_NEST_CACHE_DIR) return env.ACRN_NEST_CACHE_DIR;
  const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(env.HOME || os.homedir(), '.cache');
  return path.join(xdg, 'acrn-nest');
}

/** Every file under dir (sorted, relative), with its stamp: a change anywhere changes the result. */
function stampTree(dir: string): string {
  let names: string[];
  try {
    names = (readdirSync(dir, { recursive: true }) as string[]).sort();
  } catch {
    return 'absent';
  }
  return names.map((n) => `${n}=${fileStamp(path.join(dir, n))}`).join('\n');
}

let tool: string | undefined;
function toolStamp(): string {
  if (tool === undefined) {
    const dir = path.dirname(__filename);
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => /\.[cm]?[jt]s$/.test(n)).sort();
    } catch {
      /* stamp nothing */
    }
    tool = names.map((n) => `${n}=${fileStamp(path.join(dir, n))}`).join(',');
  }
  return tool;
}

export interface LintInputs {
  file: string;
  text: string;
  /** The ACRN tree the analysis uses (found or given), if any. */
  tree?: string;
  /** The board file the analysis uses, if any. */
  board?: string;
  /** Options that change findings. */
  options: Record<string, unknown>;
}

/** The full key of an analysis: equal keys give equal findings. */
export function lintKey(inputs: LintInputs): string {
  const h = createHash('sha256');
  const part = (s: string): void => {
    h.update(s);
    h.update('\0');
  };
  part(`format ${FORMAT}`);
  // This script and its sibling bundles (dist/cli/*.js; the source folder under tsx).
  part(`tool ${toolStamp()}`);
  part(`file ${inputs.file}`);
  part(`text ${createHash('sha256').update(inputs.text).digest('hex')}`);
  part(`options ${JSON.stringify(inputs.options)}`);
  part(`tree ${inputs.tree ?? '-'}`);
  if (inputs.tree) {
    part(stampTree(path.join(inputs.tree, SCHEMA_DIR)));
    part(`VERSION ${fileStamp(path.join(inputs.tree, 'VERSION'))}`);
  }
  part(`board ${inputs.board ?? '-'} ${inputs.board ? fileStamp(inputs.board) : ''}`);
  return h.digest('hex');
}

export class LintCache {
  constructor(readonly dir: string) {}

  private entryPath(file: string, options: Record<string, unknown>): string {
    const name = createHash('sha256').update(`${file}\0${JSON.stringify(options)}`).digest('hex').slice(0, 32);
    return path.join(this.dir, 'lint', `${name}.json`);
  }

  get(inputs: LintInputs, key: string): CachedLint | undefined {
    try {
      const e = JSON.parse(readFileSync(this.entryPath(inputs.file, inputs.options), 'utf8')) as Entry;
      if (e.format !== FORMAT || e.key !== key || !Array.isArray(e.findings)) return undefined;
      return { dialect: e.dialect, findings: e.findings };
    } catch {
      return undefined;
    }
  }

  put(inputs: LintInputs, key: string, value: CachedLint): void {
    if (value.findings.some((f) => f.code === 'schema/load' || f.code === 'internal-error')) return;
    const file = this.entryPath(inputs.file, inputs.options);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const entry: Entry = { format: FORMAT, key, ...value };
      writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
      renameSync(tmp, file);
    } catch {
      try {
        unlinkSync(tmp);
      } catch {
        /* never written */
      }
    }
  }
}
