/**
 * The extension's context object: everything commands and features share (log, server handle,
 * status bar), built once in activate().
 */
import * as vscode from 'vscode';
import { mightBeAcrn, ServerHandle } from './client.js';
import type { Config } from './config.js';
import { vscodeConfig } from './vscodeConfig.js';
import { createLog, logError } from './log.js';
import { DialectStatus } from './statusBar.js';

/** A command: made once per activation from the context (extension/commands.ts registers them). */
export type CommandFactory = (ctx: Ctx) => (...args: unknown[]) => unknown;

export class Ctx {
  readonly log: vscode.LogOutputChannel;
  readonly server: ServerHandle;
  readonly status: DialectStatus;
  /** Every setting, read and resolved in one place (extension/config.ts). */
  readonly config: Config;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = createLog();
    this.config = vscodeConfig();
    this.server = new ServerHandle(extension, this.log, this.config);
    this.status = new DialectStatus(this.server);
    extension.subscriptions.push(this.log, this.server, this.status);
  }

  /** Starts the server the first time an ACRN document is open (now or later). */
  startServerLazily(): void {
    const maybeStart = (doc: vscode.TextDocument): void => {
      if (!mightBeAcrn(doc)) return;
      this.server.start().catch((e: unknown) => {
        logError(this.log, 'starting the language server', e);
        void vscode.window.showErrorMessage(`acrn-nest: the language server did not start: ${e instanceof Error ? e.message : String(e)}`, 'Show Log').then((a) => {
          if (a) this.log.show();
        });
      });
    };
    for (const doc of vscode.workspace.textDocuments) maybeStart(doc);
    this.extension.subscriptions.push(vscode.workspace.onDidOpenTextDocument(maybeStart));
  }

  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }
}
