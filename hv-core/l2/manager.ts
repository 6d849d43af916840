/**
 * L2 guests on the Service VM, over SSH: launch (detached QEMU, recipe command line), list,
 * stop (QMP system_powerdown, then kill after a timeout) and attach (the serial socket through
 * OpenSSH streamlocal forwarding: nothing to install on the board).
 *
 * Each guest has a directory in a per-user run dir, default `~/.acrn-nest/l2/<name>/`, holding
 * `pid`, `serial.sock`, `qmp.sock`, `qemu.log`, `spec.json`. Every remote word is quoted with shq.
 */
import type { Duplex } from 'node:stream';
import { shJoin, shq } from '../ssh-target/quote.js';
import type { RemoteHost } from '../ssh-target/remoteHost.js';
import type { L2Paths, L2Spec } from './qemu.js';
import { L2SpecError, buildQemuArgs, checkName, validateSpec } from './qemu.js';
import { QmpClient } from './qmp.js';

export const DEFAULT_RUN_DIR = '~/.acrn-nest/l2';
/** sun_path is 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH = 107;

export interface L2Guest {
  name: string;
  pid: number | undefined;
  running: boolean;
  paths: L2Paths;
  spec?: L2Spec;
}

export interface StopResult {
  name: string;
  /** How it ended: the guest powered down, it was killed, or it was not running. */
  how: 'powerdown' | 'terminated' | 'killed' | 'not-running';
  pid?: number;
  detail?: string;
}

/** A launch or stop that failed for a reason the user can act on; `step` names where. */
export class L2Error extends Error {
  constructor(
    readonly host: string,
    readonly step: string,
    message: string,
  ) {
    super(`${host}: ${step}: ${message}`);
    this.name = 'L2Error';
  }
}

const RECIPE = 'nvmx_virtualization.rst';
export const NO_KVM_HELP =
  `/dev/kvm is missing, so KVM (the L1 hypervisor) is not available in the Service VM and QEMU cannot run the guest with -enable-kvm -cpu host. ` +
  `Fix: build the Service VM kernel with CONFIG_KVM=y, CONFIG_KVM_INTEL=y and CONFIG_ACRN_GUEST=y (${RECIPE}, "Prepare for Service VM Kernel and rootfs"), ` +
  `and enable nested virtualization in the scenario (${RECIPE}, "Service OS VM configuration"); run \`acrn-nest doctor\` to see which is missing. ` +
  `To run without KVM anyway (slow, for testing only), ask for it explicitly: --accel tcg (setting accel: "tcg").`;

export interface L2ManagerOptions {
  /** Run dir on the Service VM; `~/` is the SSH user's home. Default ~/.acrn-nest/l2. */
  runDir?: string;
  /** How long Stop waits for the guest to power down before killing it (ms). Default 30 s. */
  powerdownTimeoutMs?: number;
}

export class L2Manager {
  private base: string | undefined;

  constructor(
    private readonly host: RemoteHost,
    private readonly opts: L2ManagerOptions = {},
  ) {}

  /** The run dir as an absolute path on the board (`~` resolved once through the connection). */
  async runDir(): Promise<string> {
    if (this.base) return this.base;
    let dir = this.opts.runDir ?? DEFAULT_RUN_DIR;
    if (dir === '~' || dir.startsWith('~/')) {
      const r = await this.host.exec(`printf '%s' "$HOME"`);
      const home = r.stdout;
      if (r.code !== 0 || !home.startsWith('/')) throw new L2Error(this.host.label, 'finding the home directory', r.stderr.trim() || 'HOME is not set');
      dir = home.replace(/\/+$/, '') + dir.slice(1);
    }
    if (!dir.startsWith('/')) throw new L2Error(this.host.label, 'run dir', `must be absolute or start with ~/, not "${dir}"`);
    this.base = dir.replace(/\/+$/, '');
    return this.base;
  }

  async paths(name: string): Promise<L2Paths> {
    checkName(name);
    const dir = `${await this.runDir()}/${name}`;
    return { dir, pidfile: `${dir}/pid`, serial: `${dir}/serial.sock`, qmp: `${dir}/qmp.sock`, log: `${dir}/qemu.log`, spec: `${dir}/spec.json` };
  }

  /**
   * Starts the guest detached. Refuses (before starting anything) when the name is taken by a
   * running guest, when /dev/kvm is missing and accel is not explicitly tcg, when QEMU is absent.
   */
  async launch(spec: L2Spec): Promise<L2Guest> {
    validateSpec(spec);
    const p = await this.paths(spec.name);
    for (const s of [p.serial, p.qmp]) {
      if (Buffer.byteLength(s) > MAX_SOCKET_PATH) throw new L2SpecError('runDir', `the socket path ${s} is ${Buffer.byteLength(s)} bytes; Unix sockets allow ${MAX_SOCKET_PATH}. Use a shorter run dir.`);
    }
    const accel = spec.accel ?? 'kvm';
    const argv = buildQemuArgs(spec, p);
    const qemu = argv[0]!;
    const script = [
      `command -v ${shq(qemu)} >/dev/null 2>&1 || { echo ${shq(`${qemu} is not installed on the Service VM (${RECIPE}, "Prepare for Launch Scripts": apt-get install qemu-system-x86)`)} >&2; exit 91; }`,
      accel === 'kvm' ? `[ -c /dev/kvm ] || exit 90` : ':',
      accel === 'kvm' ? `{ [ -r /dev/kvm ] && [ -w /dev/kvm ]; } || { echo "no permission to use /dev/kvm as $(id -un): add the user to the kvm group" >&2; exit 93; }` : ':',
      ...(spec.disk ? [`[ -r ${shq(spec.disk)} ] || { echo ${shq(`disk image ${spec.disk} not found or not readable`)} >&2; exit 94; }`] : []),
      ...(spec.kernel ? [`[ -r ${shq(spec.kernel)} ] || { echo ${shq(`kernel ${spec.kernel} not found or not readable`)} >&2; exit 94; }`] : []),
      `mkdir -p ${shq(p.dir)} && chmod 700 ${shq(p.dir)} || exit 95`,
      `if [ -s ${shq(p.pidfile)} ] && pid=$(cat ${shq(p.pidfile)}) && kill -0 "$pid" 2>/dev/null; then echo "already running as pid $pid" >&2; exit 92; fi`,
      `rm -f ${shq(p.serial)} ${shq(p.qmp)} ${shq(p.pidfile)}`,
      `printf '%s\\n' ${shq(JSON.stringify(spec))} > ${shq(p.spec)}`,
      `${shJoin(argv)} </dev/null || exit 96`,
      `cat ${shq(p.pidfile)}`,
    ].join('\n');
    const r = await this.host.exec(script);
    const why = r.stderr.trim();
    switch (r.code) {
      case 0:
        break;
      case 90:
        throw new L2Error(this.host.label, 'launch refused', NO_KVM_HELP);
      case 92:
        throw new L2Error(this.host.label, 'launch refused', `an L2 guest named "${spec.name}" is ${why}; stop it first or pick another name`);
      case 91:
      case 93:
      case 94:
        throw new L2Error(this.host.label, 'launch refused', why);
      case 95:
        throw new L2Error(this.host.label, 'creating the run dir', why || `cannot create ${p.dir}`);
      default:
        throw new L2Error(this.host.label, 'starting QEMU', why || `exit status ${String(r.code)}`);
    }
    const pid = Number(r.stdout.trim().split('\n').pop());
    if (!Number.isInteger(pid) || pid <= 0) throw new L2Error(this.host.label, 'starting QEMU', `no pid in ${p.pidfile}`);
    return { name: spec.name, pid, running: true, paths: p, spec };
  }

  /** Every guest with a directory in the run dir, running or not (what is not ours is skipped). */
  async list(): Promise<L2Guest[]> {
    return (await this.scan()).guests;
  }

  /**
   * The run dir's guests, and the entries that are not ours (a name that is not a guest name, a
   * directory with neither pid nor spec.json), each with why: the caller says so, nothing fails.
   */
  async scan(): Promise<{ guests: L2Guest[]; skipped: { name: string; why: string }[] }> {
    const base = await this.runDir();
    const script = [
      `cd ${shq(base)} 2>/dev/null || exit 0`,
      'for d in */; do',
      '  [ -d "$d" ] || continue',
      '  n=${d%/}',
      '  ours=no; { [ -e "$n/pid" ] || [ -e "$n/spec.json" ]; } && ours=yes',
      '  pid=$(cat "$n/pid" 2>/dev/null) || pid=',
      '  st=stopped',
      '  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && case "$(cat /proc/$pid/comm 2>/dev/null)" in qemu*) true;; *) false;; esac; then st=running; fi',
      `  spec=$(head -c 4096 "$n/spec.json" 2>/dev/null | tr -d '\\n\\t') || spec=`,
      `  printf '%s\\t%s\\t%s\\t%s\\t%s\\n' "$(printf '%s' "$n" | tr '\\t\\n' '  ')" "$ours" "$pid" "$st" "$spec"`,
      'done',
    ].join('\n');
    const r = await this.host.exec(script);
    if (r.code !== 0) throw new L2Error(this.host.label, 'listing L2 guests', r.stderr.trim() || `exit status ${String(r.code)}`);
    const guests: L2Guest[] = [];
    const skipped: { name: string; why: string }[] = [];
    for (const line of r.stdout.split('\n')) {
      if (!line) continue;
      const [name = '', ours = '', pidText = '', state = '', specText = ''] = line.split('\t');
      if (!name) continue;
      try {
        checkName(name);
      } catch {
        skipped.push({ name, why: `not an acrn-nest guest name (${base}/${name})` });
        continue;
      }
      if (ours !== 'yes') {
        skipped.push({ name, why: `no pid or spec.json: not an acrn-nest guest (${base}/${name})` });
        continue;
      }
      const pid = pidText ? Number(pidText) : undefined;
      const g: L2Guest = { name, pid: pid && Number.isInteger(pid) ? pid : undefined, running: state === 'running', paths: await this.paths(name) };
      try {
        if (specText) g.spec = JSON.parse(specText) as L2Spec;
      } catch {
        // an unreadable spec is not a reason to hide the guest
      }
      guests.push(g);
    }
    return { guests, skipped };
  }

  async get(name: string): Promise<L2Guest | undefined> {
    checkName(name);
    return (await this.list()).find((g) => g.name === name);
  }

  /** Opens the guest's serial console (a duplex stream) through the SSH connection. */
  async attach(name: string): Promise<Duplex> {
    const p = await this.paths(name);
    try {
      return await this.host.openUnixSocket(p.serial);
    } catch (e) {
      const g = await this.get(name).catch(() => undefined);
      if (!g) throw new L2Error(this.host.label, `attaching to L2 guest "${name}"`, `no such guest in ${await this.runDir()}`);
      if (!g.running) throw new L2Error(this.host.label, `attaching to L2 guest "${name}"`, 'the guest is not running');
      throw new L2Error(this.host.label, `attaching to L2 guest "${name}"`, `cannot open ${p.serial} through SSH streamlocal forwarding: ${(e as Error).message} (does sshd allow AllowStreamLocalForwarding?)`);
    }
  }

  /** Opens a QMP session to the guest (after the handshake). */
  async qmp(name: string): Promise<QmpClient> {
    const p = await this.paths(name);
    const stream = await this.host.openUnixSocket(p.qmp);
    const c = new QmpClient(stream);
    await c.handshake();
    return c;
  }

  /**
   * One remote script: wait up to `waitMs` for the process to exit (coreutils' `tail --pid`, bounded
   * by `timeout`), then SIGTERM and wait 5 s, then SIGKILL and wait 5 s; remove the pidfile and the
   * sockets. Prints how it ended: exited | terminated | killed | survived.
   */
  private async waitOrKill(pid: number, waitMs: number, p: L2Paths): Promise<'exited' | 'terminated' | 'killed' | 'survived'> {
    const secs = Math.max(1, Math.ceil(waitMs / 1000));
    const gone = `! kill -0 ${pid} 2>/dev/null`;
    const wait = (s: number): string => `timeout ${s} tail --pid=${pid} -s 0.1 -f /dev/null >/dev/null 2>&1 </dev/null`;
    const script = [
      `how=survived`,
      `if ${wait(secs)}; ${gone}; then how=exited`,
      `else kill -TERM ${pid} 2>/dev/null; if ${wait(5)}; ${gone}; then how=terminated`,
      `else kill -KILL ${pid} 2>/dev/null; if ${wait(5)}; ${gone}; then how=killed; fi; fi; fi`,
      `[ "$how" = survived ] || rm -f ${shq(p.pidfile)} ${shq(p.serial)} ${shq(p.qmp)}`,
      `echo "$how"`,
    ].join('\n');
    const r = await this.host.exec(script);
    const how = r.stdout.trim().split('\n').pop();
    if (how === 'exited' || how === 'terminated' || how === 'killed' || how === 'survived') return how;
    throw new L2Error(this.host.label, 'stopping QEMU', r.stderr.trim() || `unexpected answer ${JSON.stringify(r.stdout)}`);
  }

  /** Asks the guest to power down (QMP system_powerdown); kills it after the timeout. */
  async stop(name: string, timeoutMs = this.opts.powerdownTimeoutMs ?? 30_000): Promise<StopResult> {
    const g = await this.get(name);
    if (!g) throw new L2Error(this.host.label, `stopping L2 guest "${name}"`, `no such guest in ${await this.runDir()}`);
    if (!g.running || !g.pid) {
      await this.cleanup(g.paths);
      return { name, how: 'not-running' };
    }
    const pid = g.pid;
    let detail: string | undefined;
    try {
      const q = await this.qmp(name);
      try {
        await q.execute('system_powerdown');
      } finally {
        q.close();
      }
    } catch (e) {
      detail = `QMP system_powerdown failed: ${(e as Error).message}`;
    }
    const ended = await this.waitOrKill(pid, detail ? 0 : timeoutMs, g.paths);
    if (ended === 'survived') throw new L2Error(this.host.label, `stopping L2 guest "${name}"`, `pid ${pid} survived SIGKILL`);
    const res: StopResult = { name, how: ended === 'exited' ? 'powerdown' : ended, pid };
    if (detail) res.detail = detail;
    return res;
  }

  private async cleanup(p: L2Paths): Promise<void> {
    await this.host.exec(`rm -f ${shq(p.pidfile)} ${shq(p.serial)} ${shq(p.qmp)}`);
  }
}
