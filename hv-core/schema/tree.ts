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

/** The root's `board=` attribute: from the parsed document, or read off the text's root tag. */
function boardAttr(doc: XmlDocument | undefined, text: string | undefined): string | undefined {
  if (doc) return attr(doc.root, 'board');
  return text ? /<acrn-config\b[^>]*\bboard\s*=\s*["']([^"']*)["']/.exec(text)?.[1] : undefined;
}

/**
 * The board file of a scenario, in this order: an explicit path (setting/option); for the root's
 * `board="NAME"`: a sibling `NAME.xml` or `NAME.board.xml` (what ACRN's board inspector writes)
 * that is a board, then `misc/config_tools/data/NAME/NAME.xml` in the tree; the board named after
 * the scenario's folder (ACRN's own data layout); the single board XML among the scenario's
 * siblings. One function for the language server, the CLI commands and the wizard, so they all
 * check against the same board.
 */
export function findBoardFile(opts: { explicit?: string; scenarioPath?: string; doc?: XmlDocument; text?: string; acrnTree?: string }): string | undefined {
  if (opts.explicit) return existsSync(opts.explicit) ? path.resolve(opts.explicit) : undefined;
  const board = boardAttr(opts.doc, opts.text);
  const self = path.resolve(opts.scenarioPath ?? '');
  const dir = opts.scenarioPath ? path.dirname(self) : undefined;
  const isSiblingBoard = (p: string): boolean => p !== self && existsSync(p) && isBoardXml(p);
  if (board && /^[\w.-]+$/.test(board)) {
    if (dir) {
      for (const name of [`${board}.xml`, `${board}.board.xml`]) {
        const p = path.join(dir, name);
        if (isSiblingBoard(p)) return p;
      }
    }
    if (opts.acrnTree) {
      const p = path.join(opts.acrnTree, 'misc', 'config_tools', 'data', board, `${board}.xml`);
      if (existsSync(p)) return p;
    }
  }
  if (dir) {
    // ACRN's own layout: data/<board>/<board>.xml next to the scenarios.
    const named = path.join(dir, `${path.basename(dir)}.xml`);
    if (isSiblingBoard(named)) return named;
    let found: string | undefined;
    try {
      for (const n of readdirSync(dir)) {
        if (!n.endsWith('.xml')) continue;
        const p = path.join(dir, n);
        if (p === self || !statSync(p).isFile()) continue;
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
