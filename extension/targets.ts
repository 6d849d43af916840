/**
 * Deploy targets and build hosts from settings (`acrnNest.targets`, `acrnNest.defaultTarget`),
 * resolved by hv-core/ssh-target (an entry may be `{ name, sshAlias }`, resolved through
 * ~/.ssh/config). The VS Code side of SSH trust: an unknown host key is shown in a modal with its
 * SHA256 fingerprint and recorded only after "Trust and Connect"; a changed key is refused by
 * hv-core. The sudo password lives in SecretStorage only, never in settings or the log.
 */
import * as vscode from 'vscode';
import type { ConnectOptions, HostKeyInfo, ResolvedTarget } from '../hv-core/engine.js';
import type { Config } from './config.js';
import { Commands, Settings } from './constants.js';
import { SudoPasswords } from './secrets.js';
import { chooseTarget } from './targetChoice.js';

export const TRUST_AND_CONNECT = 'Trust and Connect';

/** The targets of settings (resolved by Config), one message per invalid entry. */
export function configuredTargets(config: Config): { targets: ResolvedTarget[]; errors: string[] } {
  const { targets, errors } = config.targets();
  return { targets: targets.map((t) => t.target), errors };
}

/**
 * The target by name, the default one, or the user's pick; undefined when cancelled. `ask`
 * always shows the pick (Select Target: changing the default), with the current default first.
 */
export async function pickTarget(config: Config, name: string | undefined, purpose: string, ask = false): Promise<ResolvedTarget | undefined> {
  const choice = chooseTarget(config.targets(), name, config.defaultTarget, ask);
  if (choice.kind === 'target') return choice.target;
  if (choice.kind === 'none') {
    const add = 'Add Target...';
    const open = 'Open Settings';
    const a = await vscode.window.showErrorMessage(`acrn-nest: no target configured for ${purpose}. Add one (from ~/.ssh/config or a host and user), or edit "${Settings.targets}".`, add, open);
    if (a === open) await vscode.commands.executeCommand('workbench.action.openSettings', Settings.targets);
    if (a === add) {
      const name = await vscode.commands.executeCommand<string | undefined>(Commands.addTarget);
      if (name) return pickTarget(config, name, purpose);
    }
    return undefined;
  }
  const ADD = '$(add) Add Target...';
  const pick = await vscode.window.showQuickPick(
    [
      ...choice.items.map(({ target: t, isDefault }) => ({ label: t.name, description: `${t.user}@${t.host}:${t.port}`, detail: isDefault ? 'the current default' : undefined, target: t as ResolvedTarget | undefined })),
      { label: ADD, description: 'from ~/.ssh/config, or a host and user', detail: undefined, target: undefined },
    ],
    { title: `acrn-nest: target for ${purpose}`, placeHolder: `Set ${Settings.defaultTarget} to skip this question` },
  );
  if (pick && !pick.target) {
    const name = await vscode.commands.executeCommand<string | undefined>(Commands.addTarget);
    return name ? pickTarget(config, name, purpose) : undefined;
  }
  return pick?.target;
}

/** Modal: shows host and fingerprint; true only when the user chose "Trust and Connect". */
export async function confirmHostKey(info: HostKeyInfo): Promise<boolean> {
  const answer = await vscode.window.showWarningMessage(
    `acrn-nest: the SSH host key of ${info.host}:${info.port} is not known`,
    {
      modal: true,
      detail: `${info.target} presents a ${info.keyType} key with fingerprint\n\n${info.fingerprint}\n\nCompare it with the board's own (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on its console). Trusting records it in ${info.knownHostsFile}.`,
    },
    TRUST_AND_CONNECT,
  );
  return answer === TRUST_AND_CONNECT;
}

/** Sudo passwords in VS Code's SecretStorage, asked for in a password input box. */
export function sudoPasswords(secrets: vscode.SecretStorage): SudoPasswords {
  return new SudoPasswords(secrets, (target, why) =>
    vscode.window.showInputBox({
      title: `acrn-nest: sudo password for ${target.user}@${target.host}`,
      prompt: `${why} It is kept in VS Code's secret storage (never in settings or logs); "acrn-nest: Forget Sudo Password" removes it.`,
      password: true,
      ignoreFocusOut: true,
    }),
  );
}

/** Connect options for hv-core: modal host-key question, the stored sudo password, log lines. */
export async function connectOptions(target: ResolvedTarget, passwords: SudoPasswords, log: vscode.LogOutputChannel, signal?: AbortSignal): Promise<ConnectOptions> {
  const sudoPassword = await passwords.get(target);
  const o: ConnectOptions = { onUnknownHostKey: confirmHostKey, log: (l) => log.trace(l) };
  if (sudoPassword !== undefined) o.sudoPassword = sudoPassword;
  if (signal) o.signal = signal;
  return o;
}
