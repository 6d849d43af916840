/**
 * `acrnNest.upgradeScenario` ("Upgrade Scenario to v3…"): a v2 scenario to v3 with hv-core's
 * re-implementation of ACRN's upgrader (no python is run). Asks for an ACRN v3 tree when
 * acrnNest.acrnTree is not one, offers the launch XMLs beside the scenario, writes NAME.v3.xml
 * beside it through a WorkspaceEdit (so Undo removes it; an existing NAME.v3.xml is replaced only
 * when the user says so, the v2 file never), opens it, and shows the report (a Markdown preview)
 * beside it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { UpgradeSchema } from '../hv-core/engine.js';
import { defaultUpgradeOut, findAcrnTree, loadUpgradeSchema, upgradeReportMarkdown, upgradeScenario } from '../hv-core/engine.js';
import { Settings } from './constants.js';
import type { Ctx } from './context.js';

function settingPath(value: string | undefined, file: string): string | undefined {
  if (!value) return undefined;
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file))?.uri.fsPath ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const v = value.replace(/\$\{workspaceFolder\}/g, folder ?? '');
  return path.isAbsolute(v) ? v : path.resolve(folder ?? path.dirname(file), v);
}

function tryLoad(tree: string | undefined): UpgradeSchema | string {
  if (!tree) return 'no ACRN tree is set';
  try {
    return loadUpgradeSchema(tree);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** The v3 schema: acrnNest.acrnTree (or the tree above the file) when it is v3, else a folder the user picks. */
async function v3Schema(file: string): Promise<UpgradeSchema | undefined> {
  const configured = settingPath(vscode.workspace.getConfiguration().get<string>(Settings.acrnTree), file) ?? findAcrnTree(undefined, file);
  const first = tryLoad(configured);
  if (typeof first !== 'string') return first;
  let why = first;
  for (;;) {
    const picked = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      canSelectMany: false,
      title: `acrn-nest: choose an ACRN v3 source tree to upgrade to (${why})`,
      openLabel: 'Upgrade to This Tree',
    });
    if (!picked?.[0]) return undefined;
    const r = tryLoad(picked[0].fsPath);
    if (typeof r !== 'string') return r;
    why = r;
    void vscode.window.showWarningMessage(`acrn-nest: ${r}`);
  }
}

function targetUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string') return vscode.Uri.parse(arg);
  return vscode.window.activeTextEditor?.document.uri;
}

/**
 * The upgrade reports: Markdown files in the extension's storage (not in the user's workspace),
 * shown as a preview beside the new file. A real file, so the preview follows its links to the
 * v2 lines, and closing it asks nothing.
 */
export class UpgradeReports {
  constructor(private readonly dir: string) {}

  async show(name: string, render: (linkFrom: string) => string): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, name);
    writeFileSync(file, render(this.dir), 'utf8');
    const uri = vscode.Uri.file(file);
    try {
      await vscode.commands.executeCommand('markdown.showPreviewToSide', uri);
    } catch {
      // No Markdown preview (the built-in extension disabled): the Markdown text beside the file.
      await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true });
    }
  }
}

export async function upgradeScenarioCommand(ctx: Ctx, reports: UpgradeReports, arg?: unknown): Promise<void> {
  const uri = targetUri(arg);
  if (!uri || uri.scheme !== 'file') {
    void vscode.window.showInformationMessage('acrn-nest: open a v2 scenario file (on disk) to upgrade it.');
    return;
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  const file = uri.fsPath;
  const schema = await v3Schema(file);
  if (!schema) return;

  // Launch XMLs beside it (ACRN ships NAME_launch_*.xml next to NAME.xml).
  const base = path.basename(file, path.extname(file));
  const launches = readdirSync(path.dirname(file)).filter((n) => n.startsWith(`${base}_launch_`) && n.endsWith('.xml')).sort();
  let launch: string | undefined;
  if (launches.length) {
    const pick = await vscode.window.showQuickPick([{ label: 'No launch XML', file: undefined }, ...launches.map((n) => ({ label: n, description: 'carry its post-launched VM settings over', file: path.join(path.dirname(file), n) }))], {
      title: `acrn-nest: upgrade ${path.basename(file)} with a launch XML?`,
    });
    if (!pick) return;
    launch = pick.file;
  }

  const result = upgradeScenario(doc.getText(), { v3Tree: schema, launchText: launch ? readFileSync(launch, 'utf8') : undefined });
  const out = defaultUpgradeOut(file);
  const outUri = vscode.Uri.file(out);
  if (existsSync(out)) {
    const a = await vscode.window.showWarningMessage(`${path.basename(out)} already exists. Replace it with the upgrade of ${path.basename(file)}?`, { modal: true }, 'Replace');
    if (a !== 'Replace') return;
  }
  const edit = new vscode.WorkspaceEdit();
  edit.createFile(outUri, { overwrite: true, contents: Buffer.from(result.text, 'utf8') });
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`could not create ${out}`);
  await vscode.window.showTextDocument(outUri, { preview: false });
  await reports.show(`${path.basename(file)}.upgrade.md`, (from) => upgradeReportMarkdown(result, { scenario: file, launch, out }, from));
  const counts = { dropped: 0, changed: 0, note: 0 };
  for (const it of result.items) counts[it.kind]++;
  ctx.log.info(`upgrade: ${file}${launch ? ` + ${launch}` : ''} -> ${out} with ${schema.tree} (${counts.dropped} dropped, ${counts.changed} changed, ${counts.note} notes)`);
}
