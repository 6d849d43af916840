/**
 * Finding the ACRN tree (for the schema) and the board file (for datachecks and acrn:options)
 * that belong to a scenario file.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { XmlDocument } from '../xml/model.js';
import { attr } from '../xml/model.js';
import { SCHEMA_DIR } from './loader.js';

/** True when `dir` holds misc/config_tools/schema/config.xsd. */
export function isAcrnTree(dir: string): boolean {
  return existsSync(path.join(dir, SCHEMA_DIR, 'config.xsd'));
}

/** Turns a file URI or path into a path; undefined for other URI schemes. */
export function uriToPath(uri: string | undefined): string | undefined {
  if (!uri) return undefined;
  if (uri.startsWith('file://')) {
    try {
      return decodeURIComponent(new URL(uri).pathname);
    } catch {
      return undefined;
    }
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) && !/^[a-z]:[\\/]/i.test(uri)) return undefined;
  return uri;
}

/**
 * The ACRN tree to use: the explicit one when it is a tree, else the first ancestor of the
 * scenario file that holds misc/config_tools/schema/config.xsd.
 */
export function findAcrnTree(explicit: string | undefined, scenarioPath: string | undefined): string | undefined {
  if (explicit && isAcrnTree(explicit)) return path.resolve(explicit);
  if (!scenarioPath) return undefined;
  let dir = path.dirname(path.resolve(scenarioPath));
  for (let i = 0; i < 64; i++) {
    if (isAcrnTree(dir)) return dir;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

const BOARD_SNIFF = new Map<string, { mtimeMs: number; board: boolean }>();

function isBoardXml(file: string): boolean {
  try {
    const mtimeMs = statSync(file).mtimeMs;
    const hit = BOARD_SNIFF.get(file);
    if (hit && hit.mtimeMs === mtimeMs) return hit.board;
    const text = readFileSync(file, 'utf8');
    const board = /<acrn-config\b[^>]*\bboard=/.test(text.slice(0, 4096)) && /<(BIOS_INFO|processors|CPU_PROCESSOR_INFO|BASE_BOARD_INFO|PCI_DEVICE)\b/.test(text.slice(0, 200_000));
    BOARD_SNIFF.set(file, { mtimeMs, board });
    return board;
  } catch {
    return false;
  }
}

/**
 * The board file of a scenario, in this order: an explicit path (setting/option); the scenario
 * root's `board=` attribute resolved in the tree at misc/config_tools/data/<board>/<board>.xml;
 * a sibling `<board>.xml`; a single board XML among the scenario's siblings.
 */
export function findBoardFile(opts: { explicit?: string; scenarioPath?: string; doc?: XmlDocument; acrnTree?: string }): string | undefined {
  if (opts.explicit) return existsSync(opts.explicit) ? path.resolve(opts.explicit) : undefined;
  const board = attr(opts.doc?.root, 'board');
  const dir = opts.scenarioPath ? path.dirname(path.resolve(opts.scenarioPath)) : undefined;
  if (board && /^[\w.-]+$/.test(board)) {
    if (opts.acrnTree) {
      const p = path.join(opts.acrnTree, 'misc', 'config_tools', 'data', board, `${board}.xml`);
      if (existsSync(p)) return p;
    }
    if (dir) {
      const p = path.join(dir, `${board}.xml`);
      if (existsSync(p) && p !== path.resolve(opts.scenarioPath ?? '')) return p;
    }
  }
  if (dir) {
    // ACRN's own layout: data/<board>/<board>.xml next to the scenarios.
    const named = path.join(dir, `${path.basename(dir)}.xml`);
    if (existsSync(named) && named !== path.resolve(opts.scenarioPath ?? '') && isBoardXml(named)) return named;
    let found: string | undefined;
    try {
      for (const n of readdirSync(dir)) {
        if (!n.endsWith('.xml')) continue;
        const p = path.join(dir, n);
        if (p === path.resolve(opts.scenarioPath ?? '') || !statSync(p).isFile()) continue;
        if (isBoardXml(p)) {
          if (found) return undefined; // ambiguous
          found = p;
        }
      }
    } catch {
      return undefined;
    }
    return found;
  }
  return undefined;
}
