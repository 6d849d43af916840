/** Opening a target file's SSH connection for the console, l2 and doctor commands. */
import path from 'node:path';
import type { NestTarget } from '../console/targetFile.js';
import { loadNestTarget } from '../console/targetFile.js';
import type { HostProvider } from '../console/remote.js';
import { sshHostProvider } from '../console/ssh.js';
import type { ResolvedTarget } from '../target/index.js';
import { parseTarget, resolveTarget } from '../target/index.js';
import type { ConsoleConfig } from '../console/config.js';
import { sshSerialTarget } from '../console/config.js';
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
