/**
 * Console sources that live on another machine, reached over SSH (hv-core/ssh-target, host keys
 * verified): a serial device on the host the USB-serial cable is plugged into, the hypervisor log
 * on the Service VM (acrnlog), an L2 guest's serial socket (streamlocal forwarding).
 *
 * Long-running remote scripts end themselves when our side closes the channel: a watcher reads
 * the channel's stdin and, at EOF, kills the script's process group (`kill 0`), so nothing is
 * left reading a tty or a log on the board.
 */
import { shq } from '../ssh-target/quote.js';
import { L2Error, L2Manager, type L2ManagerOptions } from '../l2/manager.js';
import { checkName } from '../l2/qemu.js';
import type { HostProvider, RemoteHost, RemoteProcess } from './remote.js';
import type { SerialOptions } from './serial.js';
import { serialLineLabel } from './serial.js';
import type { ConsoleLink, ConsoleSource } from './source.js';
import { ConsoleError, StreamLink, duplexLink } from './source.js';

async function hostOrError(provider: HostProvider, what: string): Promise<RemoteHost> {
  try {
    return await provider();
  } catch (e) {
    throw new ConsoleError(`${what}: ${(e as Error).message}`, isPermanentSshError(e));
  }
}

function isPermanentSshError(e: unknown): boolean {
  const n = (e as Error).name;
  return n === 'ChangedHostKeyError' || n === 'UnknownHostKeyError' || n === 'TargetError';
}

/**
 * Wraps a remote process as a link: stdout is the console; stderr is kept so the link's end can
 * say why (the script's own message), and the channel's end tells us the script is gone.
 */
function processLink(proc: RemoteProcess, readOnly: boolean, what: string): ConsoleLink {
  let err = '';
  proc.stderr.on('data', (d: Buffer) => {
    err = (err + d.toString('utf8')).slice(-2000);
  });
  let exitCode: number | null | undefined;
  let exitSignal: string | undefined;
  proc.on('exit', (code: number | null, signal?: string) => {
    exitCode = code;
    exitSignal = signal;
  });
  const link = new StreamLink(proc, readOnly ? undefined : proc, readOnly, (e) => new ConsoleError(`${what}: ${e.message}`));
  const origFinish = link.finish.bind(link);
  link.finish = (e: Error | undefined): void => {
    const why = err.trim().split('\n').filter(Boolean).pop();
    origFinish(e ?? (why ? new ConsoleError(`${what}: ${why}`) : exitSignal ? new ConsoleError(`${what}: the remote command was killed (SIG${exitSignal})`) : exitCode !== undefined && exitCode !== null && exitCode !== 0 ? new ConsoleError(`${what}: the remote command exited with status ${exitCode}`) : undefined));
  };
  const origClose = link.close.bind(link);
  link.close = (): void => {
    proc.end();
    origClose();
  };
  return link;
}

/** Waits for the script's first byte on stdout or its exit, so a refusal (no device) is a connect error. */
/** What a host without sh says to `sh -c ...` (OpenSSH: "sh: command not found" or "sh: not found"). */
const NO_SHELL = /(^|[\s:])sh: (command )?not found/m;

function firstOutputOrExit(proc: RemoteProcess, what: string, readyMarker: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let err = '';
    const onErr = (d: Buffer): void => {
      err += d.toString('utf8');
    };
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      const i = buf.indexOf(readyMarker);
      if (i >= 0) {
        cleanup();
        resolve(buf.subarray(i + readyMarker.length));
      }
    };
    const onClose = (): void => {
      cleanup();
      const last = err.trim().split('\n').filter(Boolean).pop() ?? 'the remote command ended';
      // No sh on the other side (a bare appliance, the demo's board simulator): retrying cannot help.
      if (NO_SHELL.test(err)) reject(new ConsoleError(`${what}: the host has no POSIX shell to run this console's script (${last}); give the target a console of its own (its "console" setting: serial, ssh-serial or tcp)`, true));
      else reject(new ConsoleError(`${what}: ${last}`));
    };
    function cleanup(): void {
      proc.pause();
      proc.off('data', onData);
      proc.off('close', onClose);
      proc.stderr.off('data', onErr);
    }
    proc.on('data', onData);
    proc.on('close', onClose);
    proc.stderr.on('data', onErr);
  });
}

const READY = '\u0001acrn-nest-ready\u0002\n';
const WATCHER = `exec 4<&0; { cat <&4 >/dev/null; kill 0; } 2>/dev/null &`;

async function startScript(host: RemoteHost, script: string, readOnly: boolean, what: string): Promise<ConsoleLink> {
  let proc: RemoteProcess;
  try {
    proc = await host.spawn(script);
  } catch (e) {
    throw new ConsoleError(`${what}: ${(e as Error).message}`);
  }
  let rest: Buffer;
  try {
    rest = await firstOutputOrExit(proc, what, READY);
  } catch (e) {
    proc.destroy();
    throw e;
  }
  if (rest.length) proc.unshift(rest);
  return processLink(proc, readOnly, what);
}

export interface SshSerialOptions extends SerialOptions {
  /** For labels: the host the device is on. */
  hostLabel: string;
}

/** The stty words for a line setting. */
export function sttyArgs(o: SerialOptions): string[] {
  const baud = o.baudRate ?? 115200;
  const parity = o.parity ?? 'none';
  const words = [String(baud), `cs${o.dataBits ?? 8}`, o.stopBits === 2 ? 'cstopb' : '-cstopb'];
  if (parity === 'none') words.push('-parenb');
  else if (parity === 'even') words.push('parenb', '-parodd');
  else if (parity === 'odd') words.push('parenb', 'parodd');
  else throw new ConsoleError(`serial parity ${parity} is not supported over SSH (stty): use none, even or odd`, true);
  words.push('raw', '-echo', '-ixoff', o.xon ? 'ixon' : '-ixon', o.rtscts ? 'crtscts' : '-crtscts', 'clocal');
  return words;
}

/** A serial device on another host over SSH: stty sets the line, cat moves the bytes both ways. */
export class SshSerialSource implements ConsoleSource {
  readonly kind = 'ssh-serial' as const;
  readonly readOnly = false;
  readonly label: string;

  constructor(
    private readonly provider: HostProvider,
    private readonly opts: SshSerialOptions,
  ) {
    if (!opts.path || !opts.path.startsWith('/')) throw new ConsoleError(`ssh-serial console: the device path must be absolute (e.g. /dev/ttyUSB0), not "${opts.path}"`, true);
    this.label = `serial ${opts.path} on ${opts.hostLabel} ${serialLineLabel(opts)}`;
    sttyArgs(opts);
  }

  async connect(): Promise<ConsoleLink> {
    const what = `serial ${this.opts.path} on ${this.opts.hostLabel}`;
    const host = await hostOrError(this.provider, what);
    const dev = shq(this.opts.path);
    // In a subshell: the login shell may be a session leader, and a session leader that opens a
    // tty makes it its controlling terminal (a hangup would then kill us before we can say why).
    const script = ['(',
      `[ -e ${dev} ] || { echo "no such device on $(hostname) (unplugged, or the wrong path?)" >&2; exit 2; }`,
      `{ [ -r ${dev} ] && [ -w ${dev} ]; } || { echo "permission denied as $(id -un) (add the user to the dialout group)" >&2; exit 3; }`,
      `stty ${sttyArgs(this.opts).map(shq).join(' ')} <${dev} || { echo "stty could not set the line" >&2; exit 4; }`,
      `exec 3<>${dev} || exit 5`,
      `printf '%s' ${shq(READY)}`,
      `{ cat <&3; echo "the device stopped delivering data (unplugged?)" >&2; kill 0; } &`,
      `cat >&3`,
      `kill 0`,
      ')',
    ].join('\n');
    return startScript(host, script, false, what);
  }
}

export interface AcrnLogOptions {
  hostLabel: string;
  /** Lines of history shown first. Default 200. */
  historyLines?: number;
  /** Default /var/log/acrnlog. */
  logDir?: string;
}

/**
 * The hypervisor log read from the Service VM: acrnlog's files (/var/log/acrnlog/acrnlog_cur.N,
 * rotated) when the acrnlog service runs, else the acrn_hvlog devices (/dev/acrn_hvlog_cur_*).
 * Read-only: a log, not the hypervisor shell.
 */
export class AcrnLogSource implements ConsoleSource {
  readonly kind = 'acrnlog' as const;
  readonly readOnly = true;
  readonly label: string;

  constructor(
    private readonly provider: HostProvider,
    private readonly opts: AcrnLogOptions,
  ) {
    this.label = `hypervisor log (acrnlog) on ${opts.hostLabel}, read-only — not a shell`;
  }

  async connect(): Promise<ConsoleLink> {
    const what = `hypervisor log on ${this.opts.hostLabel}`;
    const host = await hostOrError(this.provider, what);
    const d = shq(this.opts.logDir ?? '/var/log/acrnlog');
    const n = Math.max(0, Math.floor(this.opts.historyLines ?? 200));
    // One tail for history and follow (no gap between them): the existing files oldest first,
    // then every name acrnlog may rotate to (-F waits for them), relative to the log dir.
    const script = [
      WATCHER,
      `if cd ${d} 2>/dev/null && ls acrnlog_cur.* >/dev/null 2>&1; then`,
      `  set --`,
      `  for f in $(ls -tr acrnlog_cur.*); do set -- "$@" "$f"; done`,
      `  for i in 0 1 2 3 4 5 6 7; do case " $* " in *" acrnlog_cur.$i "*) ;; *) set -- "$@" "acrnlog_cur.$i";; esac; done`,
      `  printf '%s' ${shq(READY)}`,
      `  tail -q -n ${n} -F "$@" 2>/dev/null`,
      `elif ls /dev/acrn_hvlog_cur_* >/dev/null 2>&1; then`,
      `  for f in /dev/acrn_hvlog_cur_*; do [ -r "$f" ] || { echo "no permission to read $f as $(id -un) (the acrn_hvlog devices need root)" >&2; exit 3; }; done`,
      `  printf '%s' ${shq(READY)}`,
      `  for f in /dev/acrn_hvlog_cur_*; do cat "$f" & done; wait`,
      `else`,
      `  echo "no hypervisor log on $(hostname): neither "${shq(`${this.opts.logDir ?? '/var/log/acrnlog'}/acrnlog_cur.*`)}" (start the acrnlog service) nor /dev/acrn_hvlog_cur_* (needs a debug build of ACRN and the acrn_hvlog driver)" >&2; exit 2`,
      `fi`,
      `kill 0`,
    ].join('\n');
    return startScript(host, script, true, what);
  }
}

/** An L2 guest's serial console: its Unix socket on the Service VM, through streamlocal forwarding. */
export class L2ConsoleSource implements ConsoleSource {
  readonly kind = 'l2' as const;
  readonly readOnly = false;
  readonly label: string;

  constructor(
    private readonly provider: HostProvider,
    private readonly name: string,
    hostLabel: string,
    private readonly managerOpts: L2ManagerOptions = {},
  ) {
    checkName(name);
    this.label = `L2 guest ${name} on ${hostLabel}`;
  }

  async connect(): Promise<ConsoleLink> {
    const host = await hostOrError(this.provider, this.label);
    const m = new L2Manager(host, this.managerOpts);
    try {
      const stream = await m.attach(this.name);
      return duplexLink(stream, false, (e) => new ConsoleError(`${this.label}: ${e.message}`));
    } catch (e) {
      const msg = (e as Error).message;
      const stopped = e instanceof L2Error && /not running|no such guest/.test(msg);
      throw new ConsoleError(stopped ? `${this.label}: ${msg.replace(/^.*?: attaching to L2 guest "[^"]*": /, '')}` : msg, stopped);
    }
  }
}
