import * as vscode from 'vscode';
import { COMMANDS, registerCommands } from './commands.js';
import { Ctx } from './context.js';

export function activate(context: vscode.ExtensionContext): Ctx | undefined {
  try {
    const ctx = new Ctx(context);
    registerCommands(ctx, COMMANDS);
    ctx.startServerLazily();
    return ctx;
  } catch (e) {
    void vscode.window.showErrorMessage(`acrn-nest failed to activate: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

export function deactivate(): void {}
