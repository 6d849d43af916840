/**
 * Is this folder an ACRN tree, and which ACRN? A tree is a checkout of acrn-hypervisor: a top
 * Makefile, hypervisor/ and misc/config_tools/. The version comes from its VERSION file
 * (MAJOR_VERSION=3 / MINOR_VERSION=3); without one, from the schema's contents (v3 has load_order).
 */
import path from 'node:path';
import { AcrnNestError } from '../errors.js';
import type { BuildHost } from './host.js';

export type Family = 'v2' | 'v3';

export interface AcrnTreeInfo {
  root: string;
  major: number;
  minor: number | undefined;
  /** 'v3.3', or 'v3.x' when only the family is known. */
  label: string;
  family: Family;
  /** Where the version came from. */
  from: 'VERSION' | 'schema';
}

/** What failed, in the user's words; `step` names the step of the build. */
export type BuildStep = 'tree' | 'preflight' | 'inputs' | 'stage' | 'make' | 'validate' | 'compile' | 'output' | 'clean';

export class BuildError extends AcrnNestError {
  constructor(
    readonly step: BuildStep,
    code: string,
    message: string,
    /** What the user can do about it. */
    readonly hint?: string,
  ) {
    super(code, message);
    this.name = 'BuildError';
  }
}

const REQUIRED = [
  { rel: 'Makefile', dir: false },
  { rel: 'hypervisor', dir: true },
  { rel: 'misc/config_tools', dir: true },
] as const;

/** Checks the layout and reads the version; throws BuildError('tree', ...) when it is not a tree. */
export async function inspectAcrnTree(host: BuildHost, dir: string): Promise<AcrnTreeInfo> {
  const root = host.kind === 'local' ? path.resolve(dir) : dir.replace(/\/+$/, '') || '/';
  const where = host.kind === 'local' ? '' : ` on ${host.label}`;
  const st = await host.stat(root);
  if (!st) throw new BuildError('tree', 'tree/missing', `ACRN tree ${root}${where} does not exist`, 'Set acrnNest.acrnTree (or --acrn-tree) to your acrn-hypervisor checkout.');
  if (!st.isDirectory) throw new BuildError('tree', 'tree/not-a-folder', `ACRN tree ${root}${where} is a file, not a folder`, 'Set acrnNest.acrnTree (or --acrn-tree) to your acrn-hypervisor checkout.');
  const missing: string[] = [];
  for (const r of REQUIRED) {
    const s = await host.stat(`${root}/${r.rel}`);
    if (!s || s.isDirectory !== r.dir) missing.push(r.dir ? `${r.rel}/` : r.rel);
  }
  if (missing.length > 0) {
    throw new BuildError(
      'tree',
      'tree/not-acrn',
      `${root}${where} is not an ACRN tree: no ${missing.join(', no ')}`,
      'An ACRN tree is a checkout of https://github.com/projectacrn/acrn-hypervisor (Makefile, hypervisor/, misc/config_tools/). Point acrnNest.acrnTree (or --acrn-tree) at it.',
    );
  }
  const version = await host.readFile(`${root}/VERSION`);
  if (version) {
    const text = version.toString('utf8');
    const major = /^\s*MAJOR_VERSION\s*=\s*(\d+)/m.exec(text);
    const minor = /^\s*MINOR_VERSION\s*=\s*(\d+)/m.exec(text);
    if (major) {
      const maj = Number(major[1]);
      const min = minor ? Number(minor[1]) : undefined;
      return { root, major: maj, minor: min, label: `v${maj}.${min ?? 'x'}`, family: maj >= 3 ? 'v3' : 'v2', from: 'VERSION' };
    }
  }
  const schema = await host.readFile(`${root}/misc/config_tools/schema/config.xsd`);
  if (!schema) {
    throw new BuildError('tree', 'tree/no-version', `${root}${where}: cannot tell the ACRN version (no VERSION file, no misc/config_tools/schema/config.xsd)`, 'Is this a complete acrn-hypervisor checkout?');
  }
  const v3 = /name="load_order"/.test(schema.toString('utf8'));
  return { root, major: v3 ? 3 : 2, minor: undefined, label: v3 ? 'v3.x' : 'v2.x', family: v3 ? 'v3' : 'v2', from: 'schema' };
}
