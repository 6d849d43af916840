/**
 * The safe deploy: five explicit steps, each reported through `onEvent`, that never leave the board
 * unbootable.
 *
 *  1 check   the image is multiboot2; connect; take the deploy lock; free space in bootDir; GRUB
 *            commands present; the Service VM kernel exists and its module tag equals the scenario's
 *            os_config/kern_mod; what a plain reboot boots today (grub.cfg + grubenv, as GRUB reads
 *            them) and that no entry but ours boots the image path; removes stale temp files.
 *  2 upload  keeps the previous image as `<image>.prev` (unless that copy is the known-good default);
 *            uploads to `.<image>.acrn-nest.tmp` in bootDir; verifies sha256 ON the board.
 *  3 grub    where GRUB_DEFAULT is not `saved`: pins saved_entry to today's default and adds
 *            DEFAULT_DROPIN (GRUB_DEFAULT=saved), so grub-set-default can later make a verified
 *            image the default; writes our own script (41_acrn_nest: entries acrn-nest and
 *            acrn-nest-prev) atomically, mode 0755; update-grub; reads grub.cfg back and checks a
 *            plain reboot still boots today's default; if that was acrn-nest, it moves to
 *            acrn-nest-prev (the image about to be replaced); only then renames the new image in.
 *  4 reboot  grub-reboot acrn-nest (one shot: a power cycle after a hang boots the old default);
 *            reboot; waits for SSH to drop and come back (bounded, polling backoff, progress).
 *  5 verify  a new boot id, the hypervisor probe (/dev/acrn_hsm) and the NEW image's tokens in the
 *            Service VM's /proc/cmdline (see grub.ts bootTokens: only our entry's image puts them
 *            there); then grub-set-default acrn-nest, read back from grub.cfg + grubenv.
 *
 * Invariant: the saved default entry always boots an image that booted before; a partial file only
 * ever exists under a temporary name, which is removed on failure (reconnecting once if needed).
 *
 * One deploy at a time per board: step 1 takes DEPLOY_LOCK on the board with util-linux `flock`,
 * held by a shell that reads a heartbeat byte from an SSH channel every LOCK_BEAT_MS: it ends (and
 * the lock is free) when the deploy ends the channel, or when no byte came for the silence limit
 * (default 60 s). A cut cable leaves the board's sshd holding the dead session for up to two hours
 * (no ClientAlive, TCP keepalive 2 h: measured on the virtual board), so the channel alone would
 * not free the lock; the heartbeat does. A second deploy waits for the lock up to lockWaitMs
 * (default: the silence limit and a margin, so a deploy run again after a cut cable goes ahead),
 * then stops at step 1 without touching anything. The lock is taken again after the reboot, and
 * before a fresh connection removes temp files; a lock lost on the way stops the deploy before
 * its next write.
 * A lock that cannot be taken (no flock, permission denied) is an error: the deploy stops at step 1.
 * With sudo, flock runs as root, so the lock file is root's and every user's deploy can open it
 * (fs.protected_regular refuses to open another user's file in the sticky /run/lock).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import nodePath from 'node:path';
import type { ConnectOptions, ExecOptions, ExecResult } from '../ssh-target/connection.js';
import { AbortedError, ChangedHostKeyError, ConnectionLostError, SshConnection, UnknownHostKeyError } from '../ssh-target/connection.js';
import type { ResolvedTarget } from '../ssh-target/target.js';
import { TARGET_DEFAULTS, remoteJoin } from '../ssh-target/target.js';
import { describeTarget } from '../ssh-target/resolve.js';
import type { GrubEntry, GrubModule } from './grub.js';
import { BOOTED_VAR, DEFAULT_DROPIN, ENTRY_ID, ENTRY_PREV_ID, TOKEN_ENTRY, TOKEN_IMAGE, bootTokens, defaultCmdline, defaultDropin, grubScript, multiboot2Header } from './grub.js';
import type { DefaultBoot, GrubMenu } from './grubcfg.js';
import { defaultBoot, entryLoads, entryRef, grubAcrnWouldList, parseGrubCfg, parseGrubEnv } from './grubcfg.js';
import type { ScenarioInfo } from './scenario-info.js';
import { defaultAcpiDir, scenarioInfo } from './scenario-info.js';
import { loadFile } from '../files.js';
import type { HeldLock } from './lock.js';
import { DEPLOY_LOCK, LOCK_SILENCE_MS, lockBusyMessage, lockUnavailableMessage, takeLock } from './lock.js';

export { DEPLOY_LOCK, LOCK_BEAT_MS, LOCK_HELD_MARK, LOCK_SCRIPT, LOCK_SILENCE_MS } from './lock.js';

export type DeployStepName = 'check' | 'upload' | 'grub' | 'reboot' | 'verify';

export const DEPLOY_STEPS: readonly { name: DeployStepName; index: number; title: string }[] = [
  { name: 'check', index: 1, title: 'Connect and check the target' },
  { name: 'upload', index: 2, title: 'Upload and verify the image' },
  { name: 'grub', index: 3, title: 'Write the GRUB entry and install the image' },
  { name: 'reboot', index: 4, title: 'Boot the new entry once and reboot' },
  { name: 'verify', index: 5, title: 'Verify ACRN is running and make the entry the default' },
];

export interface DeployEvent {
  step: DeployStepName;
  /** 1..5 */
  index: number;
  title: string;
  status: 'running' | 'progress' | 'done' | 'skipped' | 'failed';
  message: string;
  /** 0..1 within the step, when known (upload bytes, reboot wait). */
  progress?: number;
}

export interface DeployOptions {
  target: ResolvedTarget;
  /** Local path of acrn.bin. */
  image: string;
  /** Local scenario XML: checks the kernel tag, adds pre-launched VMs' modules (v3 ACPI). */
  scenario?: string;
  /** Local folder with ACPI_VM<n>.bin (v3 pre-launched VMs); default `<image dir>/acpi` if present. */
  acpiDir?: string;
  /** Stop after grub-reboot (step 4): the next reboot, whenever the user does it, tries the entry once. */
  noReboot?: boolean;
  /** Host keys, sudo password, agent, log (see ConnectOptions). */
  connect?: ConnectOptions;
  signal?: AbortSignal;
  /** Total wait for the board to go down and come back; default 300 s. */
  rebootTimeoutMs?: number;
  /** Per remote command; default 120 s (update-grub can be slow). */
  commandTimeoutMs?: number;
  /** How long the board keeps our lock without a heartbeat (a cut cable); default 60 s. */
  lockSilenceMs?: number;
  /** How long step 1 waits for another deploy's lock; default lockSilenceMs + 15 s; 0: refuse at once. */
  lockWaitMs?: number;
  onEvent?: (e: DeployEvent) => void;
}

export interface DeployResult {
  target: string;
  entryId: string;
  imagePath: string;
  sha256: string;
  previousImage: string | undefined;
  grubScript: string;
  rebooted: boolean;
  bootIdBefore: string;
  bootIdAfter: string | undefined;
  /** True when grub-set-default made the entry the default (after verification). */
  defaultSet: boolean;
}

/** A failed deploy: names the step and the host; the board still boots what it booted before. */
export class DeployError extends Error {
  constructor(
    readonly step: DeployStepName,
    readonly host: string,
    readonly reason: string,
    override readonly cause?: unknown,
  ) {
    const s = DEPLOY_STEPS.find((x) => x.name === step)!;
    super(`deploy failed at step ${s.index} (${step}: ${s.title.toLowerCase()}) on ${host}: ${reason}`);
    this.name = 'DeployError';
  }
}

const MARGIN = 1024 * 1024;
const GRUB_ENV = '/boot/grub/grubenv';
/** ACRN's grub-acrn package's script (lists every /boot/acrn*.bin, and acrn.cfg makes it the default). */
const GRUB_ACRN_SCRIPT = '/etc/grub.d/25_linux_acrn';

/** An entry's identity for comparisons: id, else title. */
function entryKey(d: DefaultBoot | undefined): string | undefined {
  return d?.entry ? (d.entry.id ?? d.entry.title) : undefined;
}

function describeDefault(d: DefaultBoot | undefined): string {
  const e = d?.entry;
  if (!e) return '(no entry)';
  return `${e.title}${e.id ? ` [${e.id}]` : ''}`;
}
const PROBES = 5;
const SBIN_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Path relative to its mount point, as GRUB sees it once `search` set root to that partition. */
export function grubPathFor(file: string, mountPoint: string): string {
  if (mountPoint === '/' || !mountPoint) return file;
  const rel = nodePath.posix.relative(mountPoint, file);
  return rel.startsWith('..') ? file : '/' + rel;
}

interface DfRow {
  availBytes: number;
  mount: string;
}

function parseDf(out: string): DfRow[] {
  const rows: DfRow[] = [];
  for (const line of out.split('\n').slice(1)) {
    const m = /^(.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+%|-)\s+(\/.*)$/.exec(line.trim());
    if (m) rows.push({ availBytes: Number(m[4]) * 1024, mount: m[6]! });
  }
  return rows;
}

async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new AbortedError('deploy'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs async tasks with at most `limit` in flight; results in task order; first failure rejects. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}

/**
 * Runs the five steps, each a method of DeployRun below that takes what the steps before it
 * learnt. Throws DeployError (step + host) on any failure; the board then boots what it booted
 * before.
 */
export async function deploy(o: DeployOptions): Promise<DeployResult> {
  const d = new DeployRun(o);
  try {
    const checked = await d.check();
    const uploaded = await d.upload(checked);
    await d.grub(checked, uploaded);
    if (!(await d.reboot(checked))) return d.result(checked, uploaded, undefined);
    return d.result(checked, uploaded, await d.verify(checked));
  } catch (e) {
    throw await d.failed(e);
  } finally {
    await d.close();
  }
}

/** The image, scenario and ACPI tables, read before the board is touched. */
interface LocalInputs {
  image: Buffer;
  sha: string;
  info: ScenarioInfo | undefined;
  scenarioBytes: Buffer | undefined;
  /** ACPI_VM<n>.bin of pre-launched VMs found locally, by file name. */
  acpiLocal: Map<string, Buffer>;
}

function readLocalInputs(o: DeployOptions, host: string): LocalInputs {
  let image: Buffer;
  try {
    image = readFileSync(o.image);
  } catch (e) {
    throw new DeployError('check', host, `cannot read the image ${o.image}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, e);
  }
  if (image.length === 0) throw new DeployError('check', host, `the image ${o.image} is empty`);
  if (!multiboot2Header(image)) {
    throw new DeployError('check', host, `${o.image} is not a multiboot2 image (no multiboot2 header in its first 32 KiB), so GRUB could not boot it. Deploy the hypervisor's build output build/hypervisor/acrn.bin (not acrn.32.out, a scenario or a board file)`);
  }
  let info: ScenarioInfo | undefined;
  let scenarioBytes: Buffer | undefined;
  if (o.scenario) {
    try {
      const loaded = loadFile(o.scenario);
      info = scenarioInfo(loaded.text, o.scenario);
      scenarioBytes = readFileSync(loaded.path);
    } catch (e) {
      throw new DeployError('check', host, (e as Error).message, e);
    }
  }
  const acpiLocal = new Map<string, Buffer>();
  if (info?.acpiModules.length) {
    const dir = o.acpiDir ?? defaultAcpiDir(o.image);
    for (const m of info.acpiModules) {
      try {
        acpiLocal.set(m.file, readFileSync(nodePath.join(dir, m.file)));
      } catch {
        if (o.acpiDir) throw new DeployError('check', host, `${m.file} (ACPI tables of pre-launched VM ${m.vm}) not found in ${o.acpiDir}`);
      }
    }
  }
  return { image, sha: sha256Hex(image), info, scenarioBytes, acpiLocal };
}

/** The paths on the board a deploy writes: the installed names and their temp names. */
interface RemotePaths {
  bootDir: string;
  realImage: string;
  prevImage: string;
  tmpImage: string;
  tmpPrev: string;
  scenarioCopy: string;
  tmpScenario: string;
  grubFile: string;
  tmpGrub: string;
  acpiTmp(file: string): string;
  /** Every temp name (removed at the start and after a failure). */
  temps: string[];
}

function remotePaths(t: ResolvedTarget, info: ScenarioInfo | undefined): RemotePaths {
  const B = t.bootDir;
  const realImage = remoteJoin(B, t.imageName);
  const acpiTmp = (f: string): string => remoteJoin(B, `.${f}.acrn-nest.tmp`);
  const p = {
    bootDir: B,
    realImage,
    prevImage: `${realImage}.prev`,
    tmpImage: remoteJoin(B, `.${t.imageName}.acrn-nest.tmp`),
    tmpPrev: remoteJoin(B, `.${t.imageName}.prev.acrn-nest.tmp`),
    scenarioCopy: `${realImage}.scenario.xml`,
    tmpScenario: remoteJoin(B, `.${t.imageName}.scenario.xml.acrn-nest.tmp`),
    grubFile: remoteJoin(t.grubScriptDir, t.grubScriptName),
    tmpGrub: remoteJoin(t.grubScriptDir, `.${t.grubScriptName}.acrn-nest.tmp`),
    acpiTmp,
  };
  return { ...p, temps: [p.tmpImage, p.tmpPrev, p.tmpScenario, p.tmpGrub, ...(info?.acpiModules ?? []).map((m) => acpiTmp(m.file))] };
}

/** What step 1 learnt about the board; the later steps act on it. */
interface Checked {
  kernel: string;
  /** The Service VM kernel's module tag. */
  tag: string;
  /** The Service VM's command line for the entry (the target's, else the running kernel's, cleaned). */
  cmdline: string | undefined;
  /** Other modules of the entry (pre-launched VMs' kernels, the target's own). */
  extraModules: { path: string; tag: string }[];
  acpiRemote: { path: string; tag: string; file: string }[];
  /** df rows of bootDir and of the kernel's folder. */
  df: DfRow[];
  bootDf: DfRow;
  bootIdBefore: string;
  /** An image is installed already. */
  prevExists: boolean;
  /** A .prev copy is on the board already. */
  prevOnBoard: boolean;
  editenvOk: boolean;
  /** GRUB's record of the last entry it started (BOOTED_VAR) is in grubenv: step 4 clears it. */
  bootedVarSet: boolean;
  menuBefore: GrubMenu;
  defBefore: DefaultBoot;
  /** The saved default's id or title. */
  saved: string | undefined;
  /** GRUB_DEFAULT is not "saved": acrn-nest adds its drop-in (target "grubDefault": "manage"). */
  manageDefault: boolean;
}

interface Uploaded {
  /** A .prev image (and its entry) exists once step 3 is done. */
  prevAvailable: boolean;
  script: string;
}

/** One deploy: its connection, lock and cleanup duties, and the five steps as methods. */
class DeployRun {
  private readonly t: ResolvedTarget;
  private readonly host: string;
  private readonly signal: AbortSignal | undefined;
  private readonly connectOpts: ConnectOptions;
  private readonly cmdTimeout: number;
  private readonly silenceS: number;
  private readonly lockWaitS: number;
  private readonly local: LocalInputs;
  private readonly paths: RemotePaths;
  private conn: SshConnection | undefined;
  /** The lock channel while we hold DEPLOY_LOCK; 'none' until taken (nothing to clean up then). */
  private lock: HeldLock | 'none' | 'unavailable' = 'none';
  private step: DeployStepName = 'check';
  private staging: string | undefined;
  private stagingMade: Promise<string> | undefined;

  constructor(private readonly o: DeployOptions) {
    this.t = o.target;
    this.host = describeTarget(o.target);
    this.signal = o.signal ?? o.connect?.signal;
    this.connectOpts = { ...o.connect };
    if (this.signal) this.connectOpts.signal = this.signal;
    this.cmdTimeout = o.commandTimeoutMs ?? 120_000;
    this.silenceS = Math.max(1, Math.round((o.lockSilenceMs ?? LOCK_SILENCE_MS) / 1000));
    this.lockWaitS = Math.max(0, Math.round((o.lockWaitMs ?? this.silenceS * 1000 + 15_000) / 1000));
    // Local inputs first: a missing image or a broken scenario fails before touching the board.
    this.local = readLocalInputs(o, this.host);
    this.paths = remotePaths(this.t, this.local.info);
  }

  private emit(step: DeployStepName, status: DeployEvent['status'], message: string, progress?: number): void {
    const s = DEPLOY_STEPS.find((x) => x.name === step)!;
    const e: DeployEvent = { step, index: s.index, title: s.title, status, message };
    if (progress !== undefined) e.progress = progress;
    this.o.onEvent?.(e);
  }

  private fail(reason: string, cause?: unknown): never {
    throw new DeployError(this.step, this.host, reason, cause);
  }

  private run(argv: string[], extra: ExecOptions = {}): Promise<{ stdout: string; stderr: string }> {
    return this.conn!.run(argv, { sudo: true, timeoutMs: this.cmdTimeout, ...(this.signal ? { signal: this.signal } : {}), ...extra });
  }

  private exec(argv: string[], extra: ExecOptions = {}): Promise<ExecResult> {
    return this.conn!.exec(argv, { sudo: true, timeoutMs: this.cmdTimeout, ...(this.signal ? { signal: this.signal } : {}), ...extra });
  }

  /** Before each writing step: the board still holds our lock (it lets go after lockSilenceMs without a heartbeat). */
  private stillLocked(): void {
    if (typeof this.lock === 'object' && this.lock.lost()) this.fail(`the deploy lock ${DEPLOY_LOCK} on ${this.host} was let go (its channel closed: no heartbeat reached the board for ${this.silenceS} s); stopped before changing anything more`);
  }

  /** Puts bytes at a path the login user may not be able to write (sudo: via a staging folder). */
  private async putFile(data: Buffer, remote: string, mode: number, onProgress?: (sent: number, total: number) => void): Promise<void> {
    const up = { mode, ...(onProgress ? { onProgress } : {}), ...(this.signal ? { signal: this.signal } : {}) };
    if (!this.t.sudo) {
      await this.conn!.upload(data, remote, up);
      return;
    }
    // One staging folder for the deploy, also when two files go up side by side.
    this.stagingMade ??= this.run(['mktemp', '-d', '/tmp/acrn-nest.XXXXXXXX'], { sudo: false }).then((r) => (this.staging = r.stdout.trim()));
    const st = `${await this.stagingMade}/${nodePath.posix.basename(remote)}`;
    await this.conn!.upload(data, st, up);
    await this.run(['cp', '--', st, remote]);
    await this.run(['chmod', mode.toString(8), '--', remote]);
    await this.run(['rm', '-f', '--', st], { sudo: false });
  }

  /** `mv -f FROM TO`: an SFTP rename (no process started) where the login user owns the files, else mv through sudo. */
  private async move(from: string, to: string): Promise<void> {
    if (!this.t.sudo && (await this.conn!.rename(from, to))) return;
    await this.run(['mv', '-f', '--', from, to]);
  }

  private async verifySha(remote: string, expect: string, what: string): Promise<void> {
    const r = await this.run(['sha256sum', '--', remote]);
    const got = r.stdout.trim().split(/\s+/)[0]?.replace(/^\\/, '');
    if (got !== expect) this.fail(`${what} arrived damaged: sha256 on the board is ${got ?? '?'}, expected ${expect}`);
  }

  /** grub.cfg + grubenv as GRUB reads them now. */
  private async readDefault(): Promise<DefaultBoot> {
    const [cfg, env] = await Promise.all([this.run(['cat', '--', this.t.grubCfg]), this.run([...this.t.commands.grubEditenv, 'list'])]);
    return defaultBoot(parseGrubCfg(cfg.stdout), parseGrubEnv(env.stdout));
  }

  /** Step 1: connect, take the lock, and read everything the later steps decide on. Writes nothing but mkdir of bootDir. */
  async check(): Promise<Checked> {
    const { t, host, local, paths: P } = this;
    const { info, acpiLocal } = local;
    this.step = 'check';
    this.emit('check', 'running', `connecting to ${host}`);
    const conn = (this.conn = await SshConnection.connect(t, this.connectOpts));
    this.emit('check', 'progress', `connected to ${host}`, 0.2);
    // The lock is taken side by side with the read-only probes below; nothing is written before
    // it is held.
    let lockWaited = false;
    const locking = takeLock(conn, this.cmdTimeout, {
      sudo: t.sudo,
      waitS: this.lockWaitS,
      silenceS: this.silenceS,
      onWaiting: () => {
        lockWaited = true;
        this.emit('check', 'progress', `another deploy holds ${DEPLOY_LOCK} on ${host}; waiting up to ${this.lockWaitS} s (a deploy whose connection dropped lets it go within ${this.silenceS} s)`, 0.3);
      },
    });
    locking.catch(() => undefined);
    const lockNow = async (): Promise<HeldLock | 'unavailable'> => {
      const l = await locking;
      if ('busy' in l) this.fail(lockBusyMessage(host, this.lockWaitS));
      if ('held' in l) return l.held;
      return this.fail(lockUnavailableMessage(host, 'unavailable' in l ? l.unavailable : ''));
    };
    // Read-only probes start at once, side by side with mkdir and the lock (at most PROBES channels,
    // plus the lock's, `which`, and the two that need the lock, below sshd's default MaxSessions
    // 10); their results are judged in a fixed order. What they read is only trusted if the lock
    // came without waiting: after another deploy held it, they run again.
    const kernel = t.kernel;
    const tag = t.kernelTag ?? info?.serviceKernMod ?? 'Linux_bzImage';
    if (info && info.serviceKernMod && t.kernelTag && t.kernelTag !== info.serviceKernMod) {
      this.fail(`the target's kernel tag "${t.kernelTag}" differs from the scenario's os_config/kern_mod "${info.serviceKernMod}": ACRN would not find the Service VM kernel`);
    }
    if (info && !info.serviceKernMod && info.vms.some((v) => v.kind === 'service')) this.fail(`the scenario's Service VM has no os_config/kern_mod: ACRN cannot find its kernel`);
    const extraModules: { path: string; tag: string }[] = [];
    for (const vm of info?.vms.filter((v) => v.kind === 'pre' && v.kernMod) ?? []) {
      const m = t.modules.find((x) => x.tag === vm.kernMod);
      if (!m) this.fail(`pre-launched VM ${vm.id} (${vm.name}) boots module "${vm.kernMod}", but the target has no "modules" entry with that tag`);
      else extraModules.push(m);
    }
    for (const m of t.modules) if (!extraModules.includes(m)) extraModules.push(m);
    const acpiRemote: { path: string; tag: string; file: string }[] = (info?.acpiModules ?? []).map((m) => ({ path: remoteJoin(P.bootDir, m.file), tag: m.tag, file: m.file }));
    const grubTools = (['updateGrub', 'grubReboot', 'grubSetDefault'] as const).map((name) => ({ name, prog: t.commands[name][0]! }));
    const byName = grubTools.filter((g) => !g.prog.startsWith('/'));
    const probeAll = (): Promise<(ExecResult | undefined)[]> =>
      pool<ExecResult | undefined>(
        [
          () => this.exec(['test', '-f', kernel]),
          () => this.exec(['stat', '-c', '%s', '--', P.realImage]),
          () => this.run(['cat', '/proc/sys/kernel/random/boot_id'], { sudo: false }).then((r): ExecResult => ({ code: 0, signal: null, ...r })),
          () => (t.cmdline !== undefined ? Promise.resolve(undefined) : this.exec(['cat', '/proc/cmdline'], { sudo: false })),
          () => this.exec([...t.commands.grubEditenv, 'list']),
          () => this.exec(['test', '-f', P.prevImage]),
          () => this.exec(['cat', '--', t.grubCfg]),
          ...grubTools.map((g) => () => (g.prog.startsWith('/') ? this.exec(['test', '-x', g.prog], { sudo: false }) : Promise.resolve(undefined))),
          ...extraModules.map((m) => () => this.exec(['test', '-f', m.path])),
          ...acpiRemote.map((a) => () => (acpiLocal.has(a.file) ? Promise.resolve(undefined) : this.exec(['test', '-f', a.path]))),
          // Tools named by path are tested one by one; the others with one `which` (it prints the
          // ones it finds, one a line).
          () => (byName.length ? this.exec(['env', SBIN_PATH, 'which', ...byName.map((g) => g.prog)], { sudo: false }) : Promise.resolve(undefined)),
        ],
        PROBES,
      );
    let early = probeAll();
    early.catch(() => undefined);
    // bootDir must exist for df (creating it is harmless to another deploy), and the lock must be
    // held before a temp file is removed.
    const [, held] = await Promise.all([this.run(['mkdir', '-p', '--', P.bootDir]), lockNow()]);
    this.lock = held;
    if (lockWaited) early = early.catch(() => undefined).then(probeAll);
    const [probes, , dfOut] = await Promise.all([early, this.run(['rm', '-f', '--', ...P.temps]), this.run(['df', '-P', '-k', '--', P.bootDir, kernel])]);
    const [k, imgStat, bootIdOut, cmdlineOut, ge, prevProbe, cfgOut] = probes as [ExecResult, ExecResult, ExecResult, ExecResult | undefined, ExecResult, ExecResult, ExecResult];
    const FIXED = 7;
    const toolResults = probes.slice(FIXED, FIXED + grubTools.length);
    const found = new Set((probes[probes.length - 1]?.stdout ?? '').split('\n').map((l) => nodePath.posix.basename(l.trim())));
    const moduleResults = probes.slice(FIXED + grubTools.length, FIXED + grubTools.length + extraModules.length) as ExecResult[];
    const acpiResults = probes.slice(FIXED + grubTools.length + extraModules.length, probes.length - 1);
    if (k.code !== 0) this.fail(`the Service VM kernel ${kernel} does not exist on the board (set "kernel" in the target)`);
    extraModules.forEach((m, i) => moduleResults[i]!.code !== 0 && this.fail(`module ${m.tag}: ${m.path} does not exist on the board`));
    acpiRemote.forEach((a, i) => acpiResults[i] && acpiResults[i]!.code !== 0 && this.fail(`${a.file} (ACPI tables of a pre-launched VM) is neither in the local build output nor on the board at ${a.path}`));
    grubTools.forEach((g, i) => (toolResults[i] ? toolResults[i]!.code !== 0 : !found.has(g.prog)) && this.fail(`GRUB is not set up on the board: ${g.prog} (${g.name}) not found. acrn-nest needs GRUB 2 with update-grub and grub-reboot (Ubuntu: apt install grub2-common), or set "commands" in the target`));
    const prevExists = imgStat.code === 0;
    const existingSize = prevExists ? Number(imgStat.stdout.trim()) || 0 : 0;
    const df = parseDf(dfOut.stdout);
    const bootDf = df[0] ?? this.fail(`cannot read free space of ${P.bootDir} (df -P gave nothing)`);
    const need = local.image.length + existingSize + [...acpiLocal.values()].reduce((a, b) => a + b.length, 0) + MARGIN;
    if (bootDf.availBytes < need) this.fail(`not enough space in ${P.bootDir}: ${Math.floor(bootDf.availBytes / 1024)} KiB free, ${Math.ceil(need / 1024)} KiB needed (new image + previous copy + 1 MiB)`);
    const cmdline = t.cmdline ?? defaultCmdline(cmdlineOut?.stdout ?? '');
    let envText: string | undefined;
    let editenvOk = false;
    let bootedVarSet = false;
    if (ge.code === 0) {
      editenvOk = true;
      envText = ge.stdout;
      bootedVarSet = parseGrubEnv(ge.stdout).has(BOOTED_VAR);
    } else {
      const env = await this.exec(['cat', GRUB_ENV]);
      if (env.code === 0) envText = env.stdout;
    }
    // What a plain reboot boots today, as GRUB decides it.
    if (cfgOut.code !== 0) this.fail(`cannot read ${t.grubCfg} (${cfgOut.stderr.trim() || `exit ${cfgOut.code}`}): acrn-nest must know what the board boots before it changes anything. Run update-grub on the board, or check that GRUB 2 is its boot loader`);
    const menuBefore = parseGrubCfg(cfgOut.stdout);
    const savedMode = menuBefore.defaultExpr === '${saved_entry}';
    if (envText === undefined && (savedMode || prevExists)) {
      this.fail(`GRUB's saved default cannot be read (${t.commands.grubEditenv.join(' ')} list: ${ge.stderr.trim() || `exit ${ge.code}`}; ${GRUB_ENV} unreadable too). acrn-nest will not replace ${P.realImage} without knowing whether the default entry boots it. Fix: create the environment block on the board (sudo grub-editenv ${GRUB_ENV} create)`);
    }
    const defBefore = defaultBoot(menuBefore, parseGrubEnv(envText ?? ''));
    const gp = grubPathFor(P.realImage, bootDf.mount);
    const gpPrev = grubPathFor(P.prevImage, bootDf.mount);
    const others = menuBefore.entries.filter((e) => e.id !== ENTRY_ID && e.id !== ENTRY_PREV_ID && !e.submenu);
    const clash = others.find((e) => entryLoads(e, P.realImage, gp) || entryLoads(e, P.prevImage, gpPrev));
    if (clash) {
      this.fail(`the GRUB entry "${clash.title}"${clash === defBefore.entry ? ' (what the board boots by default)' : ''} boots ${entryLoads(clash, P.realImage, gp) ? P.realImage : P.prevImage}, the path this deploy writes: it would boot an image that was never verified. Set "bootDir" or "imageName" in the target to a path no other entry uses (default ${TARGET_DEFAULTS.bootDir}/${TARGET_DEFAULTS.imageName})`);
    }
    // grub-mkconfig marks each script's part of grub.cfg: "### BEGIN /etc/grub.d/25_linux_acrn ###".
    const grubAcrn = cfgOut.stdout.includes(`### BEGIN ${GRUB_ACRN_SCRIPT} ###`);
    if (grubAcrn && (grubAcrnWouldList(P.realImage) || grubAcrnWouldList(P.prevImage))) {
      this.fail(`ACRN's grub-acrn package (${GRUB_ACRN_SCRIPT}) makes its own entry, often the default, for every /boot/acrn*.bin: ${P.realImage} would be booted by it before it was verified. Set "bootDir" in the target to a folder of its own (default ${TARGET_DEFAULTS.bootDir})`);
    }
    let manageDefault = false;
    if (!savedMode) {
      if (t.grubDefault === 'keep') {
        this.fail(`GRUB_DEFAULT is ${JSON.stringify(menuBefore.defaultExpr ?? '0')}, not "saved": grub-set-default cannot make a verified image what a plain reboot boots, and the target says "grubDefault": "keep". Fix: set GRUB_DEFAULT=saved in /etc/default/grub on the board and run update-grub, or set "grubDefault": "manage" in the target (acrn-nest then adds ${DEFAULT_DROPIN})`);
      }
      manageDefault = true;
    }
    this.emit('check', 'done', `${host}: ${Math.floor(bootDf.availBytes / 1048576)} MiB free in ${P.bootDir}, GRUB present, kernel ${kernel} tagged ${tag}, a plain reboot boots "${describeDefault(defBefore)}"${manageDefault ? `; GRUB_DEFAULT=${menuBefore.defaultExpr ?? '0'} will become "saved" (${DEFAULT_DROPIN}), keeping that default until the new image is verified` : ''}`, 1);
    return {
      kernel, tag, cmdline, extraModules, acpiRemote, df, bootDf,
      bootIdBefore: bootIdOut.stdout.trim(),
      prevExists, prevOnBoard: prevProbe.code === 0, editenvOk, bootedVarSet, menuBefore, defBefore,
      saved: defBefore.entry?.id ?? defBefore.entry?.title,
      manageDefault,
    };
  }

  /** Step 2: the image (and the GRUB script, scenario copy, ACPI tables) under temp names, verified; the previous image kept as .prev. */
  async upload(c: Checked): Promise<Uploaded> {
    const { t, local, paths: P } = this;
    this.step = 'upload';
    this.stillLocked();
    // Keep the previous image, unless .prev is what the saved default boots (then .prev is the
    // known-good copy and the current image may be an unverified one).
    const keepPrev = c.prevExists && c.saved !== ENTRY_PREV_ID;
    // The copy runs side by side with the upload (each under its own temp name); .prev is
    // replaced atomically once the copy is whole.
    const keeping = keepPrev ? this.run(['cp', '-p', '--', P.realImage, P.tmpPrev]).then(() => this.move(P.tmpPrev, P.prevImage)) : undefined;
    keeping?.catch(() => undefined);
    if (keepPrev) this.emit('upload', 'running', `keeping the previous image as ${P.prevImage}`);
    const prevAvailable = keepPrev || c.prevOnBoard;
    let script = '';
    // The GRUB script goes up side by side with the image, under its temp name (update-grub
    // reads no dot files): step 3 only renames it.
    const grubUp = (async (): Promise<void> => {
      const kernelMount = c.df[1]?.mount ?? '/';
      const modules: GrubModule[] = [{ grubPath: grubPathFor(c.kernel, kernelMount), tag: c.tag }];
      for (const m of c.extraModules) {
        const d = parseDf((await this.run(['df', '-P', '-k', '--', m.path])).stdout)[0];
        modules.push({ grubPath: grubPathFor(m.path, d?.mount ?? '/'), tag: m.tag });
      }
      for (const a of c.acpiRemote) modules.push({ grubPath: grubPathFor(a.path, c.bootDf.mount), tag: a.tag });
      const entries: (GrubEntry & { sha256?: string })[] = [{ id: ENTRY_ID, title: `ACRN hypervisor (acrn-nest${t.name !== t.host ? `: ${t.name}` : ''})`, image: grubPathFor(P.realImage, c.bootDf.mount), cmdline: c.cmdline, modules, sha256: local.sha }];
      if (prevAvailable) entries.push({ id: ENTRY_PREV_ID, title: 'ACRN hypervisor, previous image (acrn-nest)', image: grubPathFor(P.prevImage, c.bootDf.mount), cmdline: c.cmdline, modules });
      script = grubScript(entries, [`image sha256 ${local.sha}`, ...(this.o.scenario ? [`scenario ${nodePath.basename(this.o.scenario)}`] : [])]);
      await this.putFile(Buffer.from(script, 'utf8'), P.tmpGrub, 0o755);
    })();
    grubUp.catch(() => undefined);
    this.emit('upload', 'running', `uploading ${nodePath.basename(this.o.image)} (${(local.image.length / 1024).toFixed(0)} KiB) to ${P.tmpImage}`, 0);
    await this.putFile(local.image, P.tmpImage, 0o644, (sent, total) => this.emit('upload', 'progress', `${(sent / 1024).toFixed(0)} / ${(total / 1024).toFixed(0)} KiB`, sent / total));
    await Promise.all([this.verifySha(P.tmpImage, local.sha, 'the image'), keeping, grubUp]);
    for (const a of c.acpiRemote) {
      const data = local.acpiLocal.get(a.file);
      if (!data) continue;
      await this.putFile(data, P.acpiTmp(a.file), 0o644);
      await this.verifySha(P.acpiTmp(a.file), sha256Hex(data), a.file);
    }
    if (local.scenarioBytes !== undefined) await this.putFile(local.scenarioBytes, P.tmpScenario, 0o644);
    this.emit('upload', 'done', `sha256 ${local.sha.slice(0, 16)}… verified on the board`, 1);
    return { prevAvailable, script };
  }

  /** Step 3: the GRUB script in place, update-grub, the default checked unchanged (moved to .prev first if it booted the image), the files renamed into place. */
  async grub(c: Checked, u: Uploaded): Promise<void> {
    const { t, local, paths: P } = this;
    this.step = 'grub';
    this.stillLocked();
    let addedDropin = false;
    if (c.manageDefault) {
      // saved_entry first (no effect while GRUB_DEFAULT is not saved), then the drop-in: at no
      // moment does a plain reboot boot anything else than it did before.
      if (!c.defBefore.entry) this.fail(`${t.grubCfg} has no menu entry: nothing to keep as the default`);
      const ref = entryRef(c.menuBefore, c.defBefore.entry);
      this.emit('grub', 'running', `pinning GRUB's default to "${ref}" and adding ${DEFAULT_DROPIN} (GRUB_DEFAULT=saved)`);
      await this.run([...t.commands.grubSetDefault, ref]);
      await this.run(['mkdir', '-p', '--', nodePath.posix.dirname(DEFAULT_DROPIN)]);
      await this.putFile(Buffer.from(defaultDropin(c.menuBefore.defaultExpr), 'utf8'), DEFAULT_DROPIN, 0o644);
      addedDropin = true;
    }
    this.emit('grub', 'running', `writing ${P.grubFile}`);
    await this.move(P.tmpGrub, P.grubFile);
    this.emit('grub', 'progress', `running ${t.commands.updateGrub.join(' ')}`, 0.4);
    await this.run(t.commands.updateGrub, { what: t.commands.updateGrub.join(' ') });
    // Read back what GRUB will do: a plain reboot must still boot what it booted before.
    const after = await this.readDefault();
    if (!after.savedMode || entryKey(after) !== entryKey(c.defBefore)) {
      if (addedDropin) {
        await this.run(['rm', '-f', '--', DEFAULT_DROPIN]);
        await this.run(t.commands.updateGrub, { what: t.commands.updateGrub.join(' ') });
      }
      this.fail(`after update-grub a plain reboot would boot "${describeDefault(after)}"${after.savedMode ? '' : ` (GRUB_DEFAULT is ${JSON.stringify(after.expr)}, not saved: another file in /etc/default/grub.d sets it after ${DEFAULT_DROPIN}?)`} instead of "${describeDefault(c.defBefore)}". acrn-nest undid its GRUB_DEFAULT change; the image was not installed`);
    }
    const { prevAvailable } = u;
    if (prevAvailable && c.saved === ENTRY_ID) {
      // The default boots the image we are about to replace: point it at the kept copy first.
      await this.run([...t.commands.grubSetDefault, ENTRY_PREV_ID]);
      // GRUB reads the disk, not Linux's page cache: the moved default must be on disk before the
      // image it used to boot changes (seen on the virtual board: grubenv written by
      // grub-set-default, then a reset, and GRUB still read the old block).
      await this.run(['sync']);
    }
    for (const a of c.acpiRemote) if (local.acpiLocal.has(a.file)) await this.move(P.acpiTmp(a.file), a.path);
    if (local.scenarioBytes !== undefined) await this.move(P.tmpScenario, P.scenarioCopy);
    // No sync needed here: nothing boots the new image until grub-reboot, and the reboot syncs.
    await this.move(P.tmpImage, P.realImage);
    if (this.staging) {
      await this.run(['rm', '-rf', '--', this.staging], { sudo: false });
      this.staging = undefined;
    }
    this.emit('grub', 'done', `${P.grubFile} written, grub.cfg updated, ${P.realImage} installed${prevAvailable ? ` (previous: ${P.prevImage})` : ''}`, 1);
  }

  /** Step 4: grub-reboot to the new entry (one boot only), reboot, wait for SSH, the lock again. False with --no-reboot. */
  async reboot(c: Checked): Promise<boolean> {
    const { t, host } = this;
    this.step = 'reboot';
    this.stillLocked();
    this.emit('reboot', 'running', `${t.commands.grubReboot.join(' ')} ${ENTRY_ID} (one-shot)`);
    // Only GRUB writes BOOTED_VAR, at boot; none happened since step 1 read grubenv.
    if (c.editenvOk && c.bootedVarSet) await this.run([...t.commands.grubEditenv, 'unset', BOOTED_VAR]);
    await this.run([...t.commands.grubReboot, ENTRY_ID]);
    if (this.o.noReboot) {
      this.emit('reboot', 'skipped', `the next boot of ${host} tries "${ENTRY_ID}" once (--no-reboot); if ACRN does not come up, the following boot uses the previous default`);
      this.emit('verify', 'skipped', 'not rebooted');
      return false;
    }
    const total = this.o.rebootTimeoutMs ?? 300_000;
    const t0 = Date.now();
    this.emit('reboot', 'progress', `rebooting ${host}`, 0);
    const conn = this.conn!;
    const down = conn.closed;
    // The reboot command often never answers: the connection drops first.
    const rb = conn.exec(t.commands.reboot, { sudo: true }).catch((e: unknown) => {
      if (e instanceof ConnectionLostError) return undefined;
      throw e;
    });
    const first = await Promise.race([rb.then((r) => ({ r })), down.then(() => ({ r: undefined }))]);
    if (first.r && first.r.code !== 0) this.fail(`${t.commands.reboot.join(' ')} failed: ${first.r.stderr.trim() || `exit ${first.r.code}`}`);
    let downTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      down,
      new Promise<void>((_r, rej) => (downTimer = setTimeout(() => rej(new DeployError('reboot', host, `the board did not go down within ${Math.round(total / 1000)} s after ${t.commands.reboot.join(' ')}`)), total))),
    ]).finally(() => clearTimeout(downTimer));
    conn.close();
    this.conn = undefined;
    this.emit('reboot', 'progress', `${host} went down; waiting for SSH to come back`, 0.1);
    let delay = 200;
    let lastErr = '';
    for (let attempt = 1; ; attempt++) {
      const left = total - (Date.now() - t0);
      if (left <= 0) this.fail(`the board did not come back within ${Math.round(total / 1000)} s (last error: ${lastErr}): the new image probably hangs. Power-cycle the board: it will boot "${describeDefault(c.defBefore)}", the default before this deploy, unchanged`);
      try {
        this.conn = await SshConnection.connect(t, { ...this.connectOpts, onUnknownHostKey: undefined, readyTimeoutMs: Math.max(1000, Math.min(10_000, left)) } as ConnectOptions);
        break;
      } catch (e) {
        if (e instanceof ChangedHostKeyError || e instanceof UnknownHostKeyError || e instanceof AbortedError) throw e;
        lastErr = (e as Error).message;
        const el = Date.now() - t0;
        this.emit('reboot', 'progress', `waiting for ${host} (${Math.round(el / 1000)} s, attempt ${attempt})`, Math.min(0.95, el / total));
        await sleep(Math.min(delay, Math.max(0, total - el)), this.signal);
        delay = Math.min(2000, Math.round(delay * 1.6));
      }
    }
    this.emit('reboot', 'done', `${host} is back after ${((Date.now() - t0) / 1000).toFixed(1)} s`, 1);
    if (this.lock !== 'unavailable') {
      // The lock went with the old connection; take it again before judging the boot.
      this.step = 'verify';
      this.lock = 'none';
      const again = await takeLock(this.conn, this.cmdTimeout, { sudo: t.sudo, waitS: 0, silenceS: this.silenceS });
      if ('busy' in again) this.fail(`another acrn-nest deploy to ${host} started while the board rebooted; the default entry was not changed`);
      if ('unavailable' in again) this.fail(`${lockUnavailableMessage(host, again.unavailable)}. The new entry was not made the default`);
      this.lock = 'held' in again ? again.held : 'unavailable';
    }
    return true;
  }

  /** Step 5: a new boot id, the hypervisor present, the new image's tokens in /proc/cmdline; then the entry becomes the default. Returns the new boot id. */
  async verify(c: Checked): Promise<string> {
    const { t, local } = this;
    this.step = 'verify';
    this.emit('verify', 'running', `checking the boot id, ${t.hypervisorProbe} and the new image's tokens in /proc/cmdline`);
    const bootIdAfter = (await this.run(['cat', '/proc/sys/kernel/random/boot_id'], { sudo: false })).stdout.trim();
    if (bootIdAfter === c.bootIdBefore) this.fail(`the board did not reboot (same boot id ${bootIdAfter})`);
    const [hv, procCmdline, envNow] = await Promise.all([
      this.exec(['test', '-e', t.hypervisorProbe], { sudo: false }),
      this.exec(['cat', '/proc/cmdline'], { sudo: false }),
      c.editenvOk ? this.exec([...t.commands.grubEditenv, 'list']) : Promise.resolve(undefined),
    ]);
    const grubStarted = envNow ? parseGrubEnv(envNow.stdout).get(BOOTED_VAR) : undefined;
    const words = procCmdline.stdout.trim().split(/\s+/);
    const tokenOf = (k: string): string | undefined => words.filter((w) => w.startsWith(`${k}=`)).pop()?.slice(k.length + 1);
    const bootedEntry = tokenOf(TOKEN_ENTRY);
    const bootedImage = tokenOf(TOKEN_IMAGE);
    const what = `it booted ${bootedEntry ? `entry "${bootedEntry}"${bootedImage ? ` (image ${bootedImage})` : ''}` : `"${describeDefault(c.defBefore)}" or another entry without acrn-nest's tokens`}${grubStarted && grubStarted !== bootedEntry ? `; GRUB last started "${grubStarted}", which did not come up` : ''}`;
    if (hv.code !== 0) {
      this.fail(`the board came back without the hypervisor (no ${t.hypervisorProbe}): the new image did not boot, ${what}. The default entry was not changed`);
    }
    if (bootedEntry !== ENTRY_ID || bootedImage !== local.sha.slice(0, 16)) {
      this.fail(`the board runs a hypervisor, but not the new image (its /proc/cmdline lacks ${bootTokens(ENTRY_ID, local.sha)}): ${what}. The default entry was not changed`);
    }
    await this.run([...t.commands.grubSetDefault, ENTRY_ID]);
    await this.run(['sync']);
    const now = await this.readDefault();
    if (now.entry?.id !== ENTRY_ID) this.fail(`grub-set-default ${ENTRY_ID} ran, but a plain reboot would still boot "${describeDefault(now)}" (GRUB_DEFAULT ${now.savedMode ? 'is saved' : `is ${JSON.stringify(now.expr)}`})`);
    this.emit('verify', 'done', `the new image runs (new boot id ${bootIdAfter.slice(0, 8)}…, ${t.hypervisorProbe} present, ${TOKEN_IMAGE}=${local.sha.slice(0, 16)} in /proc/cmdline); "${ENTRY_ID}" is now what a plain reboot boots`, 1);
    return bootIdAfter;
  }

  /** The result: rebooted and verified when bootIdAfter is known (step 5 made the entry the default). */
  result(c: Checked, u: Uploaded, bootIdAfter: string | undefined): DeployResult {
    const rebooted = bootIdAfter !== undefined;
    return { target: this.host, entryId: ENTRY_ID, imagePath: this.paths.realImage, sha256: this.local.sha, previousImage: u.prevAvailable ? this.paths.prevImage : undefined, grubScript: u.script, rebooted, bootIdBefore: c.bootIdBefore, bootIdAfter, defaultSet: rebooted };
  }

  /** The error to throw for a failure at the current step, after removing what was ours to remove. */
  async failed(e: unknown): Promise<DeployError> {
    const err = e instanceof DeployError ? e : new DeployError(this.step, this.host, (e as Error).message, e);
    this.emit(err.step, 'failed', err.reason);
    // Temp files are ours to remove only while no other deploy may own them: never when the lock
    // was refused (they are the other deploy's).
    if ((err.step === 'check' || err.step === 'upload' || err.step === 'grub') && this.lock !== 'none') {
      const cleaned = await cleanup(this.t, this.connectOpts, this.conn, [...this.paths.temps, ...(this.staging ? [this.staging] : [])], this.cmdTimeout);
      if (!cleaned) err.message += `. Could not remove the temporary files (${this.paths.tmpImage}); the next deploy removes them`;
    }
    return err;
  }

  async close(): Promise<void> {
    if (this.conn && this.staging) await this.conn.exec(['rm', '-rf', '--', this.staging]).catch(() => undefined);
    if (typeof this.lock === 'object') await this.lock.release();
    this.conn?.close();
  }
}

/**
 * Removes temp files through the open connection (which holds the lock), or one fresh connection
 * if it was cut: that one takes the lock first, and leaves the files alone if another deploy has
 * it by then.
 */
async function cleanup(t: ResolvedTarget, opts: ConnectOptions, conn: SshConnection | undefined, paths: string[], lockTimeoutMs: number): Promise<boolean> {
  let c = conn?.isOpen ? conn : undefined;
  let own = false;
  let held: HeldLock | undefined;
  try {
    if (!c) {
      const o: ConnectOptions = { ...opts, readyTimeoutMs: 5000 };
      delete o.signal;
      delete o.onUnknownHostKey;
      c = await SshConnection.connect(t, o);
      own = true;
      const l = await takeLock(c, Math.min(lockTimeoutMs, 10_000), { sudo: t.sudo, waitS: 0, silenceS: LOCK_SILENCE_MS / 1000 });
      if ('busy' in l) return false;
      if ('held' in l) held = l.held;
    }
    const files = paths.filter((p) => !p.startsWith('/tmp/acrn-nest.'));
    const dirs = paths.filter((p) => p.startsWith('/tmp/acrn-nest.'));
    const r = await c.exec(['rm', '-f', '--', ...files], { sudo: true, timeoutMs: 10_000 });
    if (dirs.length) await c.exec(['rm', '-rf', '--', ...dirs], { timeoutMs: 10_000 });
    return r.code === 0;
  } catch {
    return false;
  } finally {
    if (held) await held.release();
    if (own) c?.close();
  }
}
