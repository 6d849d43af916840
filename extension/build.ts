/**
 * Build, Deploy, Build and Deploy in VS Code: thin wiring over hv-core/acrn-build and hv-core/deploy.
 * Progress notification with cancel (-> AbortSignal), make's output streamed to the
 * "acrn-nest build" output channel (or a task's terminal), findings in the Problems panel
 * (DiagnosticCollection `acrn-nest-build`, cleared on the next build), a notification naming the
 * failed step with "Show Log", status-bar buttons while an ACRN scenario is active. Refused in
 * untrusted workspaces (make and SSH run code and reach machines named by settings).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BuildFinding, BuildHost, BuildResult, DeployEvent, DeployResult, ResolvedTarget } from '../hv-core/engine.js';
import { BuildError, ChangedHostKeyError, DeployError, ErrorCodes, RemoteBuildHost as RemoteHost, SshConnection, UnknownHostKeyError, acrnKind, boardFor, buildOptionsFrom, cleanBuild, deploy, errorCode, findAcrnTree, formatBuildFinding, parseXml, runBuild } from '../hv-core/engine.js';
import { Commands, Settings } from './constants.js';
import type { CommandFactory, Ctx } from './context.js';
import { choosePathSetting } from './choose.js';
import { applyRebootChoice, mustAskBeforeReboot, REBOOT_CHOICES, rebootQuestion } from './rebootConsent.js';
import { buttonsFor, retriesWithSudoPassword } from './errorActions.js';
import { logError } from './log.js';
import type { Action, RunOutcome, RunRequest, Sink } from './run.js';
import type { SudoPasswords } from './secrets.js';
import { connectOptions, pickTarget, sudoPasswords } from './targets.js';
import { AcrnTaskProvider, TASK_TYPE } from './tasks.js';

export type { Action, RunOutcome, RunRequest, Sink } from './run.js';

export const DIAGNOSTICS_NAME = 'acrn-nest-build';

/** The user dismissed a picker or a prompt: the run ends quietly as cancelled. */
class CancelledByUser extends Error {}

const ACTION_TITLES: Record<Action, string> = { build: 'Build', deploy: 'Deploy', buildAndDeploy: 'Build and Deploy' };

/** The kind of each open document, per version: an editor switch costs no parse. */
const scenarioKinds = new WeakMap<vscode.TextDocument, { version: number; scenario: boolean }>();

/** Is this document an ACRN scenario (not a board, not other XML)? Parsed once per version. */
export function isScenario(doc: vscode.TextDocument | undefined): boolean {
  if (!doc || doc.languageId !== 'xml' || doc.uri.scheme !== 'file') return false;
  const hit = scenarioKinds.get(doc);
  if (hit && hit.version === doc.version) return hit.scenario;
  const scenario = acrnKind(doc.getText()) === 'scenario';
  scenarioKinds.set(doc, { version: doc.version, scenario });
  return scenario;
}

export class BuildController implements vscode.Disposable {
  readonly diagnostics: vscode.DiagnosticCollection;
  readonly output: vscode.OutputChannel;
  readonly passwords: SudoPasswords;
  private readonly buildItem: vscode.StatusBarItem;
  private readonly deployItem: vscode.StatusBarItem;
  private readonly subs: vscode.Disposable[] = [];
  /** Last successful build image per scenario path (for Deploy alone). */
  private readonly lastImage = new Map<string, string>();
  private running: AbortController | undefined;
  /** The target of the last deploy (its console opens after a successful deploy). */
  private lastTarget: ResolvedTarget | undefined;
  private readonly finished = new vscode.EventEmitter<void>();
  /** Fires after each Build / Deploy / Build and Deploy (the Project view refreshes). */
  readonly onDidFinish = this.finished.event;
  /** One line about the last deploy (or its failure), for the Project view. */
  lastDeploy: { ok: boolean; text: string; at: Date } | undefined;

  constructor(private readonly ctx: Ctx) {
    this.diagnostics = vscode.languages.createDiagnosticCollection(DIAGNOSTICS_NAME);
    this.output = vscode.window.createOutputChannel('acrn-nest build');
    this.passwords = sudoPasswords(ctx.extension.secrets);
    this.buildItem = vscode.window.createStatusBarItem('acrnNest.build', vscode.StatusBarAlignment.Left, 50);
    this.buildItem.name = 'acrn-nest Build';
    this.buildItem.text = '$(tools) Build';
    this.buildItem.tooltip = 'acrn-nest: build the hypervisor for this scenario';
    this.buildItem.command = Commands.build;
    this.deployItem = vscode.window.createStatusBarItem('acrnNest.deploy', vscode.StatusBarAlignment.Left, 49);
    this.deployItem.name = 'acrn-nest Build and Deploy';
    this.deployItem.text = '$(cloud-upload) Build and Deploy';
    this.deployItem.tooltip = 'acrn-nest: build, then deploy to the target';
    this.deployItem.command = Commands.buildAndDeploy;
    this.subs.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.updateStatus()),
      vscode.workspace.onDidSaveTextDocument((d) => {
        if (d === vscode.window.activeTextEditor?.document) this.updateStatus();
      }),
    );
    this.updateStatus();
  }

  updateStatus(): void {
    const show = isScenario(vscode.window.activeTextEditor?.document);
    void vscode.commands.executeCommand('setContext', 'acrnNest.isScenario', show);
    for (const item of [this.buildItem, this.deployItem]) {
      if (show) item.show();
      else item.hide();
    }
  }

  /** Refuses (with a message) in an untrusted workspace. */
  checkTrust(action: Action): boolean {
    if (vscode.workspace.isTrusted) return true;
    void vscode.window.showErrorMessage(`acrn-nest: ${ACTION_TITLES[action]} is disabled in an untrusted workspace: it runs make and tools from the configured ACRN tree and connects to the machines your settings name. Trust this workspace to use it.`, 'Manage Workspace Trust').then((a) => {
      if (a) void vscode.commands.executeCommand('workbench.trust.manage');
    });
    return false;
  }

  /** Scenario: the argument, the active editor, or an error. Saves it when dirty (make reads the file). */
  private async scenarioFor(given: string | undefined): Promise<string> {
    if (given) return given;
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc || !isScenario(doc)) throw new BuildError('inputs', 'inputs/no-scenario', 'open an ACRN scenario file first (the active editor is the scenario to build)');
    if (doc.isDirty) await doc.save();
    return doc.uri.fsPath;
  }

  private resolveInputs(scenario: string, boardArg: string | undefined): { tree: string; board: string } {
    const settings = this.ctx.config.settings(scenario);
    const tree = settings.acrnTree ?? findAcrnTree(undefined, scenario);
    if (!tree) throw new BuildError('tree', ErrorCodes.noAcrnTree, `no ACRN tree: set "${Settings.acrnTree}" to your acrn-hypervisor checkout (none found above ${scenario})`);
    const explicit = boardArg ? this.ctx.config.resolvePath(boardArg, scenario) : settings.boardFile;
    let doc;
    try {
      doc = parseXml(readFileSync(scenario, 'utf8'));
    } catch {
      doc = undefined;
    }
    const board = boardFor({ explicit, scenarioPath: scenario, doc, acrnTree: tree });
    if (!board) throw new BuildError('inputs', ErrorCodes.noBoard, explicit ? `board file ${explicit} does not exist` : `no board XML found for ${path.basename(scenario)}: set "${Settings.boardFile}"`);
    return { tree, board };
  }

  private publish(findings: BuildFinding[]): void {
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const f of findings) {
      const d = new vscode.Diagnostic(new vscode.Range(f.line, f.character, f.endLine, f.endCharacter), f.message, f.severity === 'error' ? vscode.DiagnosticSeverity.Error : f.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Information);
      d.source = f.source === 'gcc' ? 'acrn-nest build (gcc)' : 'acrn-nest build';
      d.code = f.code;
      const list = byFile.get(f.file) ?? [];
      list.push(d);
      byFile.set(f.file, list);
    }
    for (const [file, list] of byFile) this.diagnostics.set(vscode.Uri.file(file), list);
  }

  /** The build host (a target name in acrnNest.build.host) or undefined for this machine. */
  private async buildHost(signal: AbortSignal, sink: Sink): Promise<{ host: BuildHost; tree: string } | undefined> {
    const { host: name, hostAcrnTree: tree } = this.ctx.config.settings().build;
    if (!name) return undefined;
    const target = await pickTarget(this.ctx.config, name, 'building');
    if (!target) throw new BuildError('stage', 'build/cancelled', 'Build cancelled');
    if (!tree) throw new BuildError('tree', ErrorCodes.noHostAcrnTree, `"${Settings.buildHost}" is ${name}: set "${Settings.buildHostAcrnTree}" to the ACRN tree on that machine`);
    sink.step(`Connecting to build host ${target.name}`);
    const conn = await SshConnection.connect(target, await connectOptions(target, this.passwords, this.ctx.log, signal));
    return { host: new RemoteHost(conn), tree };
  }

  async build(req: RunRequest, scenario: string): Promise<BuildResult> {
    const settings = this.ctx.config.settings(scenario);
    if (req.publishDiagnostics) this.diagnostics.clear();
    const { tree, board } = this.resolveInputs(scenario, req.board);
    const remote = await this.buildHost(req.signal, req.sink);
    try {
      const result = await runBuild({
        acrnTree: remote?.tree ?? tree,
        scenario,
        board,
        host: remote?.host,
        ...buildOptionsFrom(settings, { remote: Boolean(remote) }),
        signal: req.signal,
        onLine: (l) => req.sink.line(l),
        onStep: (_s, m) => req.sink.step(m),
        onFinding: (f) => {
          if (!req.publishDiagnostics) req.sink.line(`acrn-nest: ${formatBuildFinding(f)}`);
        },
      });
      if (req.publishDiagnostics) this.publish(result.findings);
      if (result.ok && result.image) this.lastImage.set(scenario, result.image);
      const msg = result.ok ? `${result.upToDate ? 'Up to date' : `Built in ${(result.durationMs / 1000).toFixed(1)} s`}: ${result.image}${result.config?.CONFIG_NVMX_ENABLED ? ' (CONFIG_NVMX_ENABLED)' : ''}` : `Build failed at ${result.error?.step}: ${result.error?.message}`;
      req.sink.line(`acrn-nest: ${msg}`);
      this.ctx.log.info(`build ${scenario}: ${msg}`);
      return result;
    } finally {
      remote?.host.dispose();
    }
  }

  private async deployTo(req: RunRequest, scenario: string | undefined, image: string): Promise<DeployResult> {
    const target = await pickTarget(this.ctx.config, req.target, 'deploying');
    if (!target) throw new CancelledByUser();
    this.lastTarget = target;
    // A deploy reboots the board: ask first, unless the user said not to for this target.
    let noReboot = false;
    const store = this.ctx.extension.globalState;
    if (mustAskBeforeReboot(store, target)) {
      const choice = await vscode.window.showWarningMessage(rebootQuestion(target), { modal: true }, ...REBOOT_CHOICES);
      const answer = await applyRebootChoice(store, target, choice);
      if (!answer.proceed) throw new CancelledByUser();
      noReboot = answer.noReboot;
    }
    const attempt = async (): Promise<DeployResult> =>
      deploy({
        target,
        image,
        scenario,
        noReboot,
        connect: await connectOptions(target, this.passwords, this.ctx.log, req.signal),
        signal: req.signal,
        onEvent: (e: DeployEvent) => {
          const text = `Deploy ${e.index}/5 ${e.title}: ${e.message}`;
          if (e.status === 'progress') req.sink.step(text);
          else {
            req.sink.line(`acrn-nest: ${text}${e.status === 'running' ? '' : ` [${e.status}]`}`);
            if (e.status === 'running') req.sink.step(text, 100 / 5 / (req.action === 'buildAndDeploy' ? 2 : 1));
          }
        },
      });
    try {
      return await attempt();
    } catch (e) {
      if (retriesWithSudoPassword(errorCode(e)) && !req.signal.aborted) {
        const pw = await this.passwords.ask(target, `sudo on ${target.name} asks for a password.`);
        if (pw !== undefined) return await attempt();
      }
      throw e;
    }
  }

  /** One Build / Deploy / Build and Deploy run; never throws. */
  async run(req: RunRequest): Promise<RunOutcome> {
    if (this.running) {
      return { ok: false, failure: { step: 'start', message: 'another acrn-nest build or deploy is running; cancel it first' } };
    }
    const ac = new AbortController();
    const onAbort = (): void => ac.abort();
    req.signal.addEventListener('abort', onAbort, { once: true });
    this.running = ac;
    const r: RunRequest = { ...req, signal: ac.signal };
    try {
      const scenario = req.action === 'deploy' && req.scenario === undefined && !isScenario(vscode.window.activeTextEditor?.document) ? undefined : await this.scenarioFor(req.scenario);
      let image: string | undefined;
      let build: BuildResult | undefined;
      if (req.action !== 'deploy') {
        build = await this.build(r, scenario!);
        if (!build.ok) {
          const e = build.error!;
          return { ok: false, build, cancelled: e.code === 'build/cancelled', failure: { step: `build (${e.step})`, message: e.message, hint: e.hint, code: e.code, tree: build.tree?.root } };
        }
        image = build.image;
      } else {
        image = (scenario && this.lastImage.get(scenario)) ?? this.imageInTree(scenario);
        if (!image) return { ok: false, failure: { step: 'deploy', message: 'nothing to deploy yet: run "acrn-nest: Build" (or Build and Deploy) first' } };
      }
      if (req.action === 'build') return { ok: true, build };
      const dep = await this.deployTo(r, scenario, image!);
      r.sink.line(`acrn-nest: deployed ${dep.imagePath} (sha256 ${dep.sha256.slice(0, 16)}…) to ${dep.target}${dep.rebooted ? `, rebooted, ACRN running${dep.defaultSet ? ', now the default entry' : ''}` : ' (no reboot)'}`);
      return { ok: true, build, deploy: dep };
    } catch (e) {
      if (e instanceof CancelledByUser) return { ok: false, cancelled: true };
      logError(this.ctx.log, ACTION_TITLES[req.action], e);
      if (e instanceof BuildError) return { ok: false, cancelled: e.code === 'build/cancelled', failure: { step: `build (${e.step})`, message: e.message, hint: e.hint, code: e.code } };
      if (e instanceof DeployError) {
        const cause = e.cause;
        const hint = cause instanceof ChangedHostKeyError ? 'The connection was refused because the host key changed.' : cause instanceof UnknownHostKeyError ? 'The host key was not trusted.' : undefined;
        return { ok: false, cancelled: ac.signal.aborted, failure: { step: `deploy step ${e.step}`, message: e.message, hint, code: errorCode(e) } };
      }
      if (e instanceof ChangedHostKeyError || e instanceof UnknownHostKeyError) return { ok: false, failure: { step: 'connect', message: e.message, code: e.code } };
      return { ok: false, cancelled: ac.signal.aborted, failure: { step: req.action, message: e instanceof Error ? e.message : String(e), code: errorCode(e) } };
    } finally {
      req.signal.removeEventListener('abort', onAbort);
      this.running = undefined;
    }
  }

  private imageInTree(scenario: string | undefined): string | undefined {
    try {
      const tree = scenario ? this.resolveInputs(scenario, undefined).tree : this.ctx.config.settings().acrnTree;
      const img = tree ? path.join(tree, 'build', 'hypervisor', 'acrn.bin') : undefined;
      return img && existsSync(img) ? img : undefined;
    } catch {
      return undefined;
    }
  }

  /** The command path: progress notification with cancel, output channel, failure notification. */
  async runWithProgress(action: Action, args: { scenario?: string; target?: string } = {}): Promise<RunOutcome | undefined> {
    if (!this.checkTrust(action)) return undefined;
    this.output.clear();
    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `acrn-nest: ${ACTION_TITLES[action]}`, cancellable: true },
      async (progress, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        const sink: Sink = {
          line: (t) => this.output.appendLine(t),
          step: (m, increment) => progress.report(increment !== undefined ? { message: m, increment } : { message: m }),
        };
        return this.run({ action, scenario: args.scenario, target: args.target, signal: ac.signal, sink, publishDiagnostics: true });
      },
    );
    // Walkthrough steps complete on these (package.json contributes.walkthroughs, onContext).
    if (outcome.ok && outcome.build) void vscode.commands.executeCommand('setContext', 'acrnNest.built', true);
    if (outcome.ok && outcome.deploy) void vscode.commands.executeCommand('setContext', 'acrnNest.deployed', true);
    if (action !== 'build') {
      this.lastDeploy = outcome.ok && outcome.deploy
        ? { ok: true, text: `deployed to ${outcome.deploy.target}${outcome.deploy.rebooted ? ', rebooted, ACRN running' : ', boots on the next reboot'}`, at: new Date() }
        : { ok: false, text: outcome.cancelled ? 'cancelled' : `failed at ${outcome.failure?.step ?? '?'}: ${outcome.failure?.message ?? ''}`, at: new Date() };
    }
    this.finished.fire();
    await this.report(action, outcome);
    return outcome;
  }

  private async report(action: Action, o: RunOutcome): Promise<void> {
    if (o.ok) {
      // After a deploy that rebooted the board, its hypervisor console opens by itself.
      // Through the command (a Nested-view-like { target } argument), so build.ts does not import extension/console/.
      if (o.deploy?.rebooted && this.lastTarget) void Promise.resolve(vscode.commands.executeCommand(Commands.openHypervisorConsole, { target: this.lastTarget })).catch((e: unknown) => logError(this.ctx.log, 'opening the hypervisor console after deploy', e));
      const what = o.deploy ? `deployed to ${o.deploy.target}${o.deploy.rebooted ? ', rebooted, ACRN running' : ', boots on the next reboot'}` : o.build?.upToDate ? `up to date: ${o.build.image}` : `built ${o.build?.image}`;
      void vscode.window.showInformationMessage(`acrn-nest: ${ACTION_TITLES[action]}: ${what}`);
      return;
    }
    if (o.cancelled) {
      void vscode.window.showInformationMessage(`acrn-nest: ${ACTION_TITLES[action]} cancelled`);
      return;
    }
    const f = o.failure!;
    const buttons = buttonsFor(f.code);
    const label = await vscode.window.showErrorMessage(`acrn-nest: ${ACTION_TITLES[action]} failed at ${f.step}: ${f.message}${f.hint ? ` — ${f.hint}` : ''}`, ...buttons.map((b) => b.label));
    const pick = buttons.find((b) => b.label === label);
    if (!pick) return;
    if (pick.kind === 'showLog') this.output.show(true);
    else if (pick.kind === 'showProblems') await vscode.commands.executeCommand('workbench.actions.view.problems');
    else if (pick.kind === 'openSetting') await vscode.commands.executeCommand('workbench.action.openSettings', pick.setting);
    else if (pick.kind === 'runCommand') {
      if (await vscode.commands.executeCommand(pick.command)) await this.runWithProgress(action);
    } else if (pick.kind === 'choosePath') {
      if (await choosePathSetting(this.ctx, pick.setting, pick.folder)) await this.runWithProgress(action);
    }
    else if (pick.kind === 'cleanAndBuild' && f.tree) {
      await this.clean(f.tree);
      await this.runWithProgress(action);
    }
  }

  async clean(tree?: string): Promise<void> {
    if (!this.checkTrust('build')) return;
    const root = tree ?? (vscode.window.activeTextEditor && isScenario(vscode.window.activeTextEditor.document) ? this.resolveInputs(vscode.window.activeTextEditor.document.uri.fsPath, undefined).tree : this.ctx.config.settings().acrnTree);
    if (!root) throw new Error(`set "${Settings.acrnTree}" first`);
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `acrn-nest: make clean in ${root}`, cancellable: true }, async (_p, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      this.output.appendLine(`$ make clean   (in ${root})`);
      await cleanBuild({ acrnTree: root, signal: ac.signal, onLine: (l) => this.output.appendLine(l) });
    });
    this.diagnostics.clear();
    void vscode.window.showInformationMessage(`acrn-nest: make clean done in ${root}`);
  }

  async selectTarget(): Promise<void> {
    const t: ResolvedTarget | undefined = await pickTarget(this.ctx.config, undefined, 'deploying', true).catch((e: unknown) => {
      void vscode.window.showErrorMessage(`acrn-nest: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    });
    if (!t) return;
    await this.ctx.config.setDefaultTarget(t.name);
    void vscode.window.showInformationMessage(`acrn-nest: deploying to ${t.name} (${t.user}@${t.host}:${t.port}) from now on`);
  }

  async forgetSudoPassword(): Promise<void> {
    const t = await pickTarget(this.ctx.config, undefined, 'forgetting its sudo password');
    if (!t) return;
    await this.passwords.forget(t);
    void vscode.window.showInformationMessage(`acrn-nest: sudo password for ${t.name} forgotten`);
  }

  dispose(): void {
    this.running?.abort();
    this.diagnostics.dispose();
    this.output.dispose();
    this.buildItem.dispose();
    this.deployItem.dispose();
    for (const s of this.subs) s.dispose();
  }
}

const controllers = new WeakMap<Ctx, BuildController>();

/** The one BuildController of this activation (created on first use or by registerBuild). */
export function buildController(ctx: Ctx): BuildController {
  let c = controllers.get(ctx);
  if (!c) {
    c = new BuildController(ctx);
    controllers.set(ctx, c);
    ctx.extension.subscriptions.push(c);
  }
  return c;
}

/** The build/deploy commands (merged into extension/commands.ts's COMMANDS). */
export const BUILD_COMMANDS: Record<string, CommandFactory> = {
  // Factories run at activation: the first one also sets up the status bar and the task type.
  [Commands.build]: (ctx) => {
    registerBuild(ctx);
    return (uri?: unknown) => buildController(ctx).runWithProgress('build', { scenario: uri instanceof vscode.Uri ? uri.fsPath : undefined });
  },
  [Commands.buildAndDeploy]: (ctx) => (uri?: unknown) => buildController(ctx).runWithProgress('buildAndDeploy', { scenario: uri instanceof vscode.Uri ? uri.fsPath : undefined }),
  [Commands.deploy]: (ctx) => () => buildController(ctx).runWithProgress('deploy'),
  [Commands.cleanBuild]: (ctx) => () => buildController(ctx).clean(),
  [Commands.selectTarget]: (ctx) => () => buildController(ctx).selectTarget(),
  [Commands.forgetSudoPassword]: (ctx) => () => buildController(ctx).forgetSudoPassword(),
};

/** Status bar buttons, the diagnostics collection and the `acrn-nest` task type, at activation. */
const registered = new WeakSet<Ctx>();
export function registerBuild(ctx: Ctx): void {
  if (registered.has(ctx)) return;
  registered.add(ctx);
  const controller = buildController(ctx);
  ctx.extension.subscriptions.push(vscode.tasks.registerTaskProvider(TASK_TYPE, new AcrnTaskProvider(controller)));
}
