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
import type { ClientChannel } from 'ssh2';
import type { ConnectOptions, ExecOptions, ExecResult } from '../ssh-target/connection.js';
import { AbortedError, ChangedHostKeyError, ConnectionLostError, SshConnection, UnknownHostKeyError, channelExit } from '../ssh-target/connection.js';
import type { ResolvedTarget } from '../ssh-target/target.js';
import { TARGET_DEFAULTS, remoteJoin } from '../ssh-target/target.js';
import { describeTarget } from '../ssh-target/resolve.js';
import type { GrubEntry, GrubModule } from './grub.js';
import { BOOTED_VAR, DEFAULT_DROPIN, ENTRY_ID, ENTRY_PREV_ID, TOKEN_ENTRY, TOKEN_IMAGE, bootTokens, defaultCmdline, defaultDropin, grubScript, multiboot2Header } from './grub.js';
import type { DefaultBoot, GrubMenu } from './grubcfg.js';
import { defaultBoot, entryLoads, entryRef, grubAcrnWouldList, parseGrubCfg, parseGrubEnv } from './grubcfg.js';
import type { ScenarioInfo } from './scenario-info.js';
import { scenarioInfo } from './scenario-info.js';
import { loadFile } from '../files.js';

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

/** The board-wide deploy lock (on tmpfs: a reboot clears it; world-writable, so no sudo). */
export const DEPLOY_LOCK = '/run/lock/acrn-nest-deploy.lock';
const LOCK_BUSY = 75;

type LockResult = { held: HeldLock } | { busy: true } | { unavailable: string };

/** What the lock holder prints once flock has the lock (flock's own --verbose output is buffered on a pipe). */
export const LOCK_HELD_MARK = 'acrn-nest-lock-held';
/** The heartbeat byte, and how often it is sent. */
const LOCK_BEAT = 'b';
export const LOCK_BEAT_MS = 5000;
export const LOCK_SILENCE_MS = 60_000;
/**
 * Run by flock while it holds the lock, with the silence limit in seconds as $1: ends at EOF (the
 * deploy released it; head prints nothing) or when no heartbeat byte came for $1 s (timeout exits
 * 124). `head -c 1` reads one byte at a time, so no beat is lost. A constant script: nothing of
 * ours is interpolated into it; the number is a positional argument.
 */
export const LOCK_SCRIPT = `echo ${LOCK_HELD_MARK}; while b=$(timeout "$1" head -c 1) && [ "$b" = ${LOCK_BEAT} ]; do :; done`;

/** A held deploy lock: its channel, the heartbeat, and whether the board let it go under us. */
export interface HeldLock {
  readonly ch: ClientChannel;
  /** True once the board's holder ended while we still meant to hold the lock. */
  lost(): boolean;
  release(): Promise<void>;
}

interface LockOptions {
  sudo: boolean;
  /** Seconds flock waits for the lock; 0: -n. */
  waitS: number;
  silenceS: number;
  /** Called when the lock is busy at first try and flock then waits for it (waitS > 0). */
  onWaiting?: () => void;
}

/**
 * Takes DEPLOY_LOCK: `flock` runs LOCK_SCRIPT, which prints LOCK_HELD_MARK and then lives as long
 * as heartbeats come (see the file's header).
 */
async function takeLock(conn: SshConnection, timeoutMs: number, lo: LockOptions): Promise<LockResult> {
  // -n first: whether we waited must be known exactly (what was read before may be stale then).
  const first = await lockAttempt(conn, timeoutMs, lo, 0);
  if (!('busy' in first) || lo.waitS <= 0) return first;
  lo.onWaiting?.();
  return lockAttempt(conn, timeoutMs, lo, lo.waitS);
}

async function lockAttempt(conn: SshConnection, timeoutMs: number, lo: LockOptions, waitS: number): Promise<LockResult> {
  const wait = waitS > 0 ? ['-w', String(waitS)] : ['-n'];
  const ch = await conn.channel(['flock', ...wait, '-E', String(LOCK_BUSY), DEPLOY_LOCK, 'sh', '-c', LOCK_SCRIPT, 'sh', String(lo.silenceS)], undefined, { sudo: lo.sudo });
  return new Promise<LockResult>((resolve) => {
    let err = '';
    let done = false;
    const finish = (r: LockResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!('held' in r)) ch.close();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ unavailable: `flock gave no answer within ${Math.round(timeoutMs / 1000) + waitS} s` }), timeoutMs + waitS * 1000);
    let out = '';
    let closed = false;
    ch.once('close', () => (closed = true));
    ch.stderr.on('data', (d: Buffer) => (err += d.toString()));
    ch.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(LOCK_HELD_MARK)) finish({ held: holdLock(ch) });
    });
    // flock's status: busy (LOCK_BUSY) must never read as "no flock". channelExit has it even
    // when it came before these listeners.
    void channelExit(ch).then(async (code) => {
      if (code === LOCK_BUSY) return finish({ busy: true });
      // The exit status can come before flock's stderr has been read (seen on the virtual board:
      // "flock exited with 66" without its "Permission denied"): the reason once the channel closed.
      if (!closed) await new Promise<void>((resolve) => {
        ch.once('close', () => resolve());
        setTimeout(resolve, 2000).unref();
      });
      finish({ unavailable: err.trim().split('\n').pop() || (code === null ? 'the lock channel closed' : `flock exited with ${code}`) });
    });
  });
}

/** Starts the heartbeat on a lock channel. */
function holdLock(ch: ClientChannel): HeldLock {
  let releasing = false;
  let closed = false;
  const beat = setInterval(() => {
    try {
      ch.write(LOCK_BEAT);
    } catch {
      /* the connection is gone: closed is set next */
    }
  }, LOCK_BEAT_MS);
  beat.unref();
  ch.on('close', () => {
    closed = true;
    clearInterval(beat);
  });
  return {
    ch,
    lost: () => closed && !releasing,
    /**
     * Ends the script (EOF) and waits until flock has exited on the board: the lock is free then.
     * A channel that already closed (the connection dropped) has nothing left to release.
     */
    release: async () => {
      releasing = true;
      clearInterval(beat);
      try {
        ch.end();
      } catch {
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([channelExit(ch), new Promise((resolve) => (timer = setTimeout(resolve, 2000)))]);
      clearTimeout(timer);
    },
  };
}

function lockUnavailableMessage(host: string, why: string): string {
  if (/a password is required|no tty present/i.test(why)) {
    return `cannot take the deploy lock ${DEPLOY_LOCK} on ${host}: sudo needs a password on this board. Nothing was changed. Store one (VS Code asks and keeps it in SecretStorage; CLI: --sudo-password-stdin) or set "sudo": false to deploy as root`;
  }
  const denied = /permission denied/i.test(why);
  const missing = /not found|no such file/i.test(why) && !denied;
  return `cannot take the deploy lock ${DEPLOY_LOCK} on ${host}: ${why}. Nothing was changed. ${
    denied
      ? `The lock file belongs to another user (fs.protected_regular refuses to open it): remove it on the board (sudo rm ${DEPLOY_LOCK}) or deploy with "sudo": true, which takes the lock as root`
      : missing
        ? 'Install util-linux (it provides flock) on the board'
        : 'Check flock and /run/lock on the board (acrn-nest doctor)'
  }`;
}

function lockBusyMessage(host: string, waitedS: number): string {
  return `another acrn-nest deploy to ${host} is in progress (it holds ${DEPLOY_LOCK} on the board${waitedS > 0 ? `; waited ${waitedS} s` : ''}). Nothing was changed; try again when it has finished. The lock goes away by itself when that deploy ends, or a minute after its connection drops`;
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

/** Runs the five steps. Throws DeployError (step + host) on any failure. */
export async function deploy(o: DeployOptions): Promise<DeployResult> {
  const t = o.target;
  const host = describeTarget(t);
  const signal = o.signal ?? o.connect?.signal;
  const connectOpts: ConnectOptions = { ...o.connect };
  if (signal) connectOpts.signal = signal;
  const cmdTimeout = o.commandTimeoutMs ?? 120_000;
  const silenceS = Math.max(1, Math.round((o.lockSilenceMs ?? LOCK_SILENCE_MS) / 1000));
  const lockWaitS = Math.max(0, Math.round((o.lockWaitMs ?? silenceS * 1000 + 15_000) / 1000));
  const emit = (step: DeployStepName, status: DeployEvent['status'], message: string, progress?: number): void => {
    const s = DEPLOY_STEPS.find((x) => x.name === step)!;
    const e: DeployEvent = { step, index: s.index, title: s.title, status, message };
    if (progress !== undefined) e.progress = progress;
    o.onEvent?.(e);
  };

  // Local inputs first: a missing image or a broken scenario fails before touching the board.
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
  const sha = sha256Hex(image);
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
    const dir = o.acpiDir ?? nodePath.join(nodePath.dirname(o.image), 'acpi');
    for (const m of info.acpiModules) {
      try {
        acpiLocal.set(m.file, readFileSync(nodePath.join(dir, m.file)));
      } catch {
        if (o.acpiDir) throw new DeployError('check', host, `${m.file} (ACPI tables of pre-launched VM ${m.vm}) not found in ${o.acpiDir}`);
      }
    }
  }

  const B = t.bootDir;
  const realImage = remoteJoin(B, t.imageName);
  const prevImage = `${realImage}.prev`;
  const tmpImage = remoteJoin(B, `.${t.imageName}.acrn-nest.tmp`);
  const tmpPrev = remoteJoin(B, `.${t.imageName}.prev.acrn-nest.tmp`);
  const scenarioCopy = `${realImage}.scenario.xml`;
  const tmpScenario = remoteJoin(B, `.${t.imageName}.scenario.xml.acrn-nest.tmp`);
  const grubFile = remoteJoin(t.grubScriptDir, t.grubScriptName);
  const tmpGrub = remoteJoin(t.grubScriptDir, `.${t.grubScriptName}.acrn-nest.tmp`);
  const acpiTmp = (f: string): string => remoteJoin(B, `.${f}.acrn-nest.tmp`);
  const allTemps = (): string[] => [tmpImage, tmpPrev, tmpScenario, tmpGrub, ...(info?.acpiModules ?? []).map((m) => acpiTmp(m.file))];

  let conn: SshConnection | undefined;
  /** The lock channel while we hold DEPLOY_LOCK; 'none' until taken (nothing to clean up then). */
  let lock: HeldLock | 'none' | 'unavailable' = 'none';
  let step: DeployStepName = 'check';
  let staging: string | undefined;
  let stagingMade: Promise<string> | undefined;
  const sudo: ExecOptions = { sudo: true, timeoutMs: cmdTimeout };
  const run = (argv: string[], extra: ExecOptions = {}): Promise<{ stdout: string; stderr: string }> => conn!.run(argv, { ...sudo, ...(signal ? { signal } : {}), ...extra });
  const exec = (argv: string[], extra: ExecOptions = {}) => conn!.exec(argv, { ...sudo, ...(signal ? { signal } : {}), ...extra });
  const fail = (reason: string, cause?: unknown): never => {
    throw new DeployError(step, host, reason, cause);
  };
  /** Before each writing step: the board still holds our lock (it lets go after lockSilenceMs without a heartbeat). */
  const stillLocked = (): void => {
    if (typeof lock === 'object' && lock.lost()) fail(`the deploy lock ${DEPLOY_LOCK} on ${host} was let go (its channel closed: no heartbeat reached the board for ${silenceS} s); stopped before changing anything more`);
  };

  /** Puts bytes at a path the login user may not be able to write (sudo: via a staging folder). */
  const putFile = async (data: Buffer, remote: string, mode: number, onProgress?: (sent: number, total: number) => void): Promise<void> => {
    const up = { mode, ...(onProgress ? { onProgress } : {}), ...(signal ? { signal } : {}) };
    if (!t.sudo) {
      await conn!.upload(data, remote, up);
      return;
    }
    // One staging folder for the deploy, also when two files go up side by side.
    stagingMade ??= run(['mktemp', '-d', '/tmp/acrn-nest.XXXXXXXX'], { sudo: false }).then((r) => (staging = r.stdout.trim()));
    const st = `${await stagingMade}/${nodePath.posix.basename(remote)}`;
    await conn!.upload(data, st, up);
    await run(['cp', '--', st, remote]);
    await run(['chmod', mode.toString(8), '--', remote]);
    await run(['rm', '-f', '--', st], { sudo: false });
  };

  /** `mv -f FROM TO`: an SFTP rename (no process started) where the login user owns the files, else mv through sudo. */
  const move = async (from: string, to: string): Promise<void> => {
    if (!t.sudo && (await conn!.rename(from, to))) return;
    await run(['mv', '-f', '--', from, to]);
  };

  const verifySha = async (remote: string, expect: string, what: string): Promise<void> => {
    const r = await run(['sha256sum', '--', remote]);
    const got = r.stdout.trim().split(/\s+/)[0]?.replace(/^\\/, '');
    if (got !== expect) fail(`${what} arrived damaged: sha256 on the board is ${got ?? '?'}, expected ${expect}`);
  };

  let addedDropin = false;
  /** grub.cfg + grubenv as GRUB reads them now. */
  const readDefault = async (): Promise<DefaultBoot> => {
    const [cfg, env] = await Promise.all([run(['cat', '--', t.grubCfg]), run([...t.commands.grubEditenv, 'list'])]);
    return defaultBoot(parseGrubCfg(cfg.stdout), parseGrubEnv(env.stdout));
  };
  let bootIdBefore = '';
  let saved: string | undefined;
  let menuBefore: GrubMenu | undefined;
  let defBefore: DefaultBoot | undefined;
  let manageDefault = false;
  let editenvOk = false;
  /** GRUB's record of the last entry it started (BOOTED_VAR) is in grubenv: step 4 clears it. */
  let bootedVarSet = false;
  /** The lock was busy at first: probes read before it was ours are read again. */
  let lockWaited = false;
  let prevExists = false;
  let rebooted = false;
  let bootIdAfter: string | undefined;
  let defaultSet = false;
  let script = '';

  try {
    // ---- 1 check
    step = 'check';
    emit('check', 'running', `connecting to ${host}`);
    conn = await SshConnection.connect(t, connectOpts);
    emit('check', 'progress', `connected to ${host}`, 0.2);
    // The lock is taken side by side with the read-only probes below; nothing is written before
    // it is held.
    const locking = takeLock(conn, cmdTimeout, {
      sudo: t.sudo,
      waitS: lockWaitS,
      silenceS,
      onWaiting: () => {
        lockWaited = true;
        emit('check', 'progress', `another deploy holds ${DEPLOY_LOCK} on ${host}; waiting up to ${lockWaitS} s (a deploy whose connection dropped lets it go within ${silenceS} s)`, 0.3);
      },
    });
    locking.catch(() => undefined);
    const lockNow = async (): Promise<HeldLock | 'unavailable'> => {
      const l = await locking;
      if ('busy' in l) fail(lockBusyMessage(host, lockWaitS));
      if ('held' in l) return l.held;
      return fail(lockUnavailableMessage(host, 'unavailable' in l ? l.unavailable : ''));
    };
    // Read-only probes start at once, side by side with mkdir and the lock (at most PROBES channels,
    // plus the lock's, `which`, and the two that need the lock, below sshd's default MaxSessions
    // 10); their results are judged in a fixed order. What they read is only trusted if the lock
    // came without waiting: after another deploy held it, they run again.
    const kernel = t.kernel;
    const tag = t.kernelTag ?? info?.serviceKernMod ?? 'Linux_bzImage';
    if (info && info.serviceKernMod && t.kernelTag && t.kernelTag !== info.serviceKernMod) {
      fail(`the target's kernel tag "${t.kernelTag}" differs from the scenario's os_config/kern_mod "${info.serviceKernMod}": ACRN would not find the Service VM kernel`);
    }
    if (info && !info.serviceKernMod && info.vms.some((v) => v.kind === 'service')) fail(`the scenario's Service VM has no os_config/kern_mod: ACRN cannot find its kernel`);
    const extraModules: { path: string; tag: string }[] = [];
    for (const vm of info?.vms.filter((v) => v.kind === 'pre' && v.kernMod) ?? []) {
      const m = t.modules.find((x) => x.tag === vm.kernMod);
      if (!m) fail(`pre-launched VM ${vm.id} (${vm.name}) boots module "${vm.kernMod}", but the target has no "modules" entry with that tag`);
      else extraModules.push(m);
    }
    for (const m of t.modules) if (!extraModules.includes(m)) extraModules.push(m);
    const acpiRemote: { path: string; tag: string; file: string }[] = (info?.acpiModules ?? []).map((m) => ({ path: remoteJoin(B, m.file), tag: m.tag, file: m.file }));
    const grubTools = (['updateGrub', 'grubReboot', 'grubSetDefault'] as const).map((name) => ({ name, prog: t.commands[name][0]! }));
    const byName = grubTools.filter((g) => !g.prog.startsWith('/'));
    const probeAll = (): Promise<(ExecResult | undefined)[]> =>
      pool<ExecResult | undefined>(
        [
          () => exec(['test', '-f', kernel]),
          () => exec(['stat', '-c', '%s', '--', realImage]),
          () => run(['cat', '/proc/sys/kernel/random/boot_id'], { sudo: false }).then((r): ExecResult => ({ code: 0, signal: null, ...r })),
          () => (t.cmdline !== undefined ? Promise.resolve(undefined) : exec(['cat', '/proc/cmdline'], { sudo: false })),
          () => exec([...t.commands.grubEditenv, 'list']),
          () => exec(['test', '-f', prevImage]),
          () => exec(['cat', '--', t.grubCfg]),
          ...grubTools.map((g) => () => (g.prog.startsWith('/') ? exec(['test', '-x', g.prog], { sudo: false }) : Promise.resolve(undefined))),
          ...extraModules.map((m) => () => exec(['test', '-f', m.path])),
          ...acpiRemote.map((a) => () => (acpiLocal.has(a.file) ? Promise.resolve(undefined) : exec(['test', '-f', a.path]))),
          // Tools named by path are tested one by one; the others with one `which` (it prints the
          // ones it finds, one a line).
          () => (byName.length ? exec(['env', SBIN_PATH, 'which', ...byName.map((g) => g.prog)], { sudo: false }) : Promise.resolve(undefined)),
        ],
        PROBES,
      );
    let early = probeAll();
    early.catch(() => undefined);
    // bootDir must exist for df (creating it is harmless to another deploy), and the lock must be
    // held before a temp file is removed.
    const [, held] = await Promise.all([run(['mkdir', '-p', '--', B]), lockNow()]);
    lock = held;
    if (lockWaited) early = early.catch(() => undefined).then(probeAll);
    const [probes, , dfOut] = await Promise.all([early, run(['rm', '-f', '--', ...allTemps()]), run(['df', '-P', '-k', '--', B, kernel])]);
    const [k, imgStat, bootIdOut, cmdlineOut, ge, prevProbe, cfgOut] = probes as [ExecResult, ExecResult, ExecResult, ExecResult | undefined, ExecResult, ExecResult, ExecResult];
    const FIXED = 7;
    const toolResults = probes.slice(FIXED, FIXED + grubTools.length);
    const found = new Set((probes[probes.length - 1]?.stdout ?? '').split('\n').map((l) => nodePath.posix.basename(l.trim())));
    const moduleResults = probes.slice(FIXED + grubTools.length, FIXED + grubTools.length + extraModules.length) as ExecResult[];
    const acpiResults = probes.slice(FIXED + grubTools.length + extraModules.length, probes.length - 1);
    if (k.code !== 0) fail(`the Service VM kernel ${kernel} does not exist on the board (set "kernel" in the target)`);
    extraModules.forEach((m, i) => moduleResults[i]!.code !== 0 && fail(`module ${m.tag}: ${m.path} does not exist on the board`));
    acpiRemote.forEach((a, i) => acpiResults[i] && acpiResults[i]!.code !== 0 && fail(`${a.file} (ACPI tables of a pre-launched VM) is neither in the local build output nor on the board at ${a.path}`));
    grubTools.forEach((g, i) => (toolResults[i] ? toolResults[i]!.code !== 0 : !found.has(g.prog)) && fail(`GRUB is not set up on the board: ${g.prog} (${g.name}) not found. acrn-nest needs GRUB 2 with update-grub and grub-reboot (Ubuntu: apt install grub2-common), or set "commands" in the target`));
    prevExists = imgStat.code === 0;
    const existingSize = prevExists ? Number(imgStat.stdout.trim()) || 0 : 0;
    const df = parseDf(dfOut.stdout);
    const bootDf = df[0];
    if (!bootDf) fail(`cannot read free space of ${B} (df -P gave nothing)`);
    const need = image.length + existingSize + [...acpiLocal.values()].reduce((a, b) => a + b.length, 0) + MARGIN;
    if (bootDf!.availBytes < need) fail(`not enough space in ${B}: ${Math.floor(bootDf!.availBytes / 1024)} KiB free, ${Math.ceil(need / 1024)} KiB needed (new image + previous copy + 1 MiB)`);
    bootIdBefore = bootIdOut.stdout.trim();
    const cmdline = t.cmdline ?? defaultCmdline(cmdlineOut?.stdout ?? '');
    let envText: string | undefined;
    if (ge.code === 0) {
      editenvOk = true;
      envText = ge.stdout;
      bootedVarSet = parseGrubEnv(ge.stdout).has(BOOTED_VAR);
    } else {
      const env = await exec(['cat', GRUB_ENV]);
      if (env.code === 0) envText = env.stdout;
    }
    // What a plain reboot boots today, as GRUB decides it.
    if (cfgOut.code !== 0) fail(`cannot read ${t.grubCfg} (${cfgOut.stderr.trim() || `exit ${cfgOut.code}`}): acrn-nest must know what the board boots before it changes anything. Run update-grub on the board, or check that GRUB 2 is its boot loader`);
    menuBefore = parseGrubCfg(cfgOut.stdout);
    const savedMode = menuBefore.defaultExpr === '${saved_entry}';
    if (envText === undefined && (savedMode || prevExists)) {
      fail(`GRUB's saved default cannot be read (${t.commands.grubEditenv.join(' ')} list: ${ge.stderr.trim() || `exit ${ge.code}`}; ${GRUB_ENV} unreadable too). acrn-nest will not replace ${realImage} without knowing whether the default entry boots it. Fix: create the environment block on the board (sudo grub-editenv ${GRUB_ENV} create)`);
    }
    defBefore = defaultBoot(menuBefore, parseGrubEnv(envText ?? ''));
    saved = defBefore.entry?.id ?? defBefore.entry?.title;
    const gp = grubPathFor(realImage, bootDf!.mount);
    const gpPrev = grubPathFor(prevImage, bootDf!.mount);
    const others = menuBefore.entries.filter((e) => e.id !== ENTRY_ID && e.id !== ENTRY_PREV_ID && !e.submenu);
    const clash = others.find((e) => entryLoads(e, realImage, gp) || entryLoads(e, prevImage, gpPrev));
    if (clash) {
      fail(`the GRUB entry "${clash.title}"${clash === defBefore.entry ? ' (what the board boots by default)' : ''} boots ${entryLoads(clash, realImage, gp) ? realImage : prevImage}, the path this deploy writes: it would boot an image that was never verified. Set "bootDir" or "imageName" in the target to a path no other entry uses (default ${TARGET_DEFAULTS.bootDir}/${TARGET_DEFAULTS.imageName})`);
    }
    // grub-mkconfig marks each script's part of grub.cfg: "### BEGIN /etc/grub.d/25_linux_acrn ###".
    const grubAcrn = cfgOut.stdout.includes(`### BEGIN ${GRUB_ACRN_SCRIPT} ###`);
    if (grubAcrn && (grubAcrnWouldList(realImage) || grubAcrnWouldList(prevImage))) {
      fail(`ACRN's grub-acrn package (${GRUB_ACRN_SCRIPT}) makes its own entry, often the default, for every /boot/acrn*.bin: ${realImage} would be booted by it before it was verified. Set "bootDir" in the target to a folder of its own (default ${TARGET_DEFAULTS.bootDir})`);
    }
    if (!savedMode) {
      if (t.grubDefault === 'keep') {
        fail(`GRUB_DEFAULT is ${JSON.stringify(menuBefore.defaultExpr ?? '0')}, not "saved": grub-set-default cannot make a verified image what a plain reboot boots, and the target says "grubDefault": "keep". Fix: set GRUB_DEFAULT=saved in /etc/default/grub on the board and run update-grub, or set "grubDefault": "manage" in the target (acrn-nest then adds ${DEFAULT_DROPIN})`);
      }
      manageDefault = true;
    }
    emit('check', 'done', `${host}: ${Math.floor(bootDf!.availBytes / 1048576)} MiB free in ${B}, GRUB present, kernel ${kernel} tagged ${tag}, a plain reboot boots "${describeDefault(defBefore)}"${manageDefault ? `; GRUB_DEFAULT=${menuBefore.defaultExpr ?? '0'} will become "saved" (${DEFAULT_DROPIN}), keeping that default until the new image is verified` : ''}`, 1);

    // ---- 2 upload
    step = 'upload';
    stillLocked();
    // Keep the previous image, unless .prev is what the saved default boots (then .prev is the
    // known-good copy and the current image may be an unverified one).
    const keepPrev = prevExists && saved !== ENTRY_PREV_ID;
    // The copy runs side by side with the upload (each under its own temp name); .prev is
    // replaced atomically once the copy is whole.
    const keeping = keepPrev ? run(['cp', '-p', '--', realImage, tmpPrev]).then(() => move(tmpPrev, prevImage)) : undefined;
    keeping?.catch(() => undefined);
    if (keepPrev) emit('upload', 'running', `keeping the previous image as ${prevImage}`);
    const prevAvailable = keepPrev || prevProbe.code === 0;
    // The GRUB script goes up side by side with the image, under its temp name (update-grub
    // reads no dot files): step 3 only renames it.
    const grubUp = (async (): Promise<void> => {
      const kernelMount = df[1]?.mount ?? '/';
      const modules: GrubModule[] = [{ grubPath: grubPathFor(kernel, kernelMount), tag }];
      for (const m of extraModules) {
        const d = parseDf((await run(['df', '-P', '-k', '--', m.path])).stdout)[0];
        modules.push({ grubPath: grubPathFor(m.path, d?.mount ?? '/'), tag: m.tag });
      }
      for (const a of acpiRemote) modules.push({ grubPath: grubPathFor(a.path, bootDf!.mount), tag: a.tag });
      const entries: (GrubEntry & { sha256?: string })[] = [{ id: ENTRY_ID, title: `ACRN hypervisor (acrn-nest${t.name !== t.host ? `: ${t.name}` : ''})`, image: grubPathFor(realImage, bootDf!.mount), cmdline, modules, sha256: sha }];
      if (prevAvailable) entries.push({ id: ENTRY_PREV_ID, title: 'ACRN hypervisor, previous image (acrn-nest)', image: grubPathFor(prevImage, bootDf!.mount), cmdline, modules });
      script = grubScript(entries, [`image sha256 ${sha}`, ...(o.scenario ? [`scenario ${nodePath.basename(o.scenario)}`] : [])]);
      await putFile(Buffer.from(script, 'utf8'), tmpGrub, 0o755);
    })();
    grubUp.catch(() => undefined);
    emit('upload', 'running', `uploading ${nodePath.basename(o.image)} (${(image.length / 1024).toFixed(0)} KiB) to ${tmpImage}`, 0);
    await putFile(image, tmpImage, 0o644, (sent, total) => emit('upload', 'progress', `${(sent / 1024).toFixed(0)} / ${(total / 1024).toFixed(0)} KiB`, sent / total));
    await Promise.all([verifySha(tmpImage, sha, 'the image'), keeping, grubUp]);
    for (const a of acpiRemote) {
      const data = acpiLocal.get(a.file);
      if (!data) continue;
      await putFile(data, acpiTmp(a.file), 0o644);
      await verifySha(acpiTmp(a.file), sha256Hex(data), a.file);
    }
    if (scenarioBytes !== undefined) await putFile(scenarioBytes, tmpScenario, 0o644);
    emit('upload', 'done', `sha256 ${sha.slice(0, 16)}… verified on the board`, 1);

    // ---- 3 grub
    step = 'grub';
    stillLocked();
    if (manageDefault) {
      // saved_entry first (no effect while GRUB_DEFAULT is not saved), then the drop-in: at no
      // moment does a plain reboot boot anything else than it did before.
      if (!defBefore?.entry) fail(`${t.grubCfg} has no menu entry: nothing to keep as the default`);
      const ref = entryRef(menuBefore!, defBefore!.entry!);
      emit('grub', 'running', `pinning GRUB's default to "${ref}" and adding ${DEFAULT_DROPIN} (GRUB_DEFAULT=saved)`);
      await run([...t.commands.grubSetDefault, ref]);
      await run(['mkdir', '-p', '--', nodePath.posix.dirname(DEFAULT_DROPIN)]);
      await putFile(Buffer.from(defaultDropin(menuBefore!.defaultExpr), 'utf8'), DEFAULT_DROPIN, 0o644);
      addedDropin = true;
    }
    emit('grub', 'running', `writing ${grubFile}`);
    await move(tmpGrub, grubFile);
    emit('grub', 'progress', `running ${t.commands.updateGrub.join(' ')}`, 0.4);
    await run(t.commands.updateGrub, { what: t.commands.updateGrub.join(' ') });
    // Read back what GRUB will do: a plain reboot must still boot what it booted before.
    const after = await readDefault();
    if (!after.savedMode || entryKey(after) !== entryKey(defBefore)) {
      if (addedDropin) {
        await run(['rm', '-f', '--', DEFAULT_DROPIN]);
        await run(t.commands.updateGrub, { what: t.commands.updateGrub.join(' ') });
        addedDropin = false;
      }
      fail(`after update-grub a plain reboot would boot "${describeDefault(after)}"${after.savedMode ? '' : ` (GRUB_DEFAULT is ${JSON.stringify(after.expr)}, not saved: another file in /etc/default/grub.d sets it after ${DEFAULT_DROPIN}?)`} instead of "${describeDefault(defBefore)}". acrn-nest undid its GRUB_DEFAULT change; the image was not installed`);
    }
    if (prevAvailable && saved === ENTRY_ID) {
      // The default boots the image we are about to replace: point it at the kept copy first.
      await run([...t.commands.grubSetDefault, ENTRY_PREV_ID]);
      saved = ENTRY_PREV_ID;
      // GRUB reads the disk, not Linux's page cache: the moved default must be on disk before the
      // image it used to boot changes (seen on the virtual board: grubenv written by
      // grub-set-default, then a reset, and GRUB still read the old block).
      await run(['sync']);
    }
    for (const a of acpiRemote) if (acpiLocal.has(a.file)) await move(acpiTmp(a.file), a.path);
    if (scenarioBytes !== undefined) await move(tmpScenario, scenarioCopy);
    // No sync needed here: nothing boots the new image until grub-reboot, and the reboot syncs.
    await move(tmpImage, realImage);
    if (staging) {
      await run(['rm', '-rf', '--', staging], { sudo: false });
      staging = undefined;
    }
    emit('grub', 'done', `${grubFile} written, grub.cfg updated, ${realImage} installed${prevAvailable ? ` (previous: ${prevImage})` : ''}`, 1);

    // ---- 4 reboot
    step = 'reboot';
    stillLocked();
    emit('reboot', 'running', `${t.commands.grubReboot.join(' ')} ${ENTRY_ID} (one-shot)`);
    // Only GRUB writes BOOTED_VAR, at boot; none happened since step 1 read grubenv.
    if (editenvOk && bootedVarSet) await run([...t.commands.grubEditenv, 'unset', BOOTED_VAR]);
    await run([...t.commands.grubReboot, ENTRY_ID]);
    if (o.noReboot) {
      emit('reboot', 'skipped', `the next boot of ${host} tries "${ENTRY_ID}" once (--no-reboot); if ACRN does not come up, the following boot uses the previous default`);
      emit('verify', 'skipped', 'not rebooted');
      return { target: host, entryId: ENTRY_ID, imagePath: realImage, sha256: sha, previousImage: prevAvailable ? prevImage : undefined, grubScript: script, rebooted: false, bootIdBefore, bootIdAfter: undefined, defaultSet: false };
    }
    const total = o.rebootTimeoutMs ?? 300_000;
    const t0 = Date.now();
    emit('reboot', 'progress', `rebooting ${host}`, 0);
    const down = conn.closed;
    // The reboot command often never answers: the connection drops first.
    const rb = conn.exec(t.commands.reboot, { sudo: true }).catch((e: unknown) => {
      if (e instanceof ConnectionLostError) return undefined;
      throw e;
    });
    const first = await Promise.race([rb.then((r) => ({ r })), down.then(() => ({ r: undefined }))]);
    if (first.r && first.r.code !== 0) fail(`${t.commands.reboot.join(' ')} failed: ${first.r.stderr.trim() || `exit ${first.r.code}`}`);
    let downTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      down,
      new Promise<void>((_r, rej) => (downTimer = setTimeout(() => rej(new DeployError('reboot', host, `the board did not go down within ${Math.round(total / 1000)} s after ${t.commands.reboot.join(' ')}`)), total))),
    ]).finally(() => clearTimeout(downTimer));
    conn.close();
    conn = undefined;
    emit('reboot', 'progress', `${host} went down; waiting for SSH to come back`, 0.1);
    let delay = 200;
    let lastErr = '';
    for (let attempt = 1; ; attempt++) {
      const left = total - (Date.now() - t0);
      if (left <= 0) fail(`the board did not come back within ${Math.round(total / 1000)} s (last error: ${lastErr}): the new image probably hangs. Power-cycle the board: it will boot "${describeDefault(defBefore)}", the default before this deploy, unchanged`);
      try {
        conn = await SshConnection.connect(t, { ...connectOpts, onUnknownHostKey: undefined, readyTimeoutMs: Math.max(1000, Math.min(10_000, left)) } as ConnectOptions);
        break;
      } catch (e) {
        if (e instanceof ChangedHostKeyError || e instanceof UnknownHostKeyError || e instanceof AbortedError) throw e;
        lastErr = (e as Error).message;
        const el = Date.now() - t0;
        emit('reboot', 'progress', `waiting for ${host} (${Math.round(el / 1000)} s, attempt ${attempt})`, Math.min(0.95, el / total));
        await sleep(Math.min(delay, Math.max(0, total - el)), signal);
        delay = Math.min(2000, Math.round(delay * 1.6));
      }
    }
    rebooted = true;
    emit('reboot', 'done', `${host} is back after ${((Date.now() - t0) / 1000).toFixed(1)} s`, 1);
    if (lock !== 'unavailable') {
      // The lock went with the old connection; take it again before judging the boot.
      step = 'verify';
      lock = 'none';
      const again = await takeLock(conn, cmdTimeout, { sudo: t.sudo, waitS: 0, silenceS });
      if ('busy' in again) fail(`another acrn-nest deploy to ${host} started while the board rebooted; the default entry was not changed`);
      if ('unavailable' in again) fail(`${lockUnavailableMessage(host, again.unavailable)}. The new entry was not made the default`);
      lock = 'held' in again ? again.held : 'unavailable';
    }

    // ---- 5 verify
    step = 'verify';
    emit('verify', 'running', `checking the boot id, ${t.hypervisorProbe} and the new image's tokens in /proc/cmdline`);
    bootIdAfter = (await run(['cat', '/proc/sys/kernel/random/boot_id'], { sudo: false })).stdout.trim();
    if (bootIdAfter === bootIdBefore) fail(`the board did not reboot (same boot id ${bootIdAfter})`);
    const [hv, procCmdline, envNow] = await Promise.all([
      exec(['test', '-e', t.hypervisorProbe], { sudo: false }),
      exec(['cat', '/proc/cmdline'], { sudo: false }),
      editenvOk ? exec([...t.commands.grubEditenv, 'list']) : Promise.resolve(undefined),
    ]);
    const grubStarted = envNow ? parseGrubEnv(envNow.stdout).get(BOOTED_VAR) : undefined;
    const words = procCmdline.stdout.trim().split(/\s+/);
    const tokenOf = (k: string): string | undefined => words.filter((w) => w.startsWith(`${k}=`)).pop()?.slice(k.length + 1);
    const bootedEntry = tokenOf(TOKEN_ENTRY);
    const bootedImage = tokenOf(TOKEN_IMAGE);
    const what = `it booted ${bootedEntry ? `entry "${bootedEntry}"${bootedImage ? ` (image ${bootedImage})` : ''}` : `"${describeDefault(defBefore)}" or another entry without acrn-nest's tokens`}${grubStarted && grubStarted !== bootedEntry ? `; GRUB last started "${grubStarted}", which did not come up` : ''}`;
    if (hv.code !== 0) {
      fail(`the board came back without the hypervisor (no ${t.hypervisorProbe}): the new image did not boot, ${what}. The default entry was not changed`);
    }
    if (bootedEntry !== ENTRY_ID || bootedImage !== sha.slice(0, 16)) {
      fail(`the board runs a hypervisor, but not the new image (its /proc/cmdline lacks ${bootTokens(ENTRY_ID, sha)}): ${what}. The default entry was not changed`);
    }
    await run([...t.commands.grubSetDefault, ENTRY_ID]);
    await run(['sync']);
    const now = await readDefault();
    if (now.entry?.id !== ENTRY_ID) fail(`grub-set-default ${ENTRY_ID} ran, but a plain reboot would still boot "${describeDefault(now)}" (GRUB_DEFAULT ${now.savedMode ? 'is saved' : `is ${JSON.stringify(now.expr)}`})`);
    defaultSet = true;
    emit('verify', 'done', `the new image runs (new boot id ${bootIdAfter.slice(0, 8)}…, ${t.hypervisorProbe} present, ${TOKEN_IMAGE}=${sha.slice(0, 16)} in /proc/cmdline); "${ENTRY_ID}" is now what a plain reboot boots`, 1);
    return { target: host, entryId: ENTRY_ID, imagePath: realImage, sha256: sha, previousImage: prevAvailable ? prevImage : undefined, grubScript: script, rebooted, bootIdBefore, bootIdAfter, defaultSet };
  } catch (e) {
    const err = e instanceof DeployError ? e : new DeployError(step, host, (e as Error).message, e);
    emit(err.step, 'failed', err.reason);
    // Temp files are ours to remove only while no other deploy may own them: never when the lock
    // was refused (they are the other deploy's).
    if ((err.step === 'check' || err.step === 'upload' || err.step === 'grub') && lock !== 'none') {
      const cleaned = await cleanup(t, connectOpts, conn, [...allTemps(), ...(staging ? [staging] : [])], cmdTimeout);
      if (!cleaned) err.message += `. Could not remove the temporary files (${tmpImage}); the next deploy removes them`;
    }
    throw err;
  } finally {
    if (conn && staging) await conn.exec(['rm', '-rf', '--', staging]).catch(() => undefined);
    if (typeof lock === 'object') await lock.release();
    conn?.close();
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
