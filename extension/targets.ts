/**
 * Deploy targets and build hosts from settings (`acrnNest.targets`, `acrnNest.defaultTarget`),
 * resolved by hv-core/target (an entry may be `{ name, sshAlias }`, resolved through
 * ~/.ssh/config). The VS Code side of SSH trust: an unknown host key is shown in a modal with its
 * SHA256 fingerprint and recorded only after "Trust and Connect"; a changed key is refused by
 * hv-core. The sudo password lives in SecretStorage only, never in settings or the log.
 */
import * as vscode from 'vscode';
import type { ConnectOptions, HostKeyInfo } from '../hv-core/target/connection.js';
import { resolveTarget } from '../hv-core/target/resolve.js';
import type { ResolvedTarget, Target } from '../hv-core/target/target.js';
import { parseTarget, TargetError } from '../hv-core/target/target.js';
import { Settings } from './constants.js';

export const TRUST_AND_CONNECT = 'Trust and Connect';
const SECRET_PREFIX = 'acrnNest.sudoPassword.';

/** A target as written in settings: the target file's fields, or `{ name, sshAlias }`. */
type TargetSetting = Partial<Target> & { sshAlias?: string; name?: string };

export function configuredTargets(): { targets: ResolvedTarget[]; errors: string[] } {
  const raw = vscode.workspace.getConfiguration().get<unknown[]>(Settings.targets) ?? [];
  const targets: ResolvedTarget[] = [];
  const errors: string[] = [];
  raw.forEach((entry, i) => {
    const source = `setting ${Settings.targets}[${i}]`;
    try {
      if (typeof entry !== 'object' || entry === null) throw new TargetError(source, undefined, 'must be an object');
      const { sshAlias, ...rest } = entry as TargetSetting;
      if (sshAlias !== undefined && rest.host !== undefined) throw new TargetError(source, 'sshAlias', 'give either "sshAlias" or "host", not both');
      const t = parseTarget(sshAlias !== undefined ? { ...rest, host: sshAlias } : rest, source);
      targets.push(resolveTarget(t));
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
  });
  return { targets, errors };
}

/**
 * The target by name, the default one, or the user's pick; undefined when cancelled. `ask`
 * always shows the pick (Select Target: changing the default), with the current default first.
 */
export async function pickTarget(name: string | undefined, purpose: string, ask = false): Promise<ResolvedTarget | undefined> {
  const { targets, errors } = configuredTargets();
  if (errors.length) throw new Error(errors.join('; '));
  if (targets.length === 0) {
    const open = 'Open Settings';
    const a = await vscode.window.showErrorMessage(`acrn-nest: no target configured for ${purpose}. Add one to "${Settings.targets}" (host, user, … or { "name", "sshAlias" }).`, open);
    if (a === open) await vscode.commands.executeCommand('workbench.action.openSettings', Settings.targets);
    return undefined;
  }
  const current = vscode.workspace.getConfiguration().get<string>(Settings.defaultTarget) || undefined;
  const wanted = name ?? (ask ? undefined : current);
  if (wanted) {
    const t = targets.find((x) => x.name === wanted);
    if (!t) throw new Error(`target "${wanted}" is not in ${Settings.targets} (known: ${targets.map((x) => x.name).join(', ')})`);
    return t;
  }
  if (targets.length === 1 && !ask) return targets[0];
  const ordered = [...targets.filter((t) => t.name === current), ...targets.filter((t) => t.name !== current)];
  const pick = await vscode.window.showQuickPick(
    ordered.map((t) => ({ label: t.name, description: `${t.user}@${t.host}:${t.port}`, detail: t.name === current ? 'the current default' : undefined, target: t })),
    { title: `acrn-nest: target for ${purpose}`, placeHolder: `Set ${Settings.defaultTarget} to skip this question` },
  );
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

export class SudoPasswords {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  get(target: ResolvedTarget): Thenable<string | undefined> {
    return this.secrets.get(SECRET_PREFIX + target.name);
  }

  /** Asks once (password input box) and stores the answer in SecretStorage. */
  async ask(target: ResolvedTarget, why: string): Promise<string | undefined> {
    const pw = await vscode.window.showInputBox({
      title: `acrn-nest: sudo password for ${target.user}@${target.host}`,
      prompt: `${why} It is kept in VS Code's secret storage (never in settings or logs); "acrn-nest: Forget Sudo Password" removes it.`,
      password: true,
      ignoreFocusOut: true,
    });
    if (pw === undefined) return undefined;
    await this.secrets.store(SECRET_PREFIX + target.name, pw);
    return pw;
  }

  async forget(target: ResolvedTarget): Promise<void> {
    await this.secrets.delete(SECRET_PREFIX + target.name);
  }
}

/** Connect options for hv-core: modal host-key question, the stored sudo password, log lines. */
export async function connectOptions(target: ResolvedTarget, passwords: SudoPasswords, log: vscode.LogOutputChannel, signal?: AbortSignal): Promise<ConnectOptions> {
  const sudoPassword = await passwords.get(target);
  const o: ConnectOptions = { onUnknownHostKey: confirmHostKey, log: (l) => log.trace(l) };
  if (sudoPassword !== undefined) o.sudoPassword = sudoPassword;
  if (signal) o.signal = signal;
  return o;
}
