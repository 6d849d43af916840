/**
 * The NVMX wizard's host side: one webview panel that follows a scenario document, answers the
 * webview's typed requests (webview/protocol.ts) with the hv-core engine, and applies a plan as
 * one WorkspaceEdit (one undo step) only if the document is still at the version the plan was
 * computed for. Thin: every decision is hv-core/nvmx's.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { createTwoFilesPatch } from 'diff';
import type { PlanOptions, XmlDocument } from '../../hv-core/engine.js';
import { LineIndex, boardFor, nvmxStatus, nvmxSummary, parseXml, planDisable, planEnable } from '../../hv-core/engine.js';
import type { NvmxAction, NvmxApplyResult, NvmxPreview, NvmxRequest, NvmxSharingChoice, NvmxState, NvmxToHost, NvmxToWebview } from '../../webview/protocol.js';
import { checkNvmxToHost } from '../../webview/protocol.js';
import { Settings } from '../constants.js';
import type { Ctx } from '../context.js';
import { logError } from '../log.js';

const VIEW_TYPE = 'acrnNest.nvmxWizard';

export class NvmxWizard implements vscode.Disposable {
  private static current: NvmxWizard | undefined;
  private readonly subs: vscode.Disposable[] = [];
  private ready = false;
  private timer: NodeJS.Timeout | undefined;

  /** Opens (or reveals) the wizard for a document. */
  static async open(ctx: Ctx, uri: vscode.Uri): Promise<NvmxWizard> {
    const doc = await vscode.workspace.openTextDocument(uri);
    if (NvmxWizard.current) {
      NvmxWizard.current.retarget(doc);
      NvmxWizard.current.panel.reveal(undefined, false);
      return NvmxWizard.current;
    }
    const dist = vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'Nested Virtualization', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, { enableScripts: true, localResourceRoots: [dist], retainContextWhenHidden: true });
    NvmxWizard.current = new NvmxWizard(ctx, panel, doc, dist);
    return NvmxWizard.current;
  }

  private constructor(
    private readonly ctx: Ctx,
    readonly panel: vscode.WebviewPanel,
    private doc: vscode.TextDocument,
    private readonly dist: vscode.Uri,
  ) {
    panel.webview.html = this.html();
    this.retarget(doc);
    this.subs.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => {
        // Only messages of the declared shapes are acted on; anything else is logged and dropped.
        const checked = checkNvmxToHost(m);
        if (checked.ok) void this.onMessage(checked.message);
        else this.ctx.log.warn(`nvmx wizard: ignored a malformed message from the webview (${checked.reason}): ${JSON.stringify(m)?.slice(0, 200)}`);
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() === this.doc.uri.toString()) this.schedulePush();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(Settings.boardFile) || e.affectsConfiguration(Settings.acrnTree)) this.schedulePush();
      }),
    );
  }

  private retarget(doc: vscode.TextDocument): void {
    this.doc = doc;
    this.panel.title = `Nested Virtualization: ${path.basename(doc.uri.fsPath || doc.uri.path)}`;
    if (this.ready) this.push();
  }

  private schedulePush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.push(), 150);
  }

  private post(m: NvmxToWebview): void {
    void this.panel.webview.postMessage(m);
  }

  private push(): void {
    if (!this.ready) return;
    this.post({ kind: 'notification', method: 'state', params: this.state() });
  }

  private board(text: string): { doc: XmlDocument | undefined; file: string | null } {
    const onDisk = this.doc.uri.scheme === 'file' ? this.doc.uri.fsPath : undefined;
    const settings = this.ctx.config.settings(onDisk);
    const file = settings.boardFile ?? (onDisk ? boardFor({ scenarioPath: onDisk, text, acrnTree: settings.acrnTree }) : undefined);
    if (!file) return { doc: undefined, file: null };
    try {
      return { doc: parseXml(readFileSync(file, 'utf8')), file };
    } catch (e) {
      logError(this.ctx.log, `reading board file ${file}`, e);
      return { doc: undefined, file: null };
    }
  }

  /** The checklist for the document's current text. */
  state(): NvmxState {
    const text = this.doc.getText();
    const base: NvmxState = { uri: this.doc.uri.toString(), fileName: path.basename(this.doc.uri.fsPath || this.doc.uri.path), version: this.doc.version, dialect: '', family: undefined, enabled: false, complete: false, summary: { state: 'off', text: 'off' }, steps: [], sharing: [], board: null };
    const board = this.board(text);
    try {
      const st = nvmxStatus(text, { board: board.doc });
      const lines = new LineIndex(text);
      return {
        ...base,
        dialect: st.dialect,
        family: st.family,
        enabled: st.enabled,
        complete: st.complete,
        summary: (({ state, text }) => ({ state, text }))(nvmxSummary(st)),
        board: board.file,
        steps: st.steps.map((s) => ({ id: s.id, title: s.title, recipe: s.recipe, satisfied: s.satisfied, notApplicable: !!s.notApplicable, detail: s.detail, line: lines.positionAt(s.start).line + 1, start: s.start, end: s.end })),
        // Enabling decides the Service VM's pCPUs first: list the VMs the enable plan would see.
        sharing: planEnable(text, { board: board.doc }).sharing.map((s) => ({ id: s.id, label: s.label, type: s.type, pcpus: s.pcpus, shared: s.shared, sharesWith: s.sharesWith, namedByRecipe: s.namedByRecipe, start: s.start, end: s.end, line: lines.positionAt(s.start).line + 1 })),
      };
    } catch (e) {
      return { ...base, error: e instanceof Error ? e.message : String(e) };
    }
  }

  private plan(action: NvmxAction, choices: Record<string, NvmxSharingChoice>, text: string): ReturnType<typeof planEnable> {
    const board = this.board(text).doc;
    const opts: PlanOptions = { board, choices, defaultChoice: 'keep' };
    return action === 'enable' ? planEnable(text, opts) : planDisable(text, opts);
  }

  private preview(action: NvmxAction, choices: Record<string, NvmxSharingChoice>): NvmxPreview {
    const text = this.doc.getText();
    const version = this.doc.version;
    const p = this.plan(action, choices, text);
    const name = path.basename(this.doc.uri.fsPath || this.doc.uri.path);
    const diff = p.edits.length ? createTwoFilesPatch(name, name, text, p.result, undefined, undefined, { context: 2 }).replace(/^Index: [^\n]*\n=+\n/, '') : '';
    const repinTo: Record<string, number[]> = {};
    for (const s of p.sharing) if (s.repinTo) repinTo[s.id] = s.repinTo;
    return { action, version, changes: p.changes, problems: p.problems, diff, editCount: p.edits.length, repinTo };
  }

  /** Applies the plan as one WorkspaceEdit, unless the document moved on since `version`. */
  async apply(action: NvmxAction, choices: Record<string, NvmxSharingChoice>, version: number): Promise<NvmxApplyResult> {
    if (this.doc.isClosed) this.doc = await vscode.workspace.openTextDocument(this.doc.uri);
    if (this.doc.version !== version) {
      this.push();
      return { applied: false, reason: 'stale', message: 'The file changed since this preview: the wizard reloaded it. Check the new preview and apply again.' };
    }
    const text = this.doc.getText();
    const p = this.plan(action, choices, text);
    if (!p.edits.length) return { applied: false, reason: 'nothing', message: 'Nothing to change.' };
    const edit = new vscode.WorkspaceEdit();
    for (const e of p.edits) edit.replace(this.doc.uri, new vscode.Range(this.doc.positionAt(e.start), this.doc.positionAt(e.end)), e.newText);
    const ok = await vscode.workspace.applyEdit(edit);
    this.push();
    if (!ok) return { applied: false, reason: 'failed', message: 'VS Code refused the edit (is the file read-only?).' };
    this.ctx.log.info(`nvmx ${action}: ${p.edits.length} edit(s) applied to ${this.doc.uri.toString()}`);
    return { applied: true, message: `${action === 'enable' ? 'Enabled' : 'Disabled'} nested virtualization: ${p.changes.length} change(s), one undo step (Ctrl+Z in the editor).${p.problems.length ? ` Still to do: ${p.problems.join('; ')}` : ''}` };
  }

  private async reveal(start: number, end: number): Promise<boolean> {
    const editor = await vscode.window.showTextDocument(this.doc, { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
    const range = new vscode.Range(this.doc.positionAt(start), this.doc.positionAt(end));
    editor.selection = new vscode.Selection(range.start, range.end);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    return true;
  }

  private async onMessage(m: NvmxToHost): Promise<void> {
    if (m.kind === 'notification') {
      if (m.method === 'ready') {
        this.ready = true;
        this.push();
      }
      return;
    }
    const req: NvmxRequest = m;
    try {
      let result: unknown;
      switch (req.method) {
        case 'preview':
          result = this.preview(req.params.action, req.params.choices);
          break;
        case 'apply':
          result = await this.apply(req.params.action, req.params.choices, req.params.version);
          break;
        case 'reveal':
          result = await this.reveal(req.params.start, req.params.end);
          break;
      }
      this.post({ kind: 'response', id: req.id, result });
    } catch (e) {
      logError(this.ctx.log, `nvmx wizard ${req.method}`, e);
      this.post({ kind: 'response', id: req.id, error: e instanceof Error ? e.message : String(e) });
    }
  }

  private html(): string {
    const w = this.panel.webview;
    const nonce = randomBytes(16).toString('base64');
    const script = w.asWebviewUri(vscode.Uri.joinPath(this.dist, 'wizard.js'));
    const csp = [`default-src 'none'`, `script-src 'nonce-${nonce}'`, `style-src ${w.cspSource} 'nonce-${nonce}'`, `font-src ${w.cspSource}`, `img-src ${w.cspSource}`].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Nested Virtualization</title>
</head>
<body data-nonce="${nonce}">
<main id="app" aria-live="polite"><p>Loading…</p></main>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (NvmxWizard.current === this) NvmxWizard.current = undefined;
    for (const s of this.subs) s.dispose();
    this.panel.dispose();
  }
}

/** The command: the wizard for the given uri (CodeLens), else the active editor's document. */
export async function openNvmxWizard(ctx: Ctx, arg?: unknown): Promise<void> {
  let uri: vscode.Uri | undefined;
  if (arg instanceof vscode.Uri) uri = arg;
  else if (typeof arg === 'string') uri = vscode.Uri.parse(arg);
  uri ??= vscode.window.activeTextEditor?.document.uri;
  if (!uri) {
    void vscode.window.showInformationMessage('acrn-nest: open an ACRN scenario XML file first, then run "Nested Virtualization…".');
    return;
  }
  await NvmxWizard.open(ctx, uri);
}
