/** Opening a target file's SSH connection for the console, l2 and doctor commands. */
import type { ConsoleConfig, HostProvider, ResolvedTarget, TargetSettings } from '../engine.js';
import { parseTarget, resolveTarget, sshHostProvider, sshSerialTarget } from '../engine.js';
import { UsageError } from './io.js';
import type { CliIO } from './io.js';
import { cliSettings, cliTarget, loadCliNestTarget } from './settings.js';

export interface OpenTarget {
  /** The target file's target with its console and l2 parts (as the engine's settings hold it). */
  nest: TargetSettings;
  resolved: ResolvedTarget;
  provider: HostProvider & { close(): void };
  /** Providers for other hosts (ssh-serial on a lab PC), closed with close(). */
  other(c: Extract<ConsoleConfig, { type: 'ssh-serial' }>): { provider: HostProvider; label: string };
  close(): void;
}

export function openTargetFile(file: string | undefined, io: CliIO): OpenTarget {
  if (!file) throw new UsageError('--target-file FILE is required');
  const nest = cliTarget(cliSettings({ 'target-file': file }, io, { loadTarget: loadCliNestTarget }))!;
  const resolved = nest.target;
  const provider = sshHostProvider(resolved, { signal: io.signal });
  const others: Array<{ close(): void }> = [];
  return {
    nest,
    resolved,
    provider,
    other(c) {
      const t = resolveTarget(parseTarget(sshSerialTarget(c, nest.source), nest.source));
      const p = sshHostProvider(t, { signal: io.signal });
      others.push(p);
      return { provider: p, label: t.name };
    },
    close() {
      provider.close();
      for (const o of others) o.close();
    },
  };
}
