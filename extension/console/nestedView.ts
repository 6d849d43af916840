/**
 * The "Nested" view: each target, its hypervisor console, its L1 VMs (vm_list in a console session
 * of its own, never the user's) and its L2 guests (listed over SSH), with Launch,
 * Attach and Stop actions (contextValue drives the inline menus in package.json).
 */
import * as vscode from 'vscode';
import type { ResolvedTarget } from '../../hv-core/engine.js';
import type { Config } from '../config.js';
import { configuredTargets } from '../targets.js';
import { Commands } from '../constants.js';
import type { ConsoleManager } from './consoles.js';

export type NestedNode =
  | { kind: 'target'; target: ResolvedTarget }
  | { kind: 'console'; target: ResolvedTarget }
  | { kind: 'l1group'; target: ResolvedTarget }
  | { kind: 'l1'; target: ResolvedTarget; label: string; detail: string }
  | { kind: 'l2group'; target: ResolvedTarget }
  | { kind: 'l2'; target: ResolvedTarget; name: string; running: boolean; detail: string }
  | { kind: 'message'; label: string; detail?: string; error?: boolean };

export class NestedView implements vscode.TreeDataProvider<NestedNode> {
  private readonly emitter = new vscode.EventEmitter<NestedNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(
    private readonly consoles: ConsoleManager,
    private readonly config: Config,
  ) {
    consoles.onDidChange(() => this.refresh());
  }

  refresh(): void {
    this.emitter.fire(undefined);
  }

  getTreeItem(n: NestedNode): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState;
    switch (n.kind) {
      case 'target': {
        const it = new vscode.TreeItem(n.target.name, C.Expanded);
        it.description = `${n.target.user}@${n.target.host}:${n.target.port}`;
        it.iconPath = new vscode.ThemeIcon('remote');
        it.contextValue = 'acrnNest.target';
        return it;
      }
      case 'console': {
        const it = new vscode.TreeItem('Hypervisor console', C.None);
        it.description = this.consoles.isOpen(n.target.name) ? 'open' : '';
        it.iconPath = new vscode.ThemeIcon('terminal');
        it.command = { command: Commands.openHypervisorConsole, title: 'Open Hypervisor Console', arguments: [n] };
        it.contextValue = 'acrnNest.console';
        return it;
      }
      case 'l1group': {
        const it = new vscode.TreeItem('L1 VMs (ACRN)', C.Collapsed);
        it.iconPath = new vscode.ThemeIcon('server');
        return it;
      }
      case 'l1': {
        const it = new vscode.TreeItem(n.label, C.None);
        it.description = n.detail;
        it.iconPath = new vscode.ThemeIcon('vm-running');
        return it;
      }
      case 'l2group': {
        const it = new vscode.TreeItem('L2 guests (QEMU/KVM in the Service VM)', C.Collapsed);
        it.iconPath = new vscode.ThemeIcon('layers');
        it.contextValue = 'acrnNest.l2group';
        return it;
      }
      case 'l2': {
        const it = new vscode.TreeItem(n.name, C.None);
        it.description = `${n.running ? 'running' : 'stopped'} ${n.detail}`;
        it.iconPath = new vscode.ThemeIcon(n.running ? 'vm-running' : 'vm-outline');
        it.contextValue = n.running ? 'acrnNest.l2.running' : 'acrnNest.l2.stopped';
        if (n.running) it.command = { command: Commands.attachL2, title: 'Attach', arguments: [n] };
        return it;
      }
      case 'message': {
        const it = new vscode.TreeItem(n.label, C.None);
        if (n.detail) it.tooltip = n.detail;
        it.iconPath = new vscode.ThemeIcon(n.error ? 'error' : 'info');
        return it;
      }
    }
  }

  async getChildren(n?: NestedNode): Promise<NestedNode[]> {
    if (!n) {
      const { targets, errors } = configuredTargets(this.config);
      const out: NestedNode[] = targets.map((target) => ({ kind: 'target', target }));
      for (const e of errors) out.push({ kind: 'message', label: e, error: true });
      if (!out.length) out.push({ kind: 'message', label: 'No targets: run "acrn-nest: Add Target..."' });
      return out;
    }
    switch (n.kind) {
      case 'target':
        return [
          { kind: 'console', target: n.target },
          { kind: 'l1group', target: n.target },
          { kind: 'l2group', target: n.target },
        ];
      case 'l1group': {
        const r = await this.consoles.vmList(n.target);
        if (!r.ok) return [{ kind: 'message', label: 'not listed: acrn-nest does not type into your console', detail: r.why }];
        const vms = r.vms;
        if (!vms.length) return [{ kind: 'message', label: 'vm_list printed no VMs' }];
        return vms.map((v) => ({ kind: 'l1', target: n.target, label: `${v.id}: ${v.name}`, detail: v.state }));
      }
      case 'l2group': {
        try {
          const m = await this.consoles.l2Manager(n.target);
          const { guests: list, skipped } = await m.scan();
          const out: NestedNode[] = list.map((g) => ({ kind: 'l2', target: n.target, name: g.name, running: g.running, detail: g.spec ? `${g.spec.memory ?? '2G'}, ${g.spec.smp ?? 2} vCPU, ${g.spec.accel ?? 'kvm'}` : '' }));
          if (skipped.length) out.push({ kind: 'message', label: `skipped ${skipped.length} entr${skipped.length === 1 ? 'y' : 'ies'} that are not L2 guests`, detail: skipped.map((s) => `${s.name}: ${s.why}`).join('\n') });
          if (!out.length) out.push({ kind: 'message', label: 'none (Launch L2 Guest…)' });
          return out;
        } catch (e) {
          return [{ kind: 'message', label: 'cannot list L2 guests', detail: e instanceof Error ? e.message : String(e), error: true }];
        }
      }
      default:
        return [];
    }
  }
}
