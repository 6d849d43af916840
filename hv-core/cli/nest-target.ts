/** Opening a target file's SSH connection for the console, l2 and doctor commands. */
import path from 'node:path';
import type { ConsoleConfig, HostProvider, NestTarget, ResolvedTarget } from '../engine.js';
import { loadNestTarget, parseTarget, resolveTarget, sshHostProvider, sshSerialTarget } from '../engine.js';
import { UsageError } from './io.js';
import type { CliIO } from './io.js';

export interface OpenTarget {
  nest: NestTarget;
  resolved: ResolvedTarget;
  provider: HostProvider & { close(): void };
  /** Providers for other hosts (ssh-serial on a lab PC), closed with close(). */
  other(c: Extract<ConsoleConfig, { type: 'ssh-serial' }>): { provider: HostProvider; label: string };
  close(): void;
}

export function openTargetFile(file: string | undefined, io: CliIO): OpenTarget {
  if (!file) throw new UsageError('--target-file FILE is required');
  const nest = loadNestTarget(path.resolve(io.cwd, file));
  const resolved = resolveTarget(nest.target);
  const provider = sshHostProvider(resolved, { signal: io.signal });
  const others: Array<{ close(): void }> = [];
  return {
    nest,
    resolved,
    provider,
    other(c) {
      const t = resolveTarget(parseTarget(sshSerialTarget(c, nest.file), nest.file));
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
