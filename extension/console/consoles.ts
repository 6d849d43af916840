/**
 * The console tabs: "ACRN hypervisor — <target>" and "L2 — <name>" as Pseudoterminals over
 * hv-core's console sessions, one per target/guest (opening again shows the same tab). SSH goes
 * through hv-core/ssh-target with the extension's host-key modal (extension/targets.ts).
 */
import * as vscode from 'vscode';
import type { HostProvider, RemoteHost, ResolvedTarget, VmListResult } from '../../hv-core/engine.js';
import { ConsoleSession, L2ConsoleSource, L2Manager, hypervisorBanner, hypervisorSource, parseTarget, resolveTarget, sshHostProvider, sshSerialTarget, vmListOwnSession } from '../../hv-core/engine.js';
import type { Ctx } from '../context.js';
import type { SudoPasswords } from '../secrets.js';
import { connectOptions, pickTarget, sudoPasswords } from '../targets.js';
import { ConsolePty } from './pty.js';
import { consoleSettings } from './settings.js';

interface OpenConsole {
  key: string;
  target: string;
  l2?: string;
  pty: ConsolePty;
  terminal?: vscode.Terminal;
}

export class ConsoleManager implements vscode.Disposable {
  private readonly open = new Map<string, OpenConsole>();
  private readonly providers = new Map<string, HostProvider & { close(): void }>();
  private readonly passwords: SudoPasswords;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a console opens or closes (the Nested view refreshes). */
  readonly onDidChange = this.changed.event;
  timestampsDefault = false;

  constructor(private readonly ctx: Ctx) {
    this.passwords = sudoPasswords(ctx.extension.secrets);
    ctx.extension.subscriptions.push(
      this,
      vscode.window.onDidCloseTerminal((t) => {
        for (const [k, c] of this.open) if (c.terminal === t) this.forget(k);
      }),
    );
  }

  /** One SSH connection per target, reconnected after it dropped; host keys asked for in a modal. */
  provider(target: ResolvedTarget): HostProvider {
    const key = `${target.name}|${target.user}@${target.host}:${target.port}`;
    let p = this.providers.get(key);
    if (!p) {
      let inner: (HostProvider & { close(): void }) | undefined;
      const outer = async (): Promise<RemoteHost> => {
        inner ??= sshHostProvider(target, await connectOptions(target, this.passwords, this.ctx.log));
        return inner();
      };
      p = Object.assign(outer, { close: () => inner?.close() });
      this.providers.set(key, p);
    }
    return p;
  }

  async host(target: ResolvedTarget): Promise<RemoteHost> {
    return this.provider(target)();
  }

  async l2Manager(target: ResolvedTarget): Promise<L2Manager> {
    const s = consoleSettings(this.ctx.config, target).l2;
    const o: ConstructorParameters<typeof L2Manager>[1] = {};
    if (s.runDir) o.runDir = s.runDir;
    if (s.powerdownTimeoutMs !== undefined) o.powerdownTimeoutMs = s.powerdownTimeoutMs;
    return new L2Manager(await this.host(target), o);
  }

  private forget(key: string): void {
    const c = this.open.get(key);
    if (!c) return;
    this.open.delete(key);
    void c.pty.session.close();
    this.changed.fire();
  }

  private show(key: string, name: string, make: () => { session: ConsoleSession; banner: string[] }, target: string, l2?: string): OpenConsole {
    const existing = this.open.get(key);
    if (existing?.terminal) {
      existing.terminal.show();
      return existing;
    }
    const { session, banner } = make();
    const entry: OpenConsole = { key, target, pty: new ConsolePty(session, banner, () => this.forget(key)) };
    if (l2) entry.l2 = l2;
    entry.terminal = vscode.window.createTerminal({ name, pty: entry.pty, iconPath: new vscode.ThemeIcon(l2 ? 'vm' : 'server-environment') });
    this.open.set(key, entry);
    entry.terminal.show();
    this.changed.fire();
    return entry;
  }

  /** The hypervisor console source and banner for a target (settings decide the source). */
  private hypervisorSession(target: ResolvedTarget): { session: ConsoleSession; banner: string[] } {
    const cfg = consoleSettings(this.ctx.config, target).console;
    const source = hypervisorSource(cfg, target.name, this.provider(target), (c) => {
      const t = resolveTarget(parseTarget(sshSerialTarget(c, `console of ${target.name}`), `console of ${target.name}`));
      return { provider: this.provider(t), label: t.name };
    });
    const session = new ConsoleSession(source, { retryFirstConnect: true, timestamps: this.timestampsDefault });
    return { session, banner: [...hypervisorBanner(target.name, source.label, source.readOnly), source.readOnly ? '' : 'Tip: "acrn-nest: Send vm_console Escape" sends the escape if your keyboard cannot.'].filter(Boolean) };
  }

  /**
   * Opens (or shows) the hypervisor console tab of a target. Exported for the deploy wiring:
   * after a deploy the console opens by itself.
   */
  async openHypervisorConsole(target?: ResolvedTarget | string): Promise<vscode.Terminal | undefined> {
    const t = typeof target === 'object' ? target : await pickTarget(this.ctx.config, target, 'the hypervisor console');
    if (!t) return undefined;
    const terminal = this.show(`hv:${t.name}`, `ACRN hypervisor — ${t.name}`, () => this.hypervisorSession(t), t.name).terminal;
    // The walkthrough's last step completes on this: its onCommand event does not see the command
    // when the extension runs it itself (after a deploy), only when the user does.
    void vscode.commands.executeCommand('setContext', 'acrnNest.consoleOpened', true);
    return terminal;
  }

  /** Opens (or shows) an L2 guest's serial console tab. */
  async openL2Console(target: ResolvedTarget, name: string): Promise<vscode.Terminal | undefined> {
    const s = consoleSettings(this.ctx.config, target).l2;
    return this.show(
      `l2:${target.name}:${name}`,
      `L2 — ${name}`,
      () => {
        const source = new L2ConsoleSource(this.provider(target), name, target.name, s.runDir ? { runDir: s.runDir } : {});
        return { session: new ConsoleSession(source, { timestamps: this.timestampsDefault }), banner: [`L2 guest ${name} on ${target.name} — serial console (${source.label}), attached through SSH streamlocal forwarding`] };
      },
      target.name,
      name,
    ).terminal;
  }

  /** A Pseudoterminal for a contributed terminal profile. */
  profilePty(target: ResolvedTarget, l2?: string): { name: string; pty: ConsolePty } {
    if (l2) {
      const s = consoleSettings(this.ctx.config, target).l2;
      const source = new L2ConsoleSource(this.provider(target), l2, target.name, s.runDir ? { runDir: s.runDir } : {});
      return { name: `L2 — ${l2}`, pty: new ConsolePty(new ConsoleSession(source), [`L2 guest ${l2} on ${target.name} (${source.label})`], () => undefined) };
    }
    const { session, banner } = this.hypervisorSession(target);
    return { name: `ACRN hypervisor — ${target.name}`, pty: new ConsolePty(session, banner, () => undefined) };
  }

  /** The console in the active terminal, if it is one of ours. */
  active(): ConsolePty | undefined {
    const t = vscode.window.activeTerminal;
    for (const c of this.open.values()) if (c.terminal === t) return c.pty;
    return undefined;
  }

  isOpen(target: string, l2?: string): boolean {
    return this.open.has(l2 ? `l2:${target}:${l2}` : `hv:${target}`);
  }

  /**
   * The L1 VMs from `vm_list`, in a console session of its own (never the user's open console):
   * `ok: false` with why when the console cannot take a second session (nothing is sent then).
   */
  async vmList(target: ResolvedTarget, timeoutMs = 5000): Promise<VmListResult> {
    return vmListOwnSession(this.hypervisorSession(target).session.source, timeoutMs);
  }

  dispose(): void {
    for (const c of this.open.values()) c.pty.dispose();
    this.open.clear();
    for (const p of this.providers.values()) p.close();
    this.providers.clear();
    this.changed.dispose();
  }
}
