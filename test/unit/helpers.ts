/**
 * Shared test helpers: where ACRN's real data lives (test/acrn-data.ts: ACRN_TREE, ACRN_DATA or
 * ../shared/acrn-data) and how to list it.
 */
import path from 'node:path';
import type { Tag } from '../acrn-data';
import { acrnData, REPO, TAGS } from '../acrn-data';

export { REPO, TAGS };
export type { Tag };

export const DATA = acrnData();

/**
 * The folder of per-tag trees (`ACRN_DATA/v3.3/...`). With ACRN_TREE, paths built on it reach the
 * one tree through `acrnTree(tag)` only; prefer `acrnTree(tag)`.
 */
export const ACRN_DATA = path.dirname(DATA.tree('v3.3'));

export function hasAcrnData(): boolean {
  return DATA.has('v3.3');
}

/**
 * For node:test's `skip`: false when the data of every tag is here, else why to skip (with
 * ACRN_TREE, a user's one checkout, the tests of other releases skip).
 */
export function needs(...tags: Tag[]): false | string {
  const missing = tags.filter((t) => !DATA.has(t));
  return missing.length ? `needs ACRN ${missing.join(', ')} data (${DATA.source})` : false;
}

/** The ACRN tree for a tag, laid out as in an ACRN checkout. */
export function acrnTree(tag: Tag): string {
  return DATA.tree(tag);
}

/** Every XML file under a tag's misc/config_tools/data. */
export function dataFiles(tag: Tag): string[] {
  return DATA.dataFiles(tag);
}

export function fixture(...parts: string[]): string {
  return path.join(REPO, 'test', 'fixtures', ...parts);
}
