/**
 * Which python3 can run ACRN's config tools (issue 11): PATH's python3 often is a pyenv or venv
 * interpreter without lxml & co. while Debian's /usr/bin/python3 has them. Local builds probe the
 * interpreters the machine has and use the first that imports every module, saying which.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { PYTHON_MODULES } from './preflight.js';

/** /usr/bin/python3, then every python3.N on PATH and in /usr/bin (newest first), deduplicated by real path. */
export function pythonCandidates(pathEnv: string | undefined): string[] {
  const dirs = [...(pathEnv ?? '').split(path.delimiter).filter(Boolean), '/usr/bin', '/usr/local/bin'];
  const versioned: string[] = [];
  for (const d of dirs) {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names) if (/^python3\.\d+$/.test(n)) versioned.push(path.join(d, n));
  }
  const minor = (p: string): number => Number(/\.(\d+)$/.exec(p)?.[1] ?? 0);
  versioned.sort((a, b) => minor(b) - minor(a));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of ['/usr/bin/python3', ...versioned]) {
    if (!existsSync(p)) continue;
    let real: string;
    try {
      real = realpathSync(p);
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    out.push(p);
  }
  return out;
}

/** Whether `python` imports every module ACRN's config tools need (bounded: 10 s). */
export function hasAcrnModules(python: string): boolean {
  const r = spawnSync(python, ['-c', `import ${PYTHON_MODULES.join(', ')}`], { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}
