/** The status bar entry naming the active file's ACRN dialect ("ACRN v2.6 scenario"). */
import * as vscode from 'vscode';
import type { DocumentInfo } from '../language-server/protocol.js';
import type { ServerHandle } from './client.js';
import { Commands } from './constants.js';

export class DialectStatus implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly server: ServerHandle) {
    this.item = vscode.window.createStatusBarItem('acrnNest.dialect', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'ACRN dialect';
    this.item.command = Commands.showDocumentInfo;
    this.subs.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      server.onDocumentInfo((info) => {
        if (info.uri === vscode.window.activeTextEditor?.document.uri.toString()) this.update();
      }),
    );
    this.update();
  }

  update(): void {
    const uri = vscode.window.activeTextEditor?.document.uri.toString();
    const info: DocumentInfo | undefined = uri ? this.server.infos.get(uri) : undefined;
    if (!info?.label) {
      this.item.hide();
      return;
    }
    const icon = info.errors > 0 ? '$(error)' : info.warnings > 0 ? '$(warning)' : '$(circuit-board)';
    this.item.text = `${icon} ${info.label}`;
    this.item.tooltip = new vscode.MarkdownString(`**${info.label}** (detected from \`${info.evidence ?? '?'}\`)\n\n${info.errors} error(s), ${info.warnings} warning(s)`);
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
    for (const s of this.subs) s.dispose();
  }
}
