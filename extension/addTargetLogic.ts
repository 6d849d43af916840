/**
 * "acrn-nest: Add Target..." without a window (issue 11): the entry written to acrnNest.targets
 * for an ~/.ssh/config host or for a host/user/port typed in, and the new list. No `vscode`
 * import (unit-tested); extension/addTarget.ts asks, tests the connection and writes.
 */
export type NewTarget = { name: string; sshAlias: string } | { name: string; host: string; user: string; port?: number };

/** A name not yet taken: `base`, else `base-2`, `base-3`, ... */
export function freeName(base: string, taken: Iterable<string>): string {
  const names = new Set(taken);
  if (!names.has(base)) return base;
  for (let i = 2; ; i++) if (!names.has(`${base}-${i}`)) return `${base}-${i}`;
}

/** The settings entry: an alias stays an alias (resolved through ~/.ssh/config each time); port 22 is left out. */
export function targetEntry(input: { sshAlias: string } | { host: string; user: string; port: number }, taken: Iterable<string>): NewTarget {
  if ('sshAlias' in input) return { name: freeName(input.sshAlias, taken), sshAlias: input.sshAlias };
  const e: NewTarget = { name: freeName(input.host, taken), host: input.host, user: input.user };
  if (input.port !== 22) e.port = input.port;
  return e;
}

/** The names of the entries already in acrnNest.targets (as written). */
export function takenNames(raw: unknown[] | undefined): string[] {
  return (raw ?? []).map((t) => (t && typeof t === 'object' && typeof (t as { name?: unknown }).name === 'string' ? (t as { name: string }).name : '')).filter(Boolean);
}

/** The new acrnNest.targets value: every entry kept as written, the new one last. */
export function withTarget(raw: unknown[] | undefined, entry: NewTarget): unknown[] {
  return [...(raw ?? []), entry];
}

/** Checks of what the user types. */
export function checkHost(v: string): string | undefined {
  return /^[A-Za-z0-9._:-]+$/.test(v.trim()) ? undefined : 'a host name or IP address';
}
export function checkUser(v: string): string | undefined {
  return /^[A-Za-z_][A-Za-z0-9._-]*$/.test(v.trim()) ? undefined : 'a user name';
}
export function checkPort(v: string): string | undefined {
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? undefined : 'a port 1..65535';
}
