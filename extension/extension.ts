import * as vscode from 'vscode';
import { COMMANDS, registerCommands } from './commands.js';
import { registerConsoles } from './console/commands.js';
import { Ctx } from './context.js';
import { registerLab } from './lab.js';
import { registerProjectView } from './projectView.js';

export function activate(context: vscode.ExtensionContext): Ctx | undefined {
  const t0 = performance.now();
  try {
    const ctx = new Ctx(context);
    registerCommands(ctx, COMMANDS);
    registerConsoles(ctx);
    registerProjectView(ctx);
    registerCommands(ctx, registerLab(ctx));
    ctx.startServerLazily();
    // Read by `npm run bench` (scripts/bench/extension.ts): keep the wording.
    ctx.log.info(`activated in ${(performance.now() - t0).toFixed(1)} ms`);
    return ctx;
  } catch (e) {
    void vscode.window.showErrorMessage(`acrn-nest failed to activate: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

export function deactivate(): void {}
