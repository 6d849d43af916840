/**
 * A deploy reboots the board: ask first (issue 11). The modal offers Reboot, "Reboot, Don't Ask
 * Again for This Target", and Deploy without Reboot (the next reboot, whenever the user does it,
 * tries the new entry once); Cancel stops. "Don't ask again" is kept per target identity
 * (user@host:port: a target repointed at another board is asked again) in the extension's global
 * state. No `vscode` import (unit-tested); extension/build.ts shows the modal.
 */
export interface ConsentStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void> | Promise<void>;
}

export const REBOOT = 'Reboot';
export const REBOOT_ALWAYS = "Reboot, Don't Ask Again for This Target";
export const NO_REBOOT = 'Deploy without Reboot';
export const REBOOT_CHOICES = [REBOOT, REBOOT_ALWAYS, NO_REBOOT] as const;

const KEY = 'acrnNest.rebootConsent';

export function targetIdentity(t: { user: string; host: string; port: number }): string {
  return `${t.user}@${t.host}:${t.port}`;
}

/** Whether the user must be asked before this deploy reboots `t`. */
export function mustAskBeforeReboot(store: ConsentStore, t: { user: string; host: string; port: number }): boolean {
  return !(store.get<string[]>(KEY) ?? []).includes(targetIdentity(t));
}

export function rebootQuestion(t: { name: string; user: string; host: string; port: number }): string {
  return `Deploy to ${t.name} (${targetIdentity(t)}) reboots the board once the new hypervisor is installed. Anything running on it stops.`;
}

/** What the modal's answer means: go on (with or without reboot) or stop; records "don't ask again". */
export async function applyRebootChoice(store: ConsentStore, t: { user: string; host: string; port: number }, choice: string | undefined): Promise<{ proceed: boolean; noReboot: boolean }> {
  if (choice === REBOOT_ALWAYS) {
    const list = store.get<string[]>(KEY) ?? [];
    const id = targetIdentity(t);
    if (!list.includes(id)) await store.update(KEY, [...list, id]);
    return { proceed: true, noReboot: false };
  }
  if (choice === REBOOT) return { proceed: true, noReboot: false };
  if (choice === NO_REBOOT) return { proceed: true, noReboot: true };
  return { proceed: false, noReboot: false };
}
