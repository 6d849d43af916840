/**
 * A scenario whose dialect (v2/v3) does not match the configured ACRN tree's version (issue 11):
 * ACRN's make would reject it, so say so when the file is opened, on the root element, with the
 * quick fix "Choose ACRN tree..." (the extension's command). The tree's version comes from its
 * VERSION file, read once per (path, mtime).
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CodeAction, Diagnostic } from 'vscode-languageserver/node';
import { CodeActionKind, DiagnosticSeverity } from 'vscode-languageserver/node';
import type { DocState } from '../documents.js';

/** The extension's command (extension/constants.ts Commands.chooseAcrnTree; a unit test keeps them equal). */
export const CHOOSE_TREE_COMMAND = 'acrnNest.chooseAcrnTree';
export const CHOOSE_TREE_TITLE = 'Choose ACRN tree...';
export const TREE_MISMATCH = 'scenario/tree-mismatch';

const versions = new Map<string, { mtimeMs: number; v: { family: 'v2' | 'v3'; label: string } | undefined }>();

/** The tree's version from its VERSION file (MAJOR_VERSION/MINOR_VERSION), or undefined. */
export function treeVersion(root: string): { family: 'v2' | 'v3'; label: string } | undefined {
  const file = path.join(root, 'VERSION');
  let mtimeMs: number;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
  const cached = versions.get(file);
  if (cached && cached.mtimeMs === mtimeMs) return cached.v;
  let v: { family: 'v2' | 'v3'; label: string } | undefined;
  try {
    const text = readFileSync(file, 'utf8');
    const maj = /MAJOR_VERSION\s*=\s*(\d+)/.exec(text)?.[1];
    const min = /MINOR_VERSION\s*=\s*(\d+)/.exec(text)?.[1];
    if (maj) v = { family: Number(maj) >= 3 ? 'v3' : 'v2', label: `v${maj}.${min ?? 'x'}` };
  } catch {
    v = undefined;
  }
  versions.set(file, { mtimeMs, v });
  return v;
}

/** The mismatch warning for a scenario, or none (no tree configured, not a scenario, versions agree). */
export function treeMismatchDiagnostic(st: DocState, acrnTree: string | undefined): Diagnostic | undefined {
  const a = st.analysis;
  const root = a.doc?.root;
  if (!acrnTree || !root || a.dialect?.kind !== 'scenario' || !a.dialect.family) return undefined;
  const tree = treeVersion(acrnTree);
  if (!tree || tree.family === a.dialect.family) return undefined;
  const other = a.dialect.family === 'v2' ? 'v2.x' : 'v3.x';
  return {
    range: st.lines.rangeOf(root.start, root.startTagEnd > root.start ? root.startTagEnd : root.nameEnd),
    severity: DiagnosticSeverity.Warning,
    source: 'acrn-nest',
    code: TREE_MISMATCH,
    message: `This is a ${a.dialect.family} scenario (${a.dialect.label}) but the ACRN tree ${acrnTree} (acrnNest.acrnTree) is ${tree.label}: ACRN ${tree.label} cannot build it. Choose an ACRN ${other} tree${a.dialect.family === 'v2' ? ', or upgrade the scenario to v3' : ''}.`,
  };
}

/** "Choose ACRN tree..." for the mismatch diagnostics in a code action request. */
export function treeMismatchActions(diagnostics: Diagnostic[]): CodeAction[] {
  return diagnostics
    .filter((d) => d.code === TREE_MISMATCH)
    .map((d) => ({ title: CHOOSE_TREE_TITLE, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: true, command: { title: CHOOSE_TREE_TITLE, command: CHOOSE_TREE_COMMAND } }));
}
