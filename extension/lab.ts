/**
 * The "Lab" view and commands: a LAVA lab's devices (state, health, who holds them) and recent
 * jobs, each job's live log in a terminal-style tab, its test results and its page in LAVA's web
 * UI; "Run on Lab..." submits one job per board (hv-core/lab, the same engine as `acrn-nest lab`).
 *
 * The lab's API token lives in SecretStorage under the lab's identity (its normalized URL), never
 * in settings or the log. In an untrusted workspace the commands are disabled (package.json) and
 * the view asks for trust instead of talking to the lab.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as vscode from 'vscode';
import { LabError, LavaClient, formatLogLine, labIdentity } from '../hv-core/engine.js';
import type { LabDevice, LabJob } from '../hv-core/engine.js';
import { followJobs, labRun, labScenario, summarize } from '../hv-core/engine.js';
import { builtinTemplate } from '../hv-core/engine.js';
import type { Template } from '../hv-core/engine.js';
import { Commands, Settings, Views } from './constants.js';
import type { CommandFactory, Ctx } from './context.js';
import { logError } from './log.js';

export const LAB_SECRET_PREFIX = 'acrnNest.labToken.';

/** The SecretStorage key of a lab's token: its identity, so another lab never gets it. */
export function labSecretKey(url: string): string {
  return `${LAB_SECRET_PREFIX}${labIdentity(url)}`;
}

function labUrl(): string | undefined {
  return vscode.workspace.getConfiguration().get<string>(Settings.labUrl)?.trim() || undefined;
}

async function client(ctx: Ctx, url = labUrl()): Promise<LavaClient | undefined> {
  if (!url) return undefined;
  const token = await ctx.extension.secrets.get(labSecretKey(url));
  return new LavaClient({ url, ...(token ? { token } : {}) });
}

type Node = { kind: 'group'; label: 'Devices' | 'Jobs' } | { kind: 'device'; d: LabDevice } | { kind: 'job'; j: LabJob } | { kind: 'note'; label: string; detail?: string; command?: vscode.Command };

export class LabView implements vscode.TreeDataProvider<Node> {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(private readonly ctx: Ctx) {}

  refresh(): void {
    this.emitter.fire(undefined);
  }

  getTreeItem(n: Node): vscode.TreeItem {
    switch (n.kind) {
      case 'group': {
        const it = new vscode.TreeItem(n.label, vscode.TreeItemCollapsibleState.Expanded);
        it.iconPath = new vscode.ThemeIcon(n.label === 'Devices' ? 'circuit-board' : 'list-unordered');
        return it;
      }
      case 'device': {
        const it = new vscode.TreeItem(n.d.hostname);
        it.description = `${n.d.state} · ${n.d.health}${n.d.holder ? ` · held by ${n.d.holder} (job ${n.d.currentJob})` : ''}`;
        it.tooltip = `${n.d.deviceType} on worker ${n.d.worker ?? '?'}${n.d.tags.length ? `; tags: ${n.d.tags.join(', ')}` : ''}`;
        it.iconPath = new vscode.ThemeIcon(n.d.health === 'Bad' || n.d.health === 'Retired' ? 'error' : n.d.state === 'Running' ? 'sync' : 'vm');
        it.contextValue = 'acrnNest.lab.device';
        return it;
      }
      case 'job': {
        const it = new vscode.TreeItem(`#${n.j.id} ${n.j.description}`);
        it.description = `${n.j.state}${n.j.health !== 'Unknown' ? ` (${n.j.health})` : ''}${n.j.device ? ` on ${n.j.device}` : ''}`;
        it.iconPath = new vscode.ThemeIcon(n.j.state !== 'Finished' ? 'loading~spin' : n.j.health === 'Complete' ? 'pass' : 'error');
        it.contextValue = 'acrnNest.lab.job';
        it.command = { title: 'Open Job Log', command: Commands.openLabJobLog, arguments: [n.j.id] };
        return it;
      }
      case 'note': {
        const it = new vscode.TreeItem(n.label);
        if (n.detail) it.description = n.detail;
        if (n.command) it.command = n.command;
        it.iconPath = new vscode.ThemeIcon('info');
        return it;
      }
    }
  }

  async getChildren(n?: Node): Promise<Node[]> {
    if (!vscode.workspace.isTrusted) return [{ kind: 'note', label: 'Lab commands need a trusted workspace', command: { title: 'Manage Workspace Trust', command: 'workbench.trust.manage' } }];
    const url = labUrl();
    if (!url) return [{ kind: 'note', label: 'No lab set', detail: Settings.labUrl, command: { title: 'Open Settings', command: 'workbench.action.openSettings', arguments: [Settings.labUrl] } }];
    if (!n) return [{ kind: 'group', label: 'Devices' }, { kind: 'group', label: 'Jobs' }];
    if (n.kind !== 'group') return [];
    try {
      const c = (await client(this.ctx, url))!;
      if (n.label === 'Devices') {
        const ds = await c.devices();
        return ds.length ? ds.map((d) => ({ kind: 'device', d })) : [{ kind: 'note', label: 'no devices' }];
      }
      const js = await c.jobs({ limit: 20 });
      return js.length ? js.map((j) => ({ kind: 'job', j })) : [{ kind: 'note', label: 'no jobs yet' }];
    } catch (e) {
      logError(this.ctx.log, 'lab view', e);
      return [{ kind: 'note', label: e instanceof Error ? e.message : String(e), ...(e instanceof LabError && e.code === 'lab/unauthorized' ? { command: { title: 'Set Lab Token', command: Commands.setLabToken } } : {}) }];
    }
  }
}

/** A job's log as a terminal-style tab, following the job until it finishes, then its results. */
function openJobLog(ctx: Ctx, c: LavaClient, id: number): void {
  const write = new vscode.EventEmitter<string>();
  const ac = new AbortController();
  const line = (s: string): void => write.fire(`${s.replace(/\r?\n/g, '\r\n')}\r\n`);
  const pty: vscode.Pseudoterminal = {
    onDidWrite: write.event,
    open: () => {
      line(`LAVA job ${id}: ${c.jobUrl(id)}`);
      followJobs(c, [id], { onLine: (_i, l) => line(formatLogLine(l)), onState: (_i, s) => line(`\x1b[1m-- job ${id}: ${s}\x1b[0m`), signal: ac.signal }).then(
        ([r]) => {
          const s = summarize(r!.job, r!.tests);
          line('');
          line(`\x1b[1mresults: ${s.pass} passed, ${s.fail} failed${s.reason ? ` (${s.reason})` : ''}\x1b[0m`);
          for (const t of r!.tests) line(`  ${t.result.toUpperCase().padEnd(7)} ${t.suite}/${t.name}${t.error ? `: ${t.error}` : ''}`);
        },
        (e: unknown) => {
          if (!ac.signal.aborted) line(`\x1b[31m${e instanceof Error ? e.message : String(e)}\x1b[0m`);
        },
      );
    },
    close: () => ac.abort(),
  };
  const t = vscode.window.createTerminal({ name: `LAVA job ${id}`, pty, iconPath: new vscode.ThemeIcon('beaker') });
  t.show();
  ctx.extension.subscriptions.push(t);
}

function jobId(arg: unknown): number | undefined {
  if (typeof arg === 'number') return arg;
  if (arg && typeof arg === 'object' && 'j' in arg) return (arg as { j: LabJob }).j.id;
  return undefined;
}

async function needClient(ctx: Ctx): Promise<LavaClient | undefined> {
  const c = await client(ctx);
  if (!c) {
    const a = await vscode.window.showWarningMessage(`acrn-nest: set the lab's URL first (${Settings.labUrl}).`, 'Open Settings');
    if (a) await vscode.commands.executeCommand('workbench.action.openSettings', Settings.labUrl);
  }
  return c;
}

function workspaceTemplate(deviceType: string): Template {
  const setting = vscode.workspace.getConfiguration().get<string>(Settings.labJobTemplate)?.trim();
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const p = setting ? (path.isAbsolute(setting) || !root ? setting : path.join(root, setting)) : root ? path.join(root, '.acrn-nest', 'lava-job.yaml') : undefined;
  if (p && (setting || existsSync(p))) return { source: p, text: readFileSync(p, 'utf8') };
  return builtinTemplate(deviceType);
}

async function runOnLab(ctx: Ctx, view: LabView): Promise<void> {
  const c = await needClient(ctx);
  if (!c) return;
  if (!c.hasToken) {
    await vscode.commands.executeCommand(Commands.setLabToken);
    return;
  }
  const deviceType = vscode.workspace.getConfiguration().get<string>(Settings.labDeviceType) || 'acrn-board';
  const picked = await vscode.window.showOpenDialog({ title: 'acrn-nest: the image to run on the lab (acrn.bin)', canSelectMany: false, filters: { 'ACRN image': ['bin'], 'All files': ['*'] } });
  if (!picked?.[0]) return;
  const image = picked[0].fsPath;
  const count = await vscode.window.showInputBox({ title: `acrn-nest: how many ${deviceType} boards?`, value: '1', validateInput: (v) => (/^[1-9]\d?$/.test(v) ? undefined : 'a number from 1 to 99') });
  if (!count) return;
  const doc = vscode.window.activeTextEditor?.document;
  // The active scenario goes with the job (the worker's deploy checks the kernel tag with it and adds
  // pre-launched VMs' modules; their ACPI tables from <image dir>/acpi, as a deploy takes them);
  // saved first, since the worker reads the file.
  let scenario: ReturnType<typeof labScenario> | undefined;
  if (doc && !doc.isUntitled && /<acrn-config\b/.test(doc.getText())) {
    if (doc.isDirty) await doc.save();
    scenario = labScenario(doc.fileName, { image });
  }
  const sha256 = createHash('sha256').update(readFileSync(image)).digest('hex');
  const jobs = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `acrn-nest: submitting to ${c.host}` }, () =>
    labRun(c, { deviceType, count: Number(count), imageUrl: pathToFileURL(image).href, imageSha256: sha256, ...(scenario ? { scenario } : {}), template: workspaceTemplate(deviceType), log: (l) => ctx.log.info(l) }),
  );
  ctx.log.info(`submitted ${jobs.map((j) => `job ${j.id}`).join(', ')} to ${c.host}`);
  view.refresh();
  for (const j of jobs) openJobLog(ctx, c, j.id);
}

export function registerLab(ctx: Ctx): Record<string, CommandFactory> {
  const view = new LabView(ctx);
  ctx.extension.subscriptions.push(
    vscode.window.registerTreeDataProvider(Views.lab, view),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(Settings.labUrl)) view.refresh();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => view.refresh()),
  );
  return {
    [Commands.refreshLab]: () => () => view.refresh(),
    [Commands.runOnLab]: () => () => runOnLab(ctx, view),
    [Commands.setLabToken]: () => async () => {
      const url = labUrl();
      if (!url) return needClient(ctx);
      const token = await vscode.window.showInputBox({ title: `acrn-nest: API token for ${labIdentity(url)}`, prompt: 'From LAVA: your user menu, API Tokens. Kept in VS Code\'s secret storage for this lab only.', password: true, ignoreFocusOut: true });
      if (token === undefined) return undefined;
      if (token.trim()) await ctx.extension.secrets.store(labSecretKey(url), token.trim());
      else await ctx.extension.secrets.delete(labSecretKey(url));
      view.refresh();
      return undefined;
    },
    [Commands.openLabJobLog]: () => async (arg?: unknown) => {
      const c = await needClient(ctx);
      const id = jobId(arg);
      if (c && id) openJobLog(ctx, c, id);
    },
    [Commands.openLabJobInBrowser]: () => async (arg?: unknown) => {
      const c = await needClient(ctx);
      const id = jobId(arg);
      if (c && id) await vscode.env.openExternal(vscode.Uri.parse(c.jobUrl(id)));
    },
    [Commands.cancelLabJob]: () => async (arg?: unknown) => {
      const c = await needClient(ctx);
      const id = jobId(arg);
      if (!c || !id) return;
      void vscode.window.showInformationMessage(`acrn-nest: job ${id}: ${await c.cancel(id)}`);
      view.refresh();
    },
  };
}
