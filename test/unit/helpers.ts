/** Shared test helpers: where ACRN's real data lives (../shared/acrn-data) and how to list it. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..');
export const ACRN_DATA = process.env.ACRN_DATA ?? path.resolve(REPO, '..', 'shared', 'acrn-data');
export const TAGS = ['v2.5', 'v2.6', 'v2.7', 'v3.0', 'v3.3'] as const;
export type Tag = (typeof TAGS)[number];

export function hasAcrnData(): boolean {
  return existsSync(path.join(ACRN_DATA, 'v3.3'));
}

/** The ACRN tree for a tag, laid out as in an ACRN checkout. */
export function acrnTree(tag: Tag): string {
  return path.join(ACRN_DATA, tag);
}

/** Every XML file under a tag's misc/config_tools/data. */
export function dataFiles(tag: Tag): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = path.join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.xml')) out.push(p);
    }
  };
  walk(path.join(acrnTree(tag), 'misc', 'config_tools', 'data'));
  return out;
}

export function fixture(...parts: string[]): string {
  return path.join(REPO, 'test', 'fixtures', ...parts);
}
