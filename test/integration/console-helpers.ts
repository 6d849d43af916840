/**
 * Helpers for the console and L2 tests: a target for the loopback sshd, waiting on console output
 * and session events with bounded timeouts (never a sleep).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConsoleSession, SessionEvent } from '../../hv-core/console/session';
import type { ResolvedTarget } from '../../hv-core/target/index';
import { parseTarget, resolveTarget } from '../../hv-core/target/index';
import type { Sshd } from './sshd';

/** A target (and a target file) for the loopback sshd, its host key recorded in a known_hosts file. */
export function loopbackTarget(sshd: Sshd, extra: Record<string, unknown> = {}): { target: ResolvedTarget; file: string; json: Record<string, unknown> } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-target-'));
  const knownHosts = path.join(dir, 'known_hosts');
  writeFileSync(knownHosts, sshd.knownHostsLine + '\n');
  const json = { name: 'loopback', host: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKey, knownHostsFile: knownHosts, ...extra };
  const file = path.join(dir, 'target.json');
  writeFileSync(file, JSON.stringify(json, null, 2));
  const { console: _c, l2: _l, ...plain } = json as Record<string, unknown>;
  const target = resolveTarget(parseTarget(plain, file), { sshConfigText: '' });
  return { target, file, json };
}

/** Collects a session's output and events; `waitFor` resolves when the text matches. */
export class Recorder {
  text = '';
  events: SessionEvent[] = [];
  private waiters: Array<() => void> = [];

  constructor(session: ConsoleSession) {
    session.on('data', (d) => {
      this.text += d.toString('latin1');
      this.poke();
    });
    session.on('status', (e) => {
      this.events.push(e);
      this.poke();
    });
  }

  private poke(): void {
    for (const w of [...this.waiters]) w();
  }

  waitUntil(pred: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pred()) return;
        done();
        resolve();
      };
      const t = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; output tail: ${JSON.stringify(this.text.slice(-400))}; events: ${this.events.map((e) => `${e.type}: ${e.message}`).join(' | ')}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(t);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      this.waiters.push(check);
    });
  }

  waitText(re: RegExp, timeoutMs: number): Promise<void> {
    return this.waitUntil(() => re.test(this.text), `output ${re}`, timeoutMs);
  }

  waitEvent(type: SessionEvent['type'], timeoutMs: number, after = 0): Promise<SessionEvent> {
    return this.waitUntil(() => this.events.slice(after).some((e) => e.type === type), `a '${type}' event`, timeoutMs).then(() => this.events.slice(after).find((e) => e.type === type)!);
  }
}

/** True while a local process exists. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
