/**
 * Reading ACRN files from disk the way a user's tree has them: bytes checked for binary content
 * and invalid UTF-8 (reported at the line and column where it breaks, then decoded leniently), and
 * git symlink placeholders followed (ACRN's data folders use symlinks, e.g. shared.xml ->
 * shared_launch_6user_vm.xml; a checkout without symlink support leaves a one-line text file).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Finding } from './findings.js';

export interface LoadedFile {
  /** The file whose text was read (the symlink target when a placeholder was followed). */
  path: string;
  text: string;
  /** Problems with the bytes themselves, as findings against `text`. */
  findings: Finding[];
  binary: boolean;
}

/** Files above this size (MB) get one info finding instead of analysis (setting acrnNest.maxFileSizeMB). */
export const DEFAULT_MAX_FILE_MB = 10;

export function loadFile(file: string): LoadedFile {
  const st = statSync(file);
  if (st.isDirectory()) throw new Error(`${file} is a directory`);
  const bytes = readFileSync(file);
  const findings: Finding[] = [];
  const nul = bytes.subarray(0, 8192).indexOf(0);
  if (nul >= 0 && !isUtf16(bytes)) {
    return { path: file, text: '', binary: true, findings: [{ severity: 'error', source: 'acrn-nest', code: 'binary-file', start: 0, end: 0, message: `Binary file (NUL byte at offset ${nul}): not an XML document` }] };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder('utf-8').decode(bytes);
    const bad = firstInvalidUtf8(bytes);
    const offset = new TextDecoder('utf-8').decode(bytes.subarray(0, bad)).length;
    findings.push({ severity: 'error', source: 'xml', code: 'xml/invalid-utf8', start: offset, end: offset + 1, message: `Invalid UTF-8 at byte ${bad} (0x${bytes[bad]!.toString(16).padStart(2, '0')}): ACRN's tools read scenario files as UTF-8; the bad bytes were replaced with U+FFFD` });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  // A git symlink checked out as a plain file: one line naming a sibling file.
  const trimmed = text.trim();
  if (trimmed.length > 0 && trimmed.length < 256 && !trimmed.includes('<') && !trimmed.includes('\n')) {
    const target = path.resolve(path.dirname(file), trimmed);
    if (path.dirname(target) === path.dirname(path.resolve(file)) && existsSync(target) && target !== path.resolve(file)) {
      const loaded = loadFile(target);
      loaded.findings.unshift({ severity: 'info', source: 'acrn-nest', code: 'symlink-placeholder', start: 0, end: 0, message: `${path.basename(file)} is a git symlink placeholder for ${trimmed}; linted ${trimmed}` });
      return loaded;
    }
  }
  return { path: file, text, findings, binary: false };
}

function isUtf16(bytes: Buffer): boolean {
  return (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
}

function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let n = 0;
    if (c < 0x80) n = 0;
    else if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) n = 2;
    else if (c >= 0xf0 && c <= 0xf4) n = 3;
    else return i;
    if (i + n >= b.length && n > 0) return i;
    for (let k = 1; k <= n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return b.length - 1;
}
