/**
 * The light half of hv-core/settings.ts (no SSH, no target files): path settings resolved
 * (`${workspaceFolder}`, `${userHome}`, `${env:NAME}`, `~`, relative), the one board lookup and
 * the one "is this an ACRN file?" check. hv-core/settings.ts re-exports all of it; front ends
 * import it through hv-core/engine.ts (the language server's and the CLI's lint bundle keep
 * only this half: the build marks hv-core free of side effects).
 */
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_MAX_FILE_MB } from './files.js';
import type { Dialect } from './scenario/dialect.js';
import { detectDialect, looksLikeAcrn } from './scenario/dialect.js';
import { findBoardFile } from './schema/tree.js';
import type { XmlDocument } from './xml/model.js';
import { parseXml } from './xml/parser.js';

/** What a setting's variables and relative paths are resolved against. */
export interface PathScope {
  /** The workspace folder of the resource (or the first one); relative paths are resolved here. */
  workspaceFolder?: string;
  /** Used when there is no workspace folder (e.g. the scenario's folder); default: process.cwd(). */
  fallbackBase?: string;
  /** Default os.homedir(). */
  home?: string;
  /** Default process.env. */
  env?: Record<string, string | undefined>;
}

/**
 * A path setting as the user wrote it -> an absolute path; '' / undefined -> undefined.
 * `${workspaceFolder}`, `${userHome}`, `${env:NAME}`, then `~` / `~/…`, then relative -> absolute.
 */
export function resolveSettingPath(value: string | undefined | null, scope: PathScope = {}): string | undefined {
  if (value === undefined || value === null) return undefined;
  const home = scope.home ?? os.homedir();
  const env = scope.env ?? process.env;
  const base = scope.workspaceFolder ?? scope.fallbackBase ?? process.cwd();
  let v = value.trim();
  if (!v) return undefined;
  v = v.replace(/\$\{(workspaceFolder|userHome|env:([A-Za-z_][A-Za-z0-9_]*))\}/g, (_m, name: string, envName: string | undefined) => (envName ? (env[envName] ?? '') : name === 'userHome' ? home : (scope.workspaceFolder ?? base)));
  if (v === '~' || v.startsWith('~/')) v = path.join(home, v.slice(1));
  return path.isAbsolute(v) ? path.normalize(v) : path.resolve(base, v);
}

export const SETTINGS_SECTION = 'acrnNest';

/** The settings with nothing set (the defaults package.json declares). */
export const DEFAULT_RAW_SETTINGS = { acrnTree: '', boardFile: '', maxFileSizeMB: DEFAULT_MAX_FILE_MB } as const;

/**
 * The one board lookup: the explicit board (a flag, else the setting), else the board found from
 * the scenario (its `board=`, siblings, the tree; see findBoardFile). An explicit board that does
 * not exist gives undefined (callers say so).
 */
export function boardFor(opts: { explicit?: string | undefined; settings?: { boardFile: string | undefined }; scenarioPath?: string | undefined; doc?: XmlDocument | undefined; text?: string | undefined; acrnTree?: string | undefined }): string | undefined {
  const explicit = opts.explicit ?? opts.settings?.boardFile;
  return findBoardFile({ explicit, scenarioPath: opts.scenarioPath, doc: opts.doc, text: opts.text, acrnTree: opts.acrnTree });
}

/**
 * The one "is this an ACRN file?" check, cheap enough for every XML document on every editor
 * switch: the root element is `<acrn-config>` (only a prolog before it). No parse. (hv-core
 * modules below this one call dialect.ts's looksLikeAcrn, the same function.)
 */
export function isAcrnText(text: string): boolean {
  return looksLikeAcrn(text);
}

/** What kind of ACRN file a text is (a parse, only for texts that pass isAcrnText). */
export function acrnKind(text: string): Dialect['kind'] | undefined {
  if (!looksLikeAcrn(text)) return undefined;
  try {
    return detectDialect(parseXml(text))?.kind;
  } catch {
    return undefined;
  }
}
