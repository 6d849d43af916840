/**
 * Commands as a map of factories, each registered under the acrnNest. prefix. A command whose
 * dependency is down says so instead of failing silently.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { BOARD_VM_COMMANDS } from './boardvm.js';
import { BUILD_COMMANDS } from './build.js';
import { CONSOLE_COMMANDS } from './console/commands.js';
import { addTarget } from './addTarget.js';
import { choosePathSetting } from './choose.js';
import { Commands, Settings } from './constants.js';
import type { CommandFactory, Ctx } from './context.js';
import { logError } from './log.js';
import { openNvmxWizard } from './nvmx/wizard.js';
import { inspectBoardCommand } from './inspect.js';
import { sudoPasswords } from './targets.js';
import { UpgradeReports, upgradeScenarioCommand } from './upgrade.js';

export type { CommandFactory } from './context.js';

export const COMMANDS: Record<string, CommandFactory> = {
  ...BUILD_COMMANDS,
  ...BOARD_VM_COMMANDS,
  ...CONSOLE_COMMANDS,
  [Commands.nvmxWizard]: (ctx) => (uri?: unknown) => openNvmxWizard(ctx, uri),
  [Commands.upgradeScenario]: (ctx) => {
    const reports = new UpgradeReports(path.join(ctx.extension.globalStorageUri.fsPath, 'upgrade-reports'));
    return (uri?: unknown) => upgradeScenarioCommand(ctx, reports, uri);
  },
  [Commands.inspectBoard]: (ctx) => {
    const passwords = sudoPasswords(ctx.extension.secrets);
    return () => inspectBoardCommand(ctx, passwords);
  },
  [Commands.restartServer]: (ctx) => async () => {
    await ctx.server.restart();
    void vscode.window.showInformationMessage('acrn-nest: language server restarted');
  },
  [Commands.showLog]: (ctx) => () => ctx.log.show(),
  [Commands.chooseAcrnTree]: (ctx) => () => choosePathSetting(ctx, Settings.acrnTree, true),
  [Commands.chooseBoardFile]: (ctx) => () => choosePathSetting(ctx, Settings.boardFile, false),
  [Commands.addTarget]: (ctx) => () => addTarget(ctx),
  [Commands.showDocumentInfo]: (ctx) => async () => {
    const uri = vscode.window.activeTextEditor?.document.uri.toString();
    const info = uri ? ctx.server.infos.get(uri) : undefined;
    if (!info?.label) {
      void vscode.window.showInformationMessage('acrn-nest: the active file is not an ACRN scenario or board file.');
      return;
    }
    const pick = await vscode.window.showQuickPick(
      [
        { label: '$(wand) Open NVMX wizard', id: Commands.nvmxWizard },
        { label: '$(folder) Choose ACRN tree...', id: Commands.chooseAcrnTree },
        { label: '$(circuit-board) Choose Board XML...', id: Commands.chooseBoardFile },
        { label: '$(checklist) Lint workspace', description: 'every XML file of the workspace, into the Problems panel', id: LINT_WORKSPACE },
        { label: '$(output) Show acrn-nest log', id: Commands.showLog },
        { label: '$(debug-restart) Restart language server', id: Commands.restartServer },
      ],
      { title: `${info.label} — detected from ${info.evidence ?? '?'}; ${info.errors} error(s), ${info.warnings} warning(s)` },
    );
    if (pick?.id === LINT_WORKSPACE) await lintWorkspace(ctx);
    else if (pick) await vscode.commands.executeCommand(pick.id);
  },
};

const LINT_WORKSPACE = 'lintWorkspace';
/** At most this many XML files are opened for linting (a workspace holding a whole ACRN tree has hundreds). */
const LINT_MAX_FILES = 500;

/**
 * Lints every XML file of the workspace: opens each as a document (not in an editor), so the
 * language server checks the scenarios and boards among them and the Problems panel lists them all.
 */
async function lintWorkspace(ctx: Ctx): Promise<void> {
  const files = await vscode.workspace.findFiles('**/*.xml', '**/{node_modules,.git,build}/**', LINT_MAX_FILES + 1);
  const some = files.slice(0, LINT_MAX_FILES);
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `acrn-nest: linting ${some.length} XML file(s)` }, async () => {
    for (const f of some) {
      try {
        await vscode.workspace.openTextDocument(f);
      } catch (e) {
        logError(ctx.log, `lint workspace: opening ${f.fsPath}`, e);
      }
    }
  });
  ctx.log.info(`lint workspace: ${some.length} XML file(s) opened for the language server${files.length > some.length ? ` (the first ${LINT_MAX_FILES}; more are left out)` : ''}`);
  await vscode.commands.executeCommand('workbench.actions.view.problems');
  void vscode.window.showInformationMessage(`acrn-nest: linted ${some.length} XML file(s) of the workspace${files.length > some.length ? ` (the first ${LINT_MAX_FILES})` : ''}; the Problems panel lists what they have`);
}

/** Registers every command; a command that throws is logged and shown, never silent. */
export function registerCommands(ctx: Ctx, commands: Record<string, CommandFactory>): void {
  for (const [id, factory] of Object.entries(commands)) {
    const fn = factory(ctx);
    ctx.extension.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await fn(...args);
        } catch (e) {
          logError(ctx.log, id, e);
          void vscode.window.showErrorMessage(`acrn-nest: ${e instanceof Error ? e.message : String(e)}`);
          return undefined;
        }
      }),
    );
  }
}
