/**
 * A real LAVA lab for the tests, from Debian's lava-server and lava-dispatcher 2023.01, started by
 * hand (no systemd here), loopback only: PostgreSQL (started if it is not running), gunicorn on a
 * free 127.0.0.1 port, the scheduler, and one worker with its own name. Installs nothing:
 * `lavaMissing()` names what is missing so the test skips with that message.
 *
 * LAVA's own scripts run with Debian's PATH: a pyenv python3 first in PATH breaks them.
 * Every daemon runs in its own process group and is ended by that group's id in stop().
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const DEBIAN_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
const ENV = { ...process.env, PATH: DEBIAN_PATH, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' };
export const DEVICE_TYPES_DIR = '/etc/lava-server/dispatcher-config/device-types';
export const DEVICES_DIR = '/etc/lava-server/dispatcher-config/devices';

/** What is missing for a local LAVA (the Debian package to install), or [] */
export function lavaMissing(): string[] {
  const need: [string, string][] = [
    ['/usr/bin/lava-server', 'lava-server'],
    ['/usr/bin/lava-worker', 'lava-dispatcher'],
    ['/usr/bin/gunicorn3', 'gunicorn (lava-server depends on it)'],
    ['/usr/bin/pg_ctlcluster', 'postgresql'],
  ];
  const out = need.filter(([f]) => !existsSync(f)).map(([, p]) => p);
  if (process.getuid?.() !== 0) out.push('root (LAVA\'s configuration in /etc/lava-server and its worker run as root)');
  return out;
}

function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { env: ENV, encoding: 'utf8', input, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export function manage(...args: string[]): string {
  return run('lava-server', ['manage', ...args]);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Resolves when the child prints a line matching re (stdout or stderr); rejects if it exits. */
function waitOutput(child: ChildProcess, re: RegExp, what: string, timeoutMs: number, seen: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => done(new Error(`${what}: not ready after ${timeoutMs / 1000} s; its output:\n${seen().slice(-3000)}`)), timeoutMs);
    const on = (d: Buffer): void => {
      buf += d.toString();
      if (re.test(buf)) done();
    };
    const exit = (code: number | null): void => done(new Error(`${what} exited (${code}) before it was ready; its output:\n${seen().slice(-3000)}`));
    function done(e?: Error): void {
      clearTimeout(timer);
      child.stdout?.off('data', on);
      child.stderr?.off('data', on);
      child.off('exit', exit);
      if (e) reject(e);
      else resolve();
    }
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.once('exit', exit);
  });
}

export interface Lab {
  url: string;
  token: string;
  user: string;
  worker: string;
  /** Adds a device with its dictionary text (and optional tags); returns its name. */
  addDevice(name: string, deviceType: string, dictionary: string, tags?: string[]): void;
  /** Resolves once the device is Idle and its health Good/Unknown as the scheduler sees it. */
  output(): string;
  stop(): Promise<void>;
}

interface Daemon {
  name: string;
  child: ChildProcess;
  out: string[];
}

export async function startLab(o: { id: string; log?: (l: string) => void }): Promise<Lab> {
  const log = o.log ?? (() => undefined);
  const st = spawnSync('pg_ctlcluster', ['15', 'main', 'status'], { env: ENV });
  if (st.status !== 0) {
    log('starting PostgreSQL 15');
    run('pg_ctlcluster', ['15', 'main', 'start']);
  }
  const daemons: Daemon[] = [];
  const devices: string[] = [];
  const workerDir = `/var/lib/lava/dispatcher/acrn-nest-${o.id}`;
  const startDaemon = (name: string, cmd: string, args: string[]): Daemon => {
    const child = spawn(cmd, args, { env: ENV, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const d: Daemon = { name, child, out: [] };
    const keep = (b: Buffer): void => {
      d.out.push(b.toString());
      if (d.out.length > 400) d.out.splice(0, 100);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    daemons.push(d);
    return d;
  };
  const stop = async (): Promise<void> => {
    for (const name of devices) {
      // Retire the test's devices so the shared LAVA database does not schedule on them again.
      spawnSync('lava-server', ['manage', 'devices', 'update', '--health', 'RETIRED', name], { env: ENV });
      rmSync(path.join(DEVICES_DIR, `${name}.jinja2`), { force: true });
    }
    await Promise.all(
      daemons.reverse().map(
        (d) =>
          new Promise<void>((resolve) => {
            if (d.child.exitCode !== null || d.child.signalCode !== null) return resolve();
            const t = setTimeout(() => {
              try {
                process.kill(-d.child.pid!, 'SIGKILL');
              } catch {
                /* gone */
              }
            }, 10_000);
            d.child.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            try {
              process.kill(-d.child.pid!, 'SIGTERM');
            } catch {
              clearTimeout(t);
              resolve();
            }
          }),
      ),
    );
    rmSync(workerDir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    const gunicorn = startDaemon('gunicorn', 'gunicorn3', ['lava_server.wsgi', '-u', 'lavaserver', '-g', 'lavaserver', '--worker-class', 'eventlet', '--workers', '2', '--bind', `127.0.0.1:${port}`]);
    const ready = waitOutput(gunicorn.child, /Booting worker/, 'gunicorn', 60_000, () => gunicorn.out.join(''));
    const user = `acrn-nest-test`;
    const r = spawnSync('lava-server', ['manage', 'createsuperuser', '--noinput', '--username', user, '--email', 'test@example.invalid'], { env: { ...ENV, DJANGO_SUPERUSER_PASSWORD: `pw-${o.id}` }, encoding: 'utf8' });
    if (r.status !== 0 && !/already taken|already exists/i.test(r.stderr + r.stdout)) throw new Error(`createsuperuser: ${r.stderr}`);
    const token = manage('tokens', 'add', '--user', user).trim().split(/\s+/).pop()!;
    const worker = `acrn-nest-test-${o.id}`;
    const wt = manage('workers', 'add', worker).trim().split(/\s+/).pop()!;
    startDaemon('scheduler', 'lava-server', ['manage', 'lava-scheduler']);
    await ready;
    mkdirSync(workerDir, { recursive: true });
    const w = startDaemon('worker', 'lava-worker', ['--url', url, '--token', wt, '--name', worker, '--ping-interval', '2', '--job-log-interval', '1', '--worker-dir', workerDir, '--log-file', path.join(workerDir, 'worker.log'), '--level', 'DEBUG']);
    void w;
    log(`LAVA at ${url}, worker ${worker}`);
    return {
      url,
      token,
      user,
      worker,
      addDevice(name, deviceType, dictionary, tags = []) {
        writeFileSync(path.join(DEVICES_DIR, `${name}.jinja2`), dictionary);
        spawnSync('lava-server', ['manage', 'device-types', 'add', deviceType], { env: ENV });
        // the hostname before --tags, which takes every argument after it
        manage('devices', 'add', '--device-type', deviceType, '--worker', worker, name, ...(tags.length ? ['--tags', ...tags] : []));
        devices.push(name);
      },
      output: () => daemons.map((d) => `--- ${d.name}\n${d.out.join('').slice(-4000)}`).join('\n'),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * The device dictionary of a virtual board (hv-core/boardvm) as an `acrn-board` LAVA device: the
 * worker runs acrn-nest as `acrnNest` (e.g. `node dist/cli.js`).
 */
export function virtualBoardDictionary(o: { acrnNest: string; targetFile: string; dir: string; sshPort: number }): string {
  // For a job that does not power-cycle the board after the flasher (its deploy rebooted and
  // verified it already): the console's getty, restarted, prints the login prompt LAVA waits for.
  const ssh = `ssh -o BatchMode=yes -o UserKnownHostsFile=${o.dir}/known_hosts -i ${o.dir}/id_ed25519 -p ${o.sshPort} acrn@127.0.0.1 sudo systemctl restart serial-getty@hvc0.service`;
  return [
    "{% extends 'acrn-board.jinja2' %}",
    `{% set pre_os_command = '${ssh}' %}`,
    `{% set acrn_nest = '${o.acrnNest}' %}`,
    `{% set acrn_target_file = '${o.targetFile}' %}`,
    `{% set acrn_board_vm_dir = '${o.dir}' %}`,
    // Reboots under TCG on a loaded 2-core machine take minutes (measured: over 5).
    "{% set acrn_deploy_args = '--timeout 900' %}",
    "{% set acrn_power_cycle_args = '--timeout 900' %}",
    // The Xen stand-in is not ACRN: doctor's ACRN, VMX and KVM checks cannot pass under TCG, so
    // on the virtual board the board's own status stands in for doctor.
    `{% set user_commands = {'acrn_doctor': {'do': acrn_nest ~ ' board-vm status --dir ${o.dir}'}} %}`,
    '',
  ].join('\n');
}

/** Installs the ACRN board's device type (hv-core/lab/device/acrn-board.jinja2) into the lab. */
export function installAcrnBoardType(repo: string): void {
  copyFileSync(path.join(repo, 'hv-core', 'lab', 'device', 'acrn-board.jinja2'), path.join(DEVICE_TYPES_DIR, 'acrn-board.jinja2'));
  spawnSync('lava-server', ['manage', 'device-types', 'add', 'acrn-board'], { env: ENV });
}
