/**
 * "acrn-nest: Inspect Board": thin wiring over hv-core/inspect. Picks the target, asks the board's
 * name, runs ACRN's board inspector of the acrnNest.acrnTree on it (progress notification with
 * cancel; the inspector's lines in the log), asks before the one-shot reboot and before installing
 * anything, retries with a sudo password when sudo asks for one, then opens the board XML and
 * offers it as acrnNest.boardFile. Refused in untrusted workspaces (it connects to the machines the
 * settings name and runs the tree's code there as root).
 */
import path from 'node:path';
import * as vscode from 'vscode';
import type { InspectEvent, InspectOptions, InspectResult } from '../hv-core/engine.js';
import { InspectCodes, InspectError, checkBoardName, errorCode, formatFinding, inspectBoard } from '../hv-core/engine.js';
import { Settings } from './constants.js';
import type { Ctx } from './context.js';
import { retriesWithSudoPassword } from './errorActions.js';
import { logError } from './log.js';
import type { SudoPasswords } from './secrets.js';
import { connectOptions, pickTarget } from './targets.js';

/** Where the board XML goes: the workspace folder, `NAME.board.xml`. */
export function defaultBoardOut(folder: string, name: string): string {
  return path.join(folder, `${name}.board.xml`);
}

export async function inspectBoardCommand(ctx: Ctx, passwords: SudoPasswords): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    const a = await vscode.window.showErrorMessage('acrn-nest: Inspect Board is disabled in an untrusted workspace: it connects to the machines your settings name and runs the ACRN tree\'s board inspector there as root. Trust this workspace to use it.', 'Manage Workspace Trust');
    if (a) await vscode.commands.executeCommand('workbench.trust.manage');
    return;
  }
  const settings = ctx.config.settings();
  const tree = settings.acrnTree;
  if (!tree) {
    const a = await vscode.window.showErrorMessage(`acrn-nest: Inspect Board runs the board inspector of your ACRN tree: set "${Settings.acrnTree}" first.`, 'Open Setting');
    if (a) await vscode.commands.executeCommand('workbench.action.openSettings', Settings.acrnTree);
    return;
  }
  const target = await pickTarget(ctx.config, undefined, 'inspecting');
  if (!target) return;
  const name = await vscode.window.showInputBox({
    title: `acrn-nest: Inspect Board ${target.name}`,
    prompt: 'The board\'s name (the board XML\'s board= and file name)',
    value: target.name,
    validateInput: (v) => checkBoardName(v) ?? null,
    ignoreFocusOut: true,
  });
  if (!name) return;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  let out: string | undefined = folder ? defaultBoardOut(folder, name) : undefined;
  if (!out) {
    const pick = await vscode.window.showSaveDialog({ title: 'Save the board XML', defaultUri: vscode.Uri.file(`${name}.board.xml`), filters: { 'Board XML': ['xml'] } });
    if (!pick) return;
    out = pick.fsPath;
  }
  const log = ctx.log;
  let installMissing = false;
  const run = async (signal: AbortSignal, progress: vscode.Progress<{ message?: string; increment?: number }>): Promise<InspectResult> => {
    const o: InspectOptions = {
      target,
      name,
      acrnTree: tree,
      out: out!,
      installMissing,
      signal,
      connect: await connectOptions(target, passwords, log, signal),
      confirmReboot: async ({ host, missing, entry }) =>
        (await vscode.window.showWarningMessage(
          `acrn-nest: the board inspector needs ${missing.join(' ')} on the kernel command line of ${host}. Reboot it once into "${entry}" with them? The default boot entry is not changed; the one-shot entry is removed as soon as the board is back.`,
          { modal: true },
          'Reboot Once',
        )) === 'Reboot Once',
      onEvent: (e: InspectEvent) => {
        const text = `Inspect ${e.index}/5 ${e.title}: ${e.message}`;
        if (e.status === 'progress') {
          if (e.step === 'run') log.info(`inspector: ${e.message}`);
          progress.report({ message: e.step === 'run' ? e.message : text });
        } else {
          (e.status === 'failed' ? log.error : log.info).call(log, `${text}${e.status === 'running' ? '' : ` [${e.status}]`}`);
          if (e.status === 'running') progress.report({ message: text, increment: 100 / 5 });
        }
      },
    };
    return inspectBoard(o);
  };
  for (;;) {
    try {
      const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `acrn-nest: Inspect Board ${name} on ${target.name}`, cancellable: true }, async (progress, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        return run(ac.signal, progress);
      });
      for (const f of r.findings) (f.level === 'WARNING' ? log.warn : log.error).call(log, `inspector ${formatFinding(f)}`);
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(r.out!));
      await vscode.window.showTextDocument(doc, { preview: false });
      const counts = `${r.findings.filter((f) => f.level === 'WARNING').length} warning(s), ${r.findings.filter((f) => f.level !== 'WARNING').length} error(s)`;
      const use = await vscode.window.showInformationMessage(`acrn-nest: board XML of ${target.name} saved to ${r.out} (the inspector reported ${counts}). Use it as the board of this workspace?`, 'Use as Board File', 'Show Log');
      if (use === 'Use as Board File') await ctx.config.setBoardFile(r.out!);
      else if (use === 'Show Log') log.show(true);
      return;
    } catch (e) {
      const code = errorCode(e);
      if (retriesWithSudoPassword(code)) {
        const pw = await passwords.ask(target, `sudo on ${target.name} asks for a password.`);
        if (pw !== undefined) continue;
        return;
      }
      logError(log, 'Inspect Board', e);
      if (e instanceof InspectError) {
        for (const f of e.findings) (f.level === 'WARNING' ? log.warn : log.error).call(log, `inspector ${formatFinding(f)}`);
        if (e.code === InspectCodes.rebootRefused) return;
        const buttons = e.code === InspectCodes.missingTools && !installMissing ? ['Install and Retry', 'Show Log'] : e.code === InspectCodes.boardInvalid ? ['Open Board XML', 'Show Log'] : ['Show Log'];
        const a = await vscode.window.showErrorMessage(`acrn-nest: ${e.message}`, ...buttons);
        if (a === 'Install and Retry') {
          installMissing = true;
          continue;
        }
        // The XML that failed the board schema is kept: the errors point into it.
        if (a === 'Open Board XML') await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(out)), { preview: false });
        if (a === 'Show Log') log.show(true);
        return;
      }
      if ((e as { name?: string }).name === 'AbortedError') return;
      const a = await vscode.window.showErrorMessage(`acrn-nest: Inspect Board failed: ${e instanceof Error ? e.message : String(e)}`, 'Show Log');
      if (a) log.show(true);
      return;
    }
  }
}
