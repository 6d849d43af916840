/**
 * Helpers for the console and L2 tests: a target for the loopback sshd, waiting on console output
 * and session events with bounded timeouts (never a sleep).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConsoleSession, SessionEvent } from '../../hv-core/console/session';
import type { ResolvedTarget } from '../../hv-core/ssh-target/index';
import { parseTarget, resolveTarget } from '../../hv-core/ssh-target/index';
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

/** Resolves when a (non-child) process exits: waits on `tail --pid` as a child (an exit event). */
export function waitPidGone(pid: number, timeoutMs: number): Promise<void> {
  if (!pidAlive(pid)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const w = spawn('tail', [`--pid=${pid}`, '-s', '0.05', '-f', '/dev/null'], { stdio: 'ignore' });
    const t = setTimeout(() => {
      w.kill();
      reject(new Error(`pid ${pid} still alive after ${timeoutMs} ms`));
    }, timeoutMs);
    w.on('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Pids whose command line contains `marker` (pgrep -f), excluding ourselves. */
export function pgrep(marker: string): number[] {
  const r = spawnSync('pgrep', ['-f', '--', marker], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number).filter((p) => p !== process.pid);
}

/** The members of a process's group. */
export function processGroup(pid: number): number[] {
  const pgid = spawnSync('ps', ['-o', 'pgid=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim();
  if (!pgid) return [];
  return spawnSync('pgrep', ['-g', pgid], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
}

export interface PtyPair {
  a: string;
  b: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** A pseudo-terminal pair from socat (`pty,raw,echo=0` twice), linked at dir/a and dir/b; resolves when socat says it is transferring. */
export function socatPtyPair(dir: string, timeoutMs = 10_000): Promise<PtyPair> {
  const a = `${dir}/a`;
  const b = `${dir}/b`;
  const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`socat did not start within ${timeoutMs} ms: ${log}`));
    }, timeoutMs);
    proc.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('starting data transfer loop')) {
        clearTimeout(t);
        resolve({
          a,
          b,
          proc,
          stop: () =>
            new Promise<void>((r) => {
              if (proc.exitCode !== null || proc.signalCode !== null) return r();
              proc.once('exit', () => r());
              proc.kill('SIGTERM');
            }),
        });
      }
    });
    proc.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    proc.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`socat exited (${String(code)}) before it was ready: ${log}`));
    });
  });
}
