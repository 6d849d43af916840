/**
 * VS Code's side of extension/config.ts: settings read per resource through
 * `workspace.getConfiguration(undefined, uri)`, the workspace folder of a resource. Thin on purpose.
 */
import * as vscode from 'vscode';
import type { ConfigSource } from './config.js';
import { Config } from './config.js';

export const vscodeConfigSource: ConfigSource = {
  get<T>(key: string, resource?: string): T | undefined {
    return vscode.workspace.getConfiguration(undefined, resource ? vscode.Uri.file(resource) : undefined).get<T>(key);
  },
  workspaceFolder(resource?: string): string | undefined {
    const own = resource ? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(resource)) : undefined;
    return (own ?? vscode.workspace.workspaceFolders?.[0])?.uri.fsPath;
  },
  update(key: string, value: unknown): Thenable<void> {
    return vscode.workspace.getConfiguration().update(key, value, vscode.ConfigurationTarget.Workspace);
  },
};

export function vscodeConfig(): Config {
  return new Config(vscodeConfigSource);
}
