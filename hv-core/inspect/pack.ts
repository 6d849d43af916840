/**
 * The inspector of the user's ACRN tree (misc/config_tools/board_inspector), packed as one
 * tar.gz in memory (POSIX ustar, regular files and folders only, no __pycache__) to be sent over
 * SFTP and unpacked with `tar -xzf` in a staging folder on the board. Nothing is installed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export const INSPECTOR_DIR = 'misc/config_tools/board_inspector';
export const INSPECTOR_MAIN = 'board_inspector.py';
export const GRUB_HELPER = 'debian/grub/20_acrn-board-inspector';

export interface PackedInspector {
  tgz: Buffer;
  files: number;
  bytes: number;
  /** board_inspector.py's text (its tool list is read from it). */
  main: string;
  /** ACRN's 20_acrn-board-inspector, when the tree has it (its kernel parameters). */
  grubHelper: string | undefined;
  /** The tree's VERSION, e.g. "3.3". */
  version: string | undefined;
}

function header(name: string, size: number, type: '0' | '5', mode: number, mtime: number): Buffer {
  const h = Buffer.alloc(512, 0);
  let n = name;
  let prefix = '';
  if (Buffer.byteLength(n) > 100) {
    const i = n.lastIndexOf('/', 154);
    if (i < 0 || Buffer.byteLength(n.slice(i + 1)) > 100) throw new Error(`path too long for tar: ${name}`);
    prefix = n.slice(0, i);
    n = n.slice(i + 1);
  }
  const put = (s: string, off: number, len: number): void => void h.write(s, off, len, 'utf8');
  const oct = (v: number, len: number): string => v.toString(8).padStart(len - 1, '0') + '\0';
  put(n, 0, 100);
  put(oct(mode, 8), 100, 8);
  put(oct(0, 8), 108, 8);
  put(oct(0, 8), 116, 8);
  put(oct(size, 12), 124, 12);
  put(oct(mtime, 12), 136, 12);
  put('        ', 148, 8);
  put(type, 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

/** A tar (ustar) of `entries` (folders end with '/'); deterministic (mtime 0, uid/gid 0). */
export function tar(entries: { name: string; data?: Buffer; mode?: number }[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.name.endsWith('/')) {
      parts.push(header(e.name, 0, '5', e.mode ?? 0o755, 0));
      continue;
    }
    const d = e.data ?? Buffer.alloc(0);
    parts.push(header(e.name, d.length, '0', e.mode ?? 0o644, 0), d);
    const pad = (512 - (d.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(1024, 0));
  return Buffer.concat(parts);
}

export class InspectorSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InspectorSourceError';
  }
}

/** Packs the tree's board inspector as `board_inspector/...`. */
export function packInspector(acrnTree: string): PackedInspector {
  const dir = path.join(acrnTree, INSPECTOR_DIR);
  const main = path.join(dir, INSPECTOR_MAIN);
  if (!existsSync(main)) {
    throw new InspectorSourceError(`${acrnTree} has no board inspector (${INSPECTOR_DIR}/${INSPECTOR_MAIN} not found): give an ACRN v3.x source tree (--acrn-tree DIR, or the acrnNest.acrnTree setting)`);
  }
  const entries: { name: string; data?: Buffer; mode?: number }[] = [{ name: 'board_inspector/' }];
  let bytes = 0;
  const walk = (abs: string, rel: string): void => {
    for (const name of readdirSync(abs).sort()) {
      if (name === '__pycache__' || name.endsWith('.pyc') || name.startsWith('.')) continue;
      const a = path.join(abs, name);
      const r = `${rel}/${name}`;
      const st = statSync(a);
      if (st.isDirectory()) {
        entries.push({ name: `${r}/` });
        walk(a, r);
      } else if (st.isFile()) {
        const data = readFileSync(a);
        bytes += data.length;
        entries.push({ name: r, data, mode: st.mode & 0o111 ? 0o755 : 0o644 });
      }
    }
  };
  walk(dir, 'board_inspector');
  const helperPath = path.join(acrnTree, GRUB_HELPER);
  let version: string | undefined;
  try {
    const v = readFileSync(path.join(acrnTree, 'VERSION'), 'utf8');
    const maj = /MAJOR_VERSION=(\d+)/.exec(v)?.[1];
    const min = /MINOR_VERSION=(\d+)/.exec(v)?.[1];
    const extra = /EXTRA_VERSION=(\S*)/.exec(v)?.[1] ?? '';
    if (maj && min) version = `${maj}.${min}${extra}`;
  } catch {
    /* no VERSION: a checkout without it */
  }
  return {
    tgz: gzipSync(tar(entries)),
    files: entries.filter((e) => !e.name.endsWith('/')).length,
    bytes,
    main: readFileSync(main, 'utf8'),
    grubHelper: existsSync(helperPath) ? readFileSync(helperPath, 'utf8') : undefined,
    version,
  };
}
