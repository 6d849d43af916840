/**
 * The "Project" view (issue 11), like PlatformIO's project tasks: the scenario in the editor, its
 * board, ACRN tree and target, each with what to do when it is missing, the Build / Build and
 * Deploy / Deploy / Console actions, and the last deploy's result.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { boardFor } from '../hv-core/engine.js';
import { buildController, isScenario, type BuildController } from './build.js';
import type { Config } from './config.js';
import { Commands, PREFIX, Views } from './constants.js';
import type { Ctx } from './context.js';

interface Row {
  label: string;
  description?: string;
  tooltip?: string;
  icon: string;
  command?: vscode.Command;
}

export class ProjectView implements vscode.TreeDataProvider<Row> {
  private readonly emitter = new vscode.EventEmitter<Row | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(
    private readonly config: Config,
    private readonly build: BuildController,
  ) {}

  refresh(): void {
    this.emitter.fire(undefined);
  }

  getTreeItem(r: Row): vscode.TreeItem {
    const it = new vscode.TreeItem(r.label, vscode.TreeItemCollapsibleState.None);
    if (r.description) it.description = r.description;
    if (r.tooltip) it.tooltip = r.tooltip;
    it.iconPath = new vscode.ThemeIcon(r.icon);
    if (r.command) it.command = r.command;
    return it;
  }

  getChildren(r?: Row): Row[] {
    if (r) return [];
    const doc = vscode.window.activeTextEditor?.document;
    const scenario = doc && isScenario(doc) ? doc.uri.fsPath : undefined;
    let s;
    try {
      s = this.config.settings(scenario);
    } catch (e) {
      return [{ label: 'settings', description: e instanceof Error ? e.message : String(e), icon: 'error' }];
    }
    const board = scenario ? boardFor({ settings: s, scenarioPath: scenario, text: doc?.getText(), acrnTree: s.acrnTree }) : s.boardFile;
    const target = s.defaultTarget ? s.targets.find((t) => t.target.name === s.defaultTarget)?.target : s.targets.length === 1 ? s.targets[0]!.target : undefined;
    const rows: Row[] = [
      scenario
        ? { label: 'Scenario', description: path.basename(scenario), tooltip: scenario, icon: 'file-code', command: { title: 'Open', command: 'vscode.open', arguments: [doc!.uri] } }
        : { label: 'Scenario', description: 'open an ACRN scenario XML', icon: 'file-code', command: { title: 'Open File', command: 'workbench.action.files.openFile' } },
      board ? { label: 'Board', description: path.basename(board), tooltip: board, icon: 'circuit-board', command: { title: 'Choose Board XML...', command: Commands.chooseBoardFile } } : { label: 'Board', description: 'not set — Choose Board XML...', icon: 'warning', command: { title: 'Choose Board XML...', command: Commands.chooseBoardFile } },
      s.acrnTree ? { label: 'ACRN tree', description: s.acrnTree, tooltip: s.acrnTree, icon: 'repo', command: { title: 'Choose ACRN Tree...', command: Commands.chooseAcrnTree } } : { label: 'ACRN tree', description: 'not set — Choose ACRN Tree...', icon: 'warning', command: { title: 'Choose ACRN Tree...', command: Commands.chooseAcrnTree } },
      target
        ? { label: 'Target', description: `${target.name} (${target.user}@${target.host}:${target.port})`, icon: 'remote', command: { title: 'Select Target', command: Commands.selectTarget } }
        : { label: 'Target', description: s.targets.length ? 'several — Select Target' : 'none — Add Target...', icon: 'warning', command: { title: 'Add Target...', command: s.targets.length ? Commands.selectTarget : Commands.addTarget } },
      { label: 'Build', icon: 'tools', command: { title: 'Build', command: Commands.build } },
      { label: 'Build and Deploy', icon: 'cloud-upload', command: { title: 'Build and Deploy', command: Commands.buildAndDeploy } },
      { label: 'Deploy', icon: 'rocket', command: { title: 'Deploy', command: Commands.deploy } },
      { label: 'Hypervisor Console', icon: 'terminal', command: { title: 'Open Hypervisor Console', command: Commands.openHypervisorConsole } },
    ];
    const last = this.build.lastDeploy;
    rows.push(last ? { label: 'Last deploy', description: `${last.text} (${last.at.toLocaleTimeString()})`, tooltip: last.text, icon: last.ok ? 'pass' : 'error' } : { label: 'Last deploy', description: 'none yet', icon: 'circle-outline' });
    return rows;
  }
}

/** Registers the Project view (called once from activate()); it follows the editor, settings and runs. */
export function registerProjectView(ctx: Ctx): void {
  const build = buildController(ctx);
  const view = new ProjectView(ctx.config, build);
  // Context keys the walkthrough's steps complete on (onContext: evaluated whenever they change,
  // also for a setting made before the walkthrough was opened).
  const setKeys = (): void => {
    try {
      const s = ctx.config.settings();
      void vscode.commands.executeCommand('setContext', 'acrnNest.hasAcrnTree', !!s.acrnTree);
      void vscode.commands.executeCommand('setContext', 'acrnNest.hasBoardFile', !!s.boardFile);
      void vscode.commands.executeCommand('setContext', 'acrnNest.hasTarget', s.targets.length > 0);
    } catch {
      // invalid settings: the keys stay as they were
    }
  };
  setKeys();
  ctx.extension.subscriptions.push(
    vscode.window.registerTreeDataProvider(Views.project, view),
    vscode.window.onDidChangeActiveTextEditor(() => view.refresh()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(PREFIX)) return;
      setKeys();
      view.refresh();
    }),
    build.onDidFinish(() => view.refresh()),
  );
}
