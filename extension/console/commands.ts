/**
 * Console, L2 and doctor commands, the Nested view and the terminal profiles. Thin: the work is in
 * hv-core (console sessions, L2Manager, doctor). QEMU launch is refused in untrusted workspaces.
 */
import * as vscode from 'vscode';
import type { Accel, DoctorCheck, L2Net, L2Spec, ResolvedTarget } from '../../hv-core/engine.js';
import { L2Error, NAME_RE, VM_CONSOLE_ESCAPE, checkL2Ready, formatChecks, isAcrnText, probeServiceVm, scenarioChecks } from '../../hv-core/engine.js';
import { Commands, TerminalProfiles, Views } from '../constants.js';
import type { CommandFactory, Ctx } from '../context.js';
import { pickTarget } from '../targets.js';
import { ConsoleManager } from './consoles.js';
import type { NestedNode } from './nestedView.js';
import { NestedView } from './nestedView.js';
import { consoleSettings } from './settings.js';

let manager: ConsoleManager | undefined;
let view: NestedView | undefined;

/** The console manager (one per extension host), made on first use. */
export function consoles(ctx: Ctx): ConsoleManager {
  manager ??= new ConsoleManager(ctx);
  return manager;
}

/**
 * Opens (or shows) the hypervisor console tab of a target (a ResolvedTarget or a target name;
 * undefined: the default target or the user's pick). For the build/deploy wiring: call it after a
 * successful deploy so the console opens by itself.
 */
export function openHypervisorConsole(ctx: Ctx, target?: ResolvedTarget | string): Promise<vscode.Terminal | undefined> {
  return consoles(ctx).openHypervisorConsole(target);
}

/** Registers the Nested view and the terminal profiles (called once from activate()). */
export function registerConsoles(ctx: Ctx): void {
  const m = consoles(ctx);
  view = new NestedView(m, ctx.config);
  ctx.extension.subscriptions.push(
    vscode.window.registerTreeDataProvider(Views.nested, view),
    vscode.window.registerTerminalProfileProvider(TerminalProfiles.hypervisor, {
      async provideTerminalProfile() {
        const t = await pickTarget(ctx.config, undefined, 'the hypervisor console');
        if (!t) return undefined;
        const { name, pty } = m.profilePty(t);
        return new vscode.TerminalProfile({ name, pty });
      },
    }),
    vscode.window.registerTerminalProfileProvider(TerminalProfiles.l2, {
      async provideTerminalProfile() {
        const t = await pickTarget(ctx.config, undefined, 'an L2 guest console');
        if (!t) return undefined;
        const name = await pickGuest(m, t, true);
        if (!name) return undefined;
        const p = m.profilePty(t, name);
        return new vscode.TerminalProfile({ name: p.name, pty: p.pty });
      },
    }),
  );
}

function nodeTarget(arg: unknown): ResolvedTarget | undefined {
  const n = arg as NestedNode | undefined;
  return n && typeof n === 'object' && 'target' in n ? n.target : undefined;
}

async function targetFrom(ctx: Ctx, arg: unknown, purpose: string): Promise<ResolvedTarget | undefined> {
  return nodeTarget(arg) ?? (await pickTarget(ctx.config, typeof arg === 'string' ? arg : undefined, purpose));
}

/** The running L2 guest a command is for: the Nested view's node, else picked on the chosen target. */
async function guestFrom(ctx: Ctx, m: ConsoleManager, arg: unknown, purpose: string): Promise<{ t: ResolvedTarget; name: string } | undefined> {
  const n = arg as NestedNode | undefined;
  const t = await targetFrom(ctx, arg, purpose);
  if (!t) return undefined;
  const name = n?.kind === 'l2' ? n.name : await pickGuest(m, t, true);
  return name ? { t, name } : undefined;
}

async function pickGuest(m: ConsoleManager, t: ResolvedTarget, runningOnly: boolean): Promise<string | undefined> {
  const list = (await (await m.l2Manager(t)).list()).filter((g) => !runningOnly || g.running);
  if (!list.length) {
    void vscode.window.showInformationMessage(`acrn-nest: no ${runningOnly ? 'running ' : ''}L2 guests on ${t.name}.`);
    return undefined;
  }
  if (list.length === 1) return list[0]!.name;
  return (await vscode.window.showQuickPick(list.map((g) => ({ label: g.name, description: g.running ? `running, pid ${String(g.pid)}` : 'stopped' })), { title: `L2 guests on ${t.name}` }))?.label;
}

function activeConsole(m: ConsoleManager): ReturnType<ConsoleManager['active']> {
  const c = m.active();
  if (!c) void vscode.window.showInformationMessage('acrn-nest: the active terminal is not an acrn-nest console (ACRN hypervisor or L2).');
  return c;
}

let doctorChannel: vscode.OutputChannel | undefined;

export const CONSOLE_COMMANDS: Record<string, CommandFactory> = {
  [Commands.openHypervisorConsole]: (ctx) => async (arg?: unknown) => {
    await consoles(ctx).openHypervisorConsole(nodeTarget(arg) ?? (typeof arg === 'string' ? arg : undefined));
  },
  [Commands.launchL2]: (ctx) => async (arg?: unknown) => {
    if (!ctx.trusted) {
      const a = await vscode.window.showErrorMessage('acrn-nest: launching QEMU is disabled in an untrusted workspace (it starts a VM on the machine your settings name). Trust this workspace to use it.', 'Manage Workspace Trust');
      if (a) await vscode.commands.executeCommand('workbench.trust.manage');
      return;
    }
    const m = consoles(ctx);
    const t = await targetFrom(ctx, arg, 'launching an L2 guest');
    if (!t) return;
    const s = consoleSettings(ctx.config, t).l2;
    // Reachable, a shell, QEMU, /dev/kvm: checked before any question (issue 11).
    const ready = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `acrn-nest: checking that ${t.name} can run L2 guests` }, async () => {
      try {
        return await checkL2Ready(await m.host(t), (s.accel ?? 'kvm') as Accel);
      } catch (e) {
        return { ok: false, shell: false, qemu: false, kvm: false, problems: [`cannot connect to ${t.name}: ${e instanceof Error ? e.message : String(e)}`] };
      }
    });
    if (!ready.ok) {
      ctx.log.warn(`launch L2 on ${t.name}: ${ready.problems.join('; ')}`);
      const doctor = 'Run Doctor';
      const a = await vscode.window.showErrorMessage(`acrn-nest: ${t.name} cannot run an L2 guest: ${ready.problems.join(' ')}`, ...(ready.shell ? [doctor] : []), 'Show Log');
      if (a === doctor) await vscode.commands.executeCommand(Commands.doctor, t.name);
      else if (a === 'Show Log') ctx.log.show();
      return;
    }
    const name = await vscode.window.showInputBox({ title: `L2 guest on ${t.name}: name`, value: 'l2-guest', validateInput: (v) => (NAME_RE.test(v) ? undefined : "letters, digits, '.', '_' or '-' (at most 64)") });
    if (!name) return;
    const kind = await vscode.window.showQuickPick([{ label: 'Disk image', description: 'raw or qcow2 on the Service VM, virtio (the recipe\'s -drive ...,if=virtio)', id: 'disk' }, { label: 'Linux kernel', description: 'boot a kernel directly (-kernel, -append)', id: 'kernel' }], { title: `L2 guest ${name}: boot from` });
    if (!kind) return;
    const file = await vscode.window.showInputBox({ title: `L2 guest ${name}: ${kind.label.toLowerCase()} path ON THE SERVICE VM`, value: kind.id === 'disk' ? '/root/ubuntu-20.04.img' : '/boot/vmlinuz', validateInput: (v) => (v.startsWith('/') ? undefined : 'an absolute path on the Service VM') });
    if (!file) return;
    const spec: L2Spec = { name, accel: (s.accel ?? 'kvm') as Accel, net: { type: s.net ?? 'tap' } as L2Net };
    if (kind.id === 'disk') spec.disk = file;
    else {
      spec.kernel = file;
      const append = await vscode.window.showInputBox({ title: `L2 guest ${name}: kernel command line`, value: 'console=ttyS0' });
      if (append === undefined) return;
      spec.append = append;
    }
    const memory = await vscode.window.showInputBox({ title: `L2 guest ${name}: memory`, value: '2G', validateInput: (v) => (/^[1-9]\d*[KMGT]?$/i.test(v) ? undefined : 'a size like 2G or 512M') });
    if (!memory) return;
    const smp = await vscode.window.showInputBox({ title: `L2 guest ${name}: vCPUs`, value: '2', validateInput: (v) => (/^[1-9]\d*$/.test(v) ? undefined : 'a number') });
    if (!smp) return;
    spec.memory = memory;
    spec.smp = Number(smp);
    try {
      const g = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `acrn-nest: launching L2 guest ${name} on ${t.name}${spec.accel === 'tcg' ? ' WITHOUT KVM (accel "tcg" from settings)' : ''}` }, async () => (await m.l2Manager(t)).launch(spec));
      ctx.log.info(`launched L2 guest ${g.name} on ${t.name}: pid ${String(g.pid)}, serial ${g.paths.serial}`);
      await m.openL2Console(t, name);
      view?.refresh();
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      ctx.log.error(`launch of L2 guest ${name} on ${t.name}: ${msg}`);
      const doctor = 'Run Doctor';
      const a = await vscode.window.showErrorMessage(`acrn-nest: ${msg}`, ...(e instanceof L2Error && /\/dev\/kvm/.test(msg) ? [doctor] : []));
      if (a === doctor) await vscode.commands.executeCommand(Commands.doctor, t.name);
    }
  },
  [Commands.attachL2]: (ctx) => async (arg?: unknown) => {
    const m = consoles(ctx);
    const g = await guestFrom(ctx, m, arg, 'attaching to an L2 guest');
    if (g) await m.openL2Console(g.t, g.name);
  },
  [Commands.stopL2]: (ctx) => async (arg?: unknown) => {
    const m = consoles(ctx);
    const g = await guestFrom(ctx, m, arg, 'stopping an L2 guest');
    if (!g) return;
    const { t, name } = g;
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `acrn-nest: stopping L2 guest ${name} (system_powerdown, then kill after the timeout)` }, async () => (await m.l2Manager(t)).stop(name));
    const how = { powerdown: 'powered down', terminated: 'did not power down in time and was terminated', killed: 'was killed (SIGKILL)', 'not-running': 'was not running' }[r.how];
    void vscode.window.showInformationMessage(`acrn-nest: L2 guest ${name} ${how}.`);
    view?.refresh();
  },
  [Commands.toggleConsoleTimestamps]: (ctx) => () => {
    const m = consoles(ctx);
    const c = activeConsole(m);
    if (!c) return;
    const on = !c.session.timestampsOn;
    c.session.setTimestamps(on);
    m.timestampsDefault = on;
    c.note(`timestamps ${on ? 'on' : 'off'}`);
  },
  [Commands.logConsoleToFile]: (ctx) => async () => {
    const c = activeConsole(consoles(ctx));
    if (!c) return;
    if (c.session.logFile) {
      const was = c.session.logFile;
      await c.session.setLogFile(undefined);
      c.note(`logging to ${was} stopped`);
      return;
    }
    const uri = await vscode.window.showSaveDialog({ title: 'acrn-nest: log this console to a file', filters: { Log: ['log', 'txt'] }, defaultUri: vscode.Uri.file(`${vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? ''}/console.log`) });
    if (!uri) return;
    await c.session.setLogFile(uri.fsPath);
    c.note(`logging to ${uri.fsPath} (run the command again to stop)`);
  },
  [Commands.clearConsole]: (ctx) => () => activeConsole(consoles(ctx))?.clear(),
  [Commands.sendVmConsoleEscape]: (ctx) => async () => {
    const c = activeConsole(consoles(ctx));
    if (!c) return;
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'ACRN v3.3 and later', description: 'BREAK + e (sends NUL, then e)', bytes: VM_CONSOLE_ESCAPE.fromV33 },
        { label: 'ACRN v2.5 … v3.2', description: 'Ctrl+Space (sends NUL)', bytes: VM_CONSOLE_ESCAPE.upToV32 },
      ],
      { title: 'acrn-nest: leave vm_console (back to ACRN:\\>)' },
    );
    if (pick) c.session.send(pick.bytes);
  },
  [Commands.doctor]: (ctx) => async (arg?: unknown) => {
    const t = await targetFrom(ctx, arg, 'the nested-virtualization doctor');
    const checks: DoctorCheck[] = [];
    const doc = vscode.window.activeTextEditor?.document;
    if (doc && doc.languageId === 'xml' && isAcrnText(doc.getText())) checks.push(...scenarioChecks(doc.getText(), { file: vscode.workspace.asRelativePath(doc.uri) }));
    if (t) {
      try {
        checks.push(...(await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `acrn-nest: checking ${t.name} for nested virtualization` }, async () => probeServiceVm(await consoles(ctx).host(t)))));
      } catch (e) {
        checks.push({ id: 'ssh', where: 'Service VM', title: 'reachable over SSH', status: 'fail', detail: e instanceof Error ? e.message : String(e), fix: 'Check the target in acrnNest.targets and that the board is up.' });
      }
    }
    doctorChannel ??= vscode.window.createOutputChannel('acrn-nest doctor');
    doctorChannel.clear();
    for (const l of formatChecks(checks)) doctorChannel.appendLine(l);
    const failed = checks.filter((c) => c.status === 'fail').length;
    doctorChannel.appendLine(failed ? `${failed} check(s) failed` : 'all checks passed');
    doctorChannel.show(true);
    if (failed) void vscode.window.showWarningMessage(`acrn-nest doctor: ${failed} check(s) failed; each says how to fix it (see the recipe step named).`);
    else void vscode.window.showInformationMessage('acrn-nest doctor: all checks passed.');
  },
  [Commands.refreshNested]: () => () => view?.refresh(),
};
