/**
 * Task type `acrn-nest` so Build / Deploy / Build and Deploy fit tasks.json and keybindings:
 *
 *   { "type": "acrn-nest", "action": "buildAndDeploy", "scenario": "${file}", "target": "nuc" }
 *
 * Runs through a CustomExecution + Pseudoterminal: make's output goes to the task terminal, each
 * finding as an `acrn-nest: FILE:LINE:COL: severity: MESSAGE` line for the `$acrn-nest` problem
 * matcher; closing the terminal (or Terminate Task) cancels.
 */
import * as vscode from 'vscode';
import type { Action, Runner, Sink } from './run.js';

export const TASK_TYPE = 'acrn-nest';
export const PROBLEM_MATCHER = '$acrn-nest';

export interface AcrnTaskDefinition extends vscode.TaskDefinition {
  type: typeof TASK_TYPE;
  action: Action;
  scenario?: string;
  board?: string;
  target?: string;
}

const LABELS: Record<Action, string> = { build: 'Build hypervisor', deploy: 'Deploy hypervisor', buildAndDeploy: 'Build and deploy hypervisor' };
const ACTIONS: Action[] = ['build', 'deploy', 'buildAndDeploy'];

class AcrnTaskTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private readonly ac = new AbortController();

  constructor(
    private readonly controller: Runner,
    private readonly def: AcrnTaskDefinition,
  ) {}

  open(): void {
    void this.start();
  }

  close(): void {
    this.ac.abort();
  }

  private write(text: string): void {
    this.writeEmitter.fire(text.replace(/\r?\n/g, '\r\n') + '\r\n');
  }

  private async start(): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      this.write('acrn-nest: tasks that build or deploy are disabled in an untrusted workspace. Trust the workspace to run them.');
      this.closeEmitter.fire(1);
      return;
    }
    const sink: Sink = { line: (t) => this.write(t), step: (m) => this.write(`\x1b[2m── ${m}\x1b[0m`) };
    const outcome = await this.controller.run({ action: this.def.action, scenario: this.def.scenario, board: this.def.board, target: this.def.target, signal: this.ac.signal, sink, publishDiagnostics: false });
    if (!outcome.ok && outcome.failure) {
      this.write(`\x1b[31macrn-nest: ${outcome.cancelled ? 'cancelled' : `failed at ${outcome.failure.step}: ${outcome.failure.message}`}\x1b[0m`);
      if (outcome.failure.hint) this.write(`  ${outcome.failure.hint}`);
    }
    this.closeEmitter.fire(outcome.ok ? 0 : 1);
  }
}

export function makeTask(controller: Runner, def: AcrnTaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope = vscode.TaskScope.Workspace, name?: string): vscode.Task {
  const task = new vscode.Task(def, scope, name ?? LABELS[def.action], 'acrn-nest', new vscode.CustomExecution(async (resolved) => new AcrnTaskTerminal(controller, resolved as AcrnTaskDefinition)), [PROBLEM_MATCHER]);
  if (def.action !== 'deploy') task.group = vscode.TaskGroup.Build;
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
  return task;
}

export class AcrnTaskProvider implements vscode.TaskProvider {
  constructor(private readonly controller: Runner) {}

  provideTasks(): vscode.Task[] {
    return ACTIONS.map((action) => makeTask(this.controller, { type: TASK_TYPE, action }));
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const def = task.definition as Partial<AcrnTaskDefinition>;
    if (def.type !== TASK_TYPE || !def.action || !ACTIONS.includes(def.action)) return undefined;
    // The definition must be the same object VS Code gave us (tasks.json identity).
    return new vscode.Task(task.definition, task.scope ?? vscode.TaskScope.Workspace, task.name, 'acrn-nest', new vscode.CustomExecution(async (resolved) => new AcrnTaskTerminal(this.controller, resolved as AcrnTaskDefinition)), task.problemMatchers.length ? task.problemMatchers : [PROBLEM_MATCHER]);
  }
}
