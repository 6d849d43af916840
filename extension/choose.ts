/**
 * "Choose ACRN tree...", "Choose Board XML...", "Choose Python...": a folder or file picker that
 * writes the setting (workspace scope) through Config. Used by error notifications
 * (extension/errorActions.ts `choosePath`), the language server's quick fix and the walkthrough.
 */
import * as vscode from 'vscode';
import { Settings } from './constants.js';
import type { Ctx } from './context.js';

const WHAT: Record<string, { title: string; filters?: Record<string, string[]> }> = {
  [Settings.acrnTree]: { title: 'Choose the ACRN tree (acrn-hypervisor checkout) for this workspace' },
  [Settings.boardFile]: { title: 'Choose the board XML (from ACRN\'s board inspector)', filters: { 'Board XML': ['xml'] } },
  [Settings.buildPython]: { title: 'Choose the python3 that ACRN\'s make runs (needs lxml, xmlschema, elementpath, defusedxml)' },
};

/** Asks for a file or folder and writes it to `setting`; the chosen path, or undefined. */
export async function choosePathSetting(ctx: Ctx, setting: string, folder: boolean): Promise<string | undefined> {
  const w = WHAT[setting] ?? { title: `Choose ${setting}` };
  const opts: vscode.OpenDialogOptions = { title: w.title, canSelectFiles: !folder, canSelectFolders: folder, canSelectMany: false, openLabel: 'Choose' };
  if (w.filters) opts.filters = w.filters;
  const picked = await vscode.window.showOpenDialog(opts);
  const p = picked?.[0]?.fsPath;
  if (!p) return undefined;
  await ctx.config.set(setting, p);
  ctx.log.info(`${setting} set to ${p}`);
  return p;
}
