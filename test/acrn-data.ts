/**
 * Where the tests find ACRN's real data, in one place (unit, integration and e2e tests use it):
 *
 * - `ACRN_TREE=/path/to/acrn-hypervisor`: a user's own checkout (one release; its tag is read from
 *   the tree's VERSION file, or given as `ACRN_TREE_TAG=v3.3`); tests of other tags skip;
 * - `ACRN_DATA=/dir` holding one tree per tag (`v2.5/`, …, `v3.3/`), as ../shared/acrn-data does;
 * - else `../shared/acrn-data` beside the repository.
 *
 * ACRN's data folders hold symlinks (shared.xml -> shared_launch_6user_vm.xml): a Linux checkout
 * has real symlinks, a checkout without symlink support (and ../shared) one-line placeholder
 * files. `linkTarget` gives the file a link names in both layouts, so tests pass with either.
 * Tests without the data skip (`skip(tag)`), never crash.
 */
import { existsSync, lstatSync, readFileSync, readlinkSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const REPO = path.resolve(__dirname, '..');
export const TAGS = ['v2.5', 'v2.6', 'v2.7', 'v3.0', 'v3.3'] as const;
export type Tag = (typeof TAGS)[number];

export interface AcrnData {
  /** Where the data came from, for skip messages. */
  source: string;
  /** The ACRN tree of a tag (laid out as an ACRN checkout); a path that may not exist. */
  tree(tag: Tag): string;
  has(tag: Tag): boolean;
  /** false when the tag's data is here, else the reason to skip (for node:test's `skip`). */
  skip(tag?: Tag): false | string;
  /** Every XML file under a tag's misc/config_tools/data (empty without the data). */
  dataFiles(tag: Tag): string[];
}

/** The release of an ACRN tree from its VERSION file (`MAJOR_VERSION=3`, `MINOR_VERSION=3`). */
export function treeTag(tree: string): string | undefined {
  try {
    const v = readFileSync(path.join(tree, 'VERSION'), 'utf8');
    const major = /MAJOR_VERSION\s*=\s*(\d+)/.exec(v)?.[1];
    const minor = /MINOR_VERSION\s*=\s*(\d+)/.exec(v)?.[1];
    return major && minor ? `v${major}.${minor}` : undefined;
  } catch {
    return undefined;
  }
}

export function acrnData(env: Record<string, string | undefined> = process.env): AcrnData {
  const single = env.ACRN_TREE ? path.resolve(env.ACRN_TREE) : undefined;
  const singleTag = single ? (env.ACRN_TREE_TAG ?? treeTag(single)) : undefined;
  const multi = env.ACRN_DATA ? path.resolve(env.ACRN_DATA) : path.resolve(REPO, '..', 'shared', 'acrn-data');
  const tree = (tag: Tag): string => (single ? (tag === singleTag ? single : path.join(single, '..', `.no-${tag}`)) : path.join(multi, tag));
  const has = (tag: Tag): boolean => existsSync(path.join(tree(tag), 'misc', 'config_tools', 'data'));
  const source = single ? `ACRN_TREE=${single} (${singleTag ?? 'unknown release'})` : env.ACRN_DATA ? `ACRN_DATA=${multi}` : multi;
  return {
    source,
    tree,
    has,
    skip: (tag: Tag = 'v3.3') => (has(tag) ? false : `needs ACRN ${tag} data (ACRN_TREE, ACRN_DATA or ../shared/acrn-data; looked in ${source})`),
    dataFiles(tag: Tag): string[] {
      const out: string[] = [];
      const walk = (d: string): void => {
        for (const n of readdirSync(d).sort()) {
          const p = path.join(d, n);
          if (statSync(p).isDirectory()) walk(p);
          else if (n.endsWith('.xml')) out.push(p);
        }
      };
      if (has(tag)) walk(path.join(tree(tag), 'misc', 'config_tools', 'data'));
      return out;
    },
  };
}

/**
 * The file a symlink names, for a real symlink or a git placeholder (one line naming a sibling);
 * the file itself when it is neither.
 */
export function linkTarget(file: string): string {
  const st = lstatSync(file);
  if (st.isSymbolicLink()) return path.resolve(path.dirname(file), readlinkSync(file));
  if (st.size < 256) {
    const t = readFileSync(file, 'utf8').trim();
    if (t && !t.includes('<') && !t.includes('\n')) {
      const p = path.resolve(path.dirname(file), t);
      if (path.dirname(p) === path.dirname(path.resolve(file)) && existsSync(p)) return p;
    }
  }
  return file;
}

/** The text of an ACRN data file, following a link of either kind. */
export function readAcrnFile(file: string): string {
  return readFileSync(linkTarget(file), 'utf8');
}
