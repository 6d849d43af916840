/**
 * The board-wide deploy lock: one deploy (or GRUB edit) at a time per board, held by `flock` on
 * the board for as long as heartbeats come over its SSH channel, so a deploy whose cable was cut
 * lets go by itself after the silence limit. Used by deploy.ts; open to other GRUB editors.
 */
import type { ClientChannel } from 'ssh2';
import type { SshConnection } from '../ssh-target/connection.js';
import { channelExit } from '../ssh-target/connection.js';

/** The board-wide deploy lock (on tmpfs: a reboot clears it; world-writable, so no sudo). */
export const DEPLOY_LOCK = '/run/lock/acrn-nest-deploy.lock';
const LOCK_BUSY = 75;

export type LockResult = { held: HeldLock } | { busy: true } | { unavailable: string };

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

export interface LockOptions {
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
export async function takeLock(conn: SshConnection, timeoutMs: number, lo: LockOptions): Promise<LockResult> {
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

export function lockUnavailableMessage(host: string, why: string): string {
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

export function lockBusyMessage(host: string, waitedS: number): string {
  return `another acrn-nest deploy to ${host} is in progress (it holds ${DEPLOY_LOCK} on the board${waitedS > 0 ? `; waited ${waitedS} s` : ''}). Nothing was changed; try again when it has finished. The lock goes away by itself when that deploy ends, or a minute after its connection drops`;
}
