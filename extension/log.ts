import * as vscode from 'vscode';

/** The one log channel (a LogOutputChannel: levels, timestamps, the user's log-level setting). */
export function createLog(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel('acrn-nest', { log: true });
}

/** Logs an error with its stack. */
export function logError(log: vscode.LogOutputChannel, what: string, e: unknown): void {
  log.error(`${what}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
}
