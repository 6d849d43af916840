/**
 * A real OpenSSH sshd (Debian's /usr/sbin/sshd) on 127.0.0.1 for the deploy tests and the deploy
 * bench: host and client keys generated per run with ssh-keygen in a temp dir, its own sshd_config
 * (no PAM, StrictModes no, AuthorizedKeysFile and PidFile in the temp dir, root login allowed so it
 * works as root in CI), readiness by connecting (SSH banner) with a bounded backoff, never a sleep.
 * `stop()` kills it; a process 'exit' hook kills it too if a test dies first.
 */
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const SSHD = '/usr/sbin/sshd';

export interface Sshd {
  port: number;
  dir: string;
  /** Host public key line ("ssh-ed25519 AAAA... comment"). */
  hostKeyPub: string;
  /** OpenSSH's SHA256 fingerprint of the host key, from ssh-keygen -lf. */
  hostFingerprint: string;
  /** Client private key file (authorized for the current user). */
  clientKey: string;
  /** known_hosts line for this server: `[127.0.0.1]:port ssh-ed25519 AAAA...`. */
  knownHostsLine: string;
  user: string;
  /** sshd's stderr so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

export function haveSshd(): boolean {
  return existsSync(SSHD) && existsSync('/usr/bin/ssh-keygen');
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address() as net.AddressInfo;
      s.close(() => resolve(a.port));
    });
  });
}

/** Resolves once something on host:port speaks SSH (sends "SSH-2.0"); bounded backoff. */
export async function waitForSsh(port: number, timeoutMs: number, host = '127.0.0.1', isDead?: () => string | undefined): Promise<void> {
  const t0 = Date.now();
  let delay = 20;
  let last = '';
  while (Date.now() - t0 < timeoutMs) {
    const dead = isDead?.();
    if (dead) throw new Error(`sshd exited before it was ready: ${dead}`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, host);
      const timer = setTimeout(() => {
        sock.destroy();
        resolve(false);
      }, 1000);
      sock.once('data', (d) => {
        clearTimeout(timer);
        sock.destroy();
        last = d.toString().trim();
        resolve(d.toString().startsWith('SSH-'));
      });
      sock.once('error', (e) => {
        clearTimeout(timer);
        last = e.message;
        resolve(false);
      });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(200, delay * 2);
  }
  throw new Error(`nothing speaks SSH on ${host}:${port} after ${timeoutMs} ms (${last})`);
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

function keygen(file: string, comment: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { stdio: 'ignore' });
}

export function sshFingerprint(pubFile: string): string {
  return execFileSync('ssh-keygen', ['-lf', pubFile], { encoding: 'utf8' }).split(/\s+/)[1]!;
}

export async function startSshd(opts: { dir?: string; extraConfig?: string[] } = {}): Promise<Sshd> {
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-sshd-'));
  const hostKey = path.join(dir, 'ssh_host_ed25519_key');
  const clientKey = path.join(dir, 'client_ed25519');
  keygen(hostKey, 'acrn-nest-test-host');
  keygen(clientKey, 'acrn-nest-test-client');
  writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(clientKey + '.pub'));
  const port = await freePort();
  const user = os.userInfo().username;
  const cfg = path.join(dir, 'sshd_config');
  writeFileSync(
    cfg,
    [
      // First: sshd takes the first value of a keyword, so these override the defaults below.
      ...(opts.extraConfig ?? []),
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin yes',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      `AllowUsers ${user}`,
      'Subsystem sftp internal-sftp',
      'MaxStartups 50',
      'MaxSessions 50',
      'LogLevel VERBOSE',
      // bash sources ~/.bashrc for commands run by sshd when SHLVL < 2; a heavy root .bashrc
      // (pyenv init: seconds per command) would time the shell, not acrn-nest.
      'SetEnv SHLVL=1',
      '',
    ].join('\n'),
  );
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const child = spawn(SSHD, ['-D', '-e', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  let log = '';
  let exited: string | undefined;
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  child.on('exit', (code, sig) => {
    live.delete(child);
    exited = `exit ${code ?? sig}: ${log.trim().split('\n').slice(-3).join(' | ')}`;
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  };
  try {
    await waitForSsh(port, 10_000, '127.0.0.1', () => exited);
  } catch (e) {
    await stop();
    throw e;
  }
  const hostKeyPub = readFileSync(hostKey + '.pub', 'utf8').trim();
  const [type, b64] = hostKeyPub.split(/\s+/);
  return {
    port,
    dir,
    hostKeyPub,
    hostFingerprint: sshFingerprint(hostKey + '.pub'),
    clientKey,
    knownHostsLine: `[127.0.0.1]:${port} ${type} ${b64}`,
    user,
    log: () => log,
    stop,
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
