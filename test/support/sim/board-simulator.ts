/**
 * THE BOARD SIMULATOR: a stand-in for the NUC's Service VM, for the demo and for tests of what
 * loopback cannot show (a reboot, a failed boot, a cut connection). It is named as a simulator in
 * every banner and message. Nothing here runs a real shell.
 *
 * A test double, so it lives under test support, not in the engine: no bundle ships it (the
 * extension and the CLI never import it). Its users: the integration and end-to-end tests, and
 * the demo, which starts it with tsx (scripts/board-sim.ts, scripts/demo.sh). It uses hv-core's
 * modules directly (quote, known-hosts, keys, the XML model, GRUB parsing), as tests may.
 *
 * - SSH server (ssh2's Server) on 127.0.0.1, random or given port, host key generated per run,
 *   public-key auth against the given authorized keys; user `acrn` with sudo by default.
 * - exec: the command line is split POSIX-style (quotes, backslashes; any unquoted `;|&<>$()` is
 *   refused) and a handful of commands run with real semantics inside the sandbox folder `dir`
 *   (board path `/x/y` is `dir/root/x/y`): sudo, env, which, test, stat, cat, sha256sum, mv, cp,
 *   rm, mkdir, chmod, mktemp, df, printf, echo, true, update-grub, grub-reboot, grub-set-default,
 *   grub-editenv, reboot. SFTP works on the same sandbox. flock with acrn-nest's lock script
 *   (`-n` or `-w SECONDS`) holds a lock (kept in memory, like /run on tmpfs: a reboot clears it)
 *   while its channel is open and heartbeat bytes come, as util-linux flock does with the script.
 * - GRUB: update-grub collects menu entries from the executable `NN_*` scripts in /etc/grub.d
 *   (here-document and `exec tail -n +3 $0` styles) after the simulator's own "Ubuntu" entry into
 *   /boot/grub/grub.cfg (written to grub.cfg.new then renamed, as grub-mkconfig does); grubenv keeps
 *   next_entry (one shot) and saved_entry.
 * - reboot: drops every SSH connection, refuses new ones for `rebootDelayMs`, then boots
 *   next_entry ?? saved_entry ?? the first entry, with a new /proc/sys/kernel/random/boot_id. An
 *   ACRN entry boots when its multiboot2 image exists, carries the multiboot2 header magic and no
 *   `ACRN_NEST_SIM_BAD_IMAGE` marker, and its kernel module exists with the expected tag; then
 *   /dev/acrn_hsm exists. A bad image "hangs", the watchdog resets, and the board falls back to
 *   the saved default entry.
 * - faults: `cutOnce(trigger)` cuts every connection (like pulling the cable) the first time the
 *   trigger fires: before an upload (SFTP open for writing), after N uploaded bytes, after an
 *   upload (sha256sum of a temp file), when a command starts (e.g. update-grub), or right after
 *   the board comes back from a reboot (`boot`). `holdOnce(command)` pauses the first run of a
 *   command until the test releases it (a deploy caught in the middle, for concurrency tests).
 * - hypervisor console: raw TCP on 127.0.0.1:`consolePort` (like ser2net on a UART): a banner,
 *   the `ACRN:\>` prompt and `help`, `version`, `vm_list`, `vcpu_list` answered from the deployed
 *   scenario (`<image>.scenario.xml` next to the booted image). Lines end in CRLF as on a UART.
 * - hypervisor log over SSH: acrn-nest's acrnlog console script (`sh -c`, the one shell command
 *   the simulator answers) gets the log since boot, as from /dev/acrn_hvlog_cur_* of a debug ACRN.
 */
import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import net from 'node:net';
import nodePath from 'node:path';
import type { Connection, ParsedKey, ServerChannel, AcceptConnection, RejectConnection, Session, ExecInfo } from 'ssh2';
import { Server, utils } from 'ssh2';
import { splitCommand } from '../../../hv-core/ssh-target/quote.js';
import { fingerprint } from '../../../hv-core/ssh-target/known-hosts.js';
import { generateEd25519 } from '../../../hv-core/ssh-target/keys.js';
import { parseXml } from '../../../hv-core/xml/parser.js';
import { defaultBoot, parseGrubCfg } from '../../../hv-core/deploy/grubcfg.js';
import { multiboot2Header } from '../../../hv-core/deploy/grub.js';
import { attr, childrenNamed, path as xpath, valueOf } from '../../../hv-core/xml/model.js';

export const SIM_NAME = 'acrn-nest board simulator';
export const BAD_IMAGE_MARKER = 'ACRN_NEST_SIM_BAD_IMAGE';

export type FaultTrigger =
  | { kind: 'upload-open'; pathIncludes?: string }
  | { kind: 'upload-bytes'; bytes: number; pathIncludes?: string }
  | { kind: 'after-upload' }
  | { kind: 'command'; name: string }
  | { kind: 'boot' };

export interface BoardSimulatorOptions {
  /** Sandbox folder (created); the board's file system lives in `dir/root`. */
  dir: string;
  /** SSH port on 127.0.0.1; 0 = random. */
  port?: number;
  /** Console TCP port on 127.0.0.1; 0 = random; false = none. */
  consolePort?: number | false;
  /** OpenSSH public key lines allowed to log in. */
  authorizedKeys: string[];
  /** Login user; default `acrn` (uses sudo); `root` needs no sudo. */
  user?: string;
  /** When set, sudo asks for it (sudo -S); otherwise sudo is NOPASSWD. */
  sudoPassword?: string;
  /** How long the board is down during a reboot; default 1500 ms. */
  rebootDelayMs?: number;
  /**
   * The console server goes down with the board (a console served by the board itself, e.g.
   * Intel AMT serial-over-LAN): reboot drops console connections and refuses new ones while
   * down. Default false (ser2net on another machine: the TCP connection survives the reboot).
   */
  consoleDropsOnReboot?: boolean;
  /**
   * GRUB_DEFAULT in /etc/default/grub: "saved" (default here), "0" as Ubuntu ships it, or a title
   * as ACRN's grub-acrn sets it. update-grub writes it into grub.cfg the way 00_header does.
   */
  grubDefault?: string;
  /** The Service VM kernel's tag the simulated ACRN expects; default Linux_bzImage. */
  kernelTag?: string;
  /** Free space df reports for /boot, in KiB; default 1 GiB. */
  freeKiB?: number;
  /** Host key (PEM/OpenSSH private key); default: a new ed25519 key per run. */
  hostKey?: string;
  log?: (line: string) => void;
}

interface GrubMenuEntry {
  id: string;
  title: string;
  image?: string;
  /** The multiboot2 command line after the image. */
  cmdline?: string;
  modules: { path: string; tag: string }[];
  /** `set k=v` lines, and the names passed to `save_env` (written to grubenv when it boots). */
  vars: Record<string, string>;
  saveEnv: string[];
}

interface CommandResult {
  code: number;
  stdout?: string | Buffer;
  stderr?: string;
}

const KNOWN_COMMANDS = ['sudo', 'env', 'flock', 'which', 'test', 'stat', 'cat', 'sha256sum', 'mv', 'cp', 'rm', 'mkdir', 'chmod', 'mktemp', 'df', 'printf', 'echo', 'true', 'sync', 'update-grub', 'grub-reboot', 'grub-set-default', 'grub-editenv', 'reboot'];


/** Ends an exec channel with an exit status (and stderr first); nothing if the connection is gone. */
function endChannel(ch: ServerChannel, code: number, stderr = ''): void {
  try {
    if (stderr) ch.stderr.write(stderr);
    ch.exit(code);
    ch.end();
  } catch {
    /* connection gone */
  }
}

/** Splits a GRUB script line into words (sh-like quoting). */
function grubWords(line: string): string[] {
  const out: string[] = [];
  const re = /'((?:[^'])*)'|"((?:[^"\\]|\\.)*)"|(\\.|[^\s'"])+/g;
  let cur = '';
  let last = -1;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) {
    if (last >= 0 && m.index > last) {
      out.push(cur);
      cur = '';
    }
    cur += m[1] ?? m[2]?.replace(/\\(.)/g, '$1') ?? m[0].replace(/\\(.)/g, '$1');
    last = re.lastIndex;
  }
  if (last >= 0) out.push(cur);
  return out;
}

export class BoardSimulator extends EventEmitter {
  readonly root: string;
  port = 0;
  consolePort = 0;
  /** `ssh-ed25519 AAAA...` */
  hostKeyPub = '';
  /** OpenSSH SHA256 fingerprint of the host key. */
  hostFingerprint = '';
  /** Every exec'd command line, in order, and `[acrn-nest board simulator] ...` notes on dropped connections (tests, demo log). */
  readonly commandLog: string[] = [];
  bootId = randomUUID();
  bootCount = 0;
  /** The entry the board runs now. */
  bootedEntry = 'ubuntu';
  acrnRunning = false;
  private up = true;
  private faults: FaultTrigger[] = [];
  private holds: { name: string; reached: () => void; released: Promise<void> }[] = [];
  /** Lock file -> the channel holding it (flock). */
  private readonly locks = new Map<string, ServerChannel>();
  /** Deploys waiting (flock -w) for a lock, first come first served. */
  private readonly lockWaiters = new Map<string, (() => void)[]>();
  private readonly sockets = new Set<net.Socket>();
  private readonly consoleSockets = new Set<net.Socket>();
  private ssh!: Server;
  private tcp!: net.Server;
  private consoleSrv: net.Server | undefined;
  private allowed: ParsedKey[] = [];
  private scenarioText: string | undefined;
  private rebootTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(readonly opts: BoardSimulatorOptions) {
    super();
    this.root = nodePath.join(opts.dir, 'root');
  }

  get user(): string {
    return this.opts.user ?? 'acrn';
  }

  /** Starts the simulator (SSH server and console) with a fresh sandbox unless one exists. */
  static async start(opts: BoardSimulatorOptions): Promise<BoardSimulator> {
    const sim = new BoardSimulator(opts);
    await sim.init();
    return sim;
  }

  private log(line: string): void {
    this.opts.log?.(`[${SIM_NAME}] ${line}`);
  }

  /** Board path -> sandbox path (never escapes the sandbox). */
  boardPath(p: string): string {
    const norm = nodePath.posix.normalize(nodePath.posix.isAbsolute(p) ? p : `/home/${this.user}/${p}`);
    return nodePath.join(this.root, ...norm.split('/').filter((x) => x && x !== '..'));
  }

  readFile(p: string): Buffer {
    return fs.readFileSync(this.boardPath(p));
  }

  exists(p: string): boolean {
    return fs.existsSync(this.boardPath(p));
  }

  /** grubenv as a map. */
  grubEnv(): Record<string, string> {
    const out: Record<string, string> = {};
    const f = this.boardPath('/boot/grub/grubenv');
    if (!fs.existsSync(f)) return out;
    for (const l of fs.readFileSync(f, 'utf8').split('\n')) {
      const i = l.indexOf('=');
      if (i > 0 && !l.startsWith('#')) out[l.slice(0, i)] = l.slice(i + 1);
    }
    return out;
  }

  private writeGrubEnv(env: Record<string, string>): void {
    let text = '# GRUB Environment Block\n' + Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join('');
    text = text.padEnd(1024, '#');
    fs.writeFileSync(this.boardPath('/boot/grub/grubenv'), text);
  }

  /**
   * Pauses the first run of `command` (before it does anything) until `release()`; `reached`
   * resolves when a run is paused there.
   */
  holdOnce(command: string): { reached: Promise<void>; release(): void } {
    let reached!: () => void;
    let release!: () => void;
    const r = new Promise<void>((res) => (reached = res));
    const released = new Promise<void>((res) => (release = res));
    this.holds.push({ name: command, reached, released });
    return { reached: r, release };
  }

  /** Lock files held now (flock), for tests. */
  heldLocks(): string[] {
    return [...this.locks.keys()];
  }

  /** Arms a one-shot fault: the first time it triggers, every connection is cut. */
  cutOnce(trigger: FaultTrigger): void {
    this.faults.push(trigger);
  }

  private fire(match: (f: FaultTrigger) => boolean): boolean {
    const i = this.faults.findIndex(match);
    if (i < 0) return false;
    const f = this.faults.splice(i, 1)[0]!;
    this.log(`fault injected: connection cut (${JSON.stringify(f)})`);
    this.cutAll(`fault ${JSON.stringify(f)}`);
    return true;
  }

  /** Drops every SSH connection at once (the cable is pulled). */
  cutAll(why = 'cut'): void {
    this.commandLog.push(`[${SIM_NAME}] every connection dropped (${why}, ${this.sockets.size} open)`);
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    // sshd ends the sessions of a dropped connection: each `flock ... cat` dies and its lock goes.
    this.locks.clear();
    this.lockWaiters.clear();
  }

  private async init(): Promise<void> {
    const o = this.opts;
    for (const d of ['boot/grub', 'etc/grub.d', 'etc/default', 'proc/sys/kernel/random', 'dev', 'tmp', 'run/lock', `home/${this.user}`, 'usr/sbin']) fs.mkdirSync(nodePath.join(this.root, d), { recursive: true });
    const put = (p: string, content: string, mode = 0o644): void => {
      const f = this.boardPath(p);
      if (!fs.existsSync(f)) fs.writeFileSync(f, content, { mode });
    };
    put('/boot/vmlinuz', 'board simulator: Service VM kernel (bzImage stand-in)\n');
    put('/etc/grub.d/00_header', '#!/bin/sh\n# board simulator: GRUB header (stand-in)\n', 0o755);
    put('/etc/grub.d/10_linux', '#!/bin/sh\n# board simulator: the Ubuntu entry comes from here (stand-in)\n', 0o755);
    put('/etc/grub.d/40_custom', "#!/bin/sh\nexec tail -n +3 $0\n# This file provides an easy way to add custom menu entries.\n", 0o755);
    put('/etc/default/grub', `GRUB_DEFAULT=${this.opts.grubDefault ?? 'saved'}\nGRUB_TIMEOUT=3\n`);
    if (!fs.existsSync(this.boardPath('/boot/grub/grubenv'))) this.writeGrubEnv({});
    if (!fs.existsSync(this.boardPath('/boot/grub/grub.cfg'))) this.updateGrub();
    this.boot(false);

    const hostKey = o.hostKey ?? generateEd25519().private;
    const parsedHost = utils.parseKey(hostKey);
    if (parsedHost instanceof Error) throw parsedHost;
    const pub = parsedHost.getPublicSSH();
    this.hostKeyPub = `${parsedHost.type} ${pub.toString('base64')}`;
    this.hostFingerprint = fingerprint(pub);
    for (const line of o.authorizedKeys) {
      const k = utils.parseKey(line);
      if (k instanceof Error) throw new Error(`${SIM_NAME}: bad authorized key: ${k.message}`);
      this.allowed.push(k);
    }
    this.ssh = new Server({ hostKeys: [hostKey], ident: 'OpenSSH_9.2p1 acrn-nest-board-simulator' }, (client) => this.onClient(client));
    this.tcp = net.createServer((sock) => {
      if (!this.up) {
        sock.destroy();
        return;
      }
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
      sock.on('error', () => undefined);
      this.ssh.injectSocket(sock);
    });
    this.port = await listen(this.tcp, o.port ?? 0);
    if (o.consolePort !== false) {
      this.consoleSrv = net.createServer((s) => this.onConsole(s));
      this.consolePort = await listen(this.consoleSrv, o.consolePort ?? 0);
    }
    this.log(`SSH on 127.0.0.1:${this.port} (user ${this.user}, host key ${this.hostFingerprint})${this.consolePort ? `, hypervisor console on 127.0.0.1:${this.consolePort}` : ''}, sandbox ${this.root}`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.rebootTimer) clearTimeout(this.rebootTimer);
    this.cutAll('stop');
    for (const s of this.consoleSockets) s.destroy();
    await Promise.all([new Promise<void>((r) => this.tcp.close(() => r())), this.consoleSrv ? new Promise<void>((r) => this.consoleSrv!.close(() => r())) : Promise.resolve()]);
  }

  // ---------------------------------------------------------------- SSH

  private onClient(client: Connection): void {
    // Kept in the command log: a test that sees a dropped connection can tell why.
    client.on('error', (e: Error) => this.commandLog.push(`[${SIM_NAME}] SSH connection error: ${e.message}`));
    client.on('authentication', (ctx) => {
      if (ctx.username !== this.user) return ctx.reject(['publickey']);
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      const k = this.allowed.find((a) => a.type === ctx.key.algo && a.getPublicSSH().equals(ctx.key.data));
      if (!k) return ctx.reject(['publickey']);
      if (!ctx.signature) return ctx.accept();
      if (!ctx.blob || k.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
      ctx.accept();
    });
    client.on('ready', () => {
      client.on('session', (accept: AcceptConnection<Session>, _reject: RejectConnection) => {
        const session = accept();
        session.on('exec', (acc: AcceptConnection<ServerChannel>, _rej: RejectConnection, info: ExecInfo) => this.onExec(acc(), info.command));
        session.on('sftp', (acc) => this.onSftp(acc()));
      });
    });
  }

  private onExec(ch: ServerChannel, line: string): void {
    this.commandLog.push(line);
    if (/^(sudo (-[nS]|-p '?'?|--| )*)?flock /.test(line)) {
      this.onFlock(ch, line);
      return;
    }
    const chunks: Buffer[] = [];
    let ended = false;
    let started = false;
    const finish = (r: CommandResult): void => {
      try {
        if (r.stdout !== undefined && r.stdout.length) ch.write(r.stdout);
        if (r.stderr) ch.stderr.write(r.stderr);
        ch.exit(r.code);
        ch.end();
      } catch {
        /* connection gone */
      }
    };
    const go = (): void => {
      if (started) return;
      started = true;
      void this.runLine(line, Buffer.concat(chunks)).then(finish, (e: unknown) => finish({ code: 1, stderr: `${SIM_NAME}: ${(e as Error).message}\n` }));
    };
    ch.on('data', (d: Buffer) => chunks.push(d));
    ch.on('end', () => {
      ended = true;
      go();
    });
    ch.on('error', () => undefined);
    // Commands that read stdin wait for EOF; the rest start at once.
    let argv: string[] = [];
    try {
      argv = splitCommand(line);
    } catch {
      /* reported by runLine */
    }
    if (argv.length === 3 && argv[0] === 'sh' && argv[1] === '-c' && argv[2]!.includes('/dev/acrn_hvlog_cur_')) {
      this.onHypervisorLog(ch, argv[2]!);
      return;
    }
    const needsStdin = (argv[0] === 'sudo' && argv.includes('-S')) || (argv[0] === 'cat' && argv.length === 1);
    if (!needsStdin || ended) go();
  }

  /**
   * The hypervisor log over SSH, as acrn-nest's console reads it on a Service VM (`sh -c` with
   * acrnlog's files or /dev/acrn_hvlog_cur_*): the simulator has no shell, so it answers that one
   * script as sh would on a board with a debug ACRN and no acrnlog service: the script's ready
   * marker and the log since boot, then nothing more until the session ends.
   */
  private onHypervisorLog(ch: ServerChannel, script: string): void {
    const end = (code: number, stderr = ''): void => endChannel(ch, code, stderr);
    if (!this.acrnRunning) {
      end(2, `no hypervisor log on ${SIM_NAME}: ACRN is not running (booted '${this.bootedEntry}')\n`);
      return;
    }
    // The marker the script prints before the log (printf '%s' '<marker>').
    const m = /printf '%s' ('(?:[^']|'\\'')*')/.exec(script);
    let ready = '';
    try {
      ready = m ? (splitCommand(m[1]!)[0] ?? '') : '';
    } catch {
      /* no marker: the log alone */
    }
    const log = (line: string): void => {
      try {
        ch.write(`${line}\n`);
      } catch {
        /* connection gone */
      }
    };
    ch.on('error', () => undefined);
    // The script's watcher ends it when its stdin closes (the console was closed).
    ch.on('end', () => end(0));
    ch.write(ready);
    for (const line of this.hypervisorLogSinceBoot()) log(line);
  }

  /** What the simulated hypervisor logged since it booted (acrnlog's line format). */
  private hypervisorLogSinceBoot(): string[] {
    const vms = this.scenarioVms();
    const lines = [`ACRN Hypervisor (simulated by ${SIM_NAME}), boot id ${this.bootId}, entry '${this.bootedEntry}'`, ...vms.filter((v) => v.kind !== 'post').map((v) => `vm${v.id} (${v.name}) started on pCPU ${v.pcpus.join(',') || '0'}`)];
    return lines.map((l, i) => `[${(i + 1) * 1000}us][cpu=0][sev=3][seq=${i + 1}]:${l}`);
  }

  /** `flock -n|-w S -E CODE FILE sh -c LOCK_SCRIPT sh SILENCE`: holds FILE while the channel is open and beats come. */
  private onFlock(ch: ServerChannel, line: string): void {
    const end = (code: number, stderr = ''): void => endChannel(ch, code, stderr);
    let argv: string[];
    try {
      argv = splitCommand(line);
    } catch (e) {
      end(2, `${SIM_NAME}: ${(e as Error).message}\n`);
      return;
    }
    // Through sudo (the lock file is then root's): skip its options; with -S its password is the
    // first line of stdin, which sudo reads and cat never sees.
    let skipPwLine = false;
    if (argv[0] === 'sudo') {
      let j = 1;
      for (; j < argv.length && argv[j]!.startsWith('-'); j++) {
        if (argv[j] === '-S') skipPwLine = true;
        if (argv[j] === '-p') j++;
        if (argv[j] === '--') {
          j++;
          break;
        }
      }
      argv = argv.slice(j);
    }
    let i = 1;
    let busyCode = 1;
    let waitS = 0;
    for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
      if (argv[i] === '-E') busyCode = Number(argv[++i]);
      else if (argv[i] === '-w') waitS = Number(argv[++i]);
      else if (argv[i] !== '-n') return end(64, `flock: ${SIM_NAME} supports only -n, -w SECONDS, -E CODE\n`);
    }
    const file = argv[i];
    const cmd = argv.slice(i + 1);
    // acrn-nest's lock script (hv-core/deploy LOCK_SCRIPT): prints MARK, then lives while a
    // heartbeat byte comes at least every $1 seconds, and ends at EOF.
    const mark = cmd.length === 5 && cmd[0] === 'sh' && cmd[1] === '-c' && cmd[3] === 'sh' ? /^echo ([\w-]+); while /.exec(cmd[2]!)?.[1] : undefined;
    const silenceS = Number(cmd[4]);
    if (!file || !mark || !(silenceS > 0)) return end(64, `flock: ${SIM_NAME} supports only acrn-nest's lock script ("flock ... FILE sh -c 'echo MARK; while ...' sh SECONDS")\n`);
    if (!fs.existsSync(nodePath.dirname(this.boardPath(file)))) return end(1, `flock: cannot open lock file ${file}: No such file or directory\n`);
    let holding = false;
    let silence: NodeJS.Timeout | undefined;
    const release = (): void => {
      clearTimeout(silence);
      if (!holding) return;
      holding = false;
      if (this.locks.get(file) === ch) this.locks.delete(file);
      this.lockWaiters.get(file)?.shift()?.();
    };
    const beat = (): void => {
      clearTimeout(silence);
      silence = setTimeout(() => {
        release();
        end(0);
      }, silenceS * 1000);
      silence.unref();
    };
    const grant = (): void => {
      holding = true;
      this.locks.set(file, ch);
      fs.writeFileSync(this.boardPath(file), '');
      ch.write(`${mark}\n`);
      beat();
    };
    let pending = '';
    ch.on('data', (d: Buffer) => {
      let text = d.toString();
      if (skipPwLine) {
        pending += text;
        const nl = pending.indexOf('\n');
        if (nl < 0) return;
        skipPwLine = false;
        text = pending.slice(nl + 1);
      }
      if (holding && text.includes('b')) beat();
    });
    ch.on('end', () => {
      release();
      end(0);
    });
    ch.on('close', release);
    ch.on('error', release);
    // Answered a turn later, as a process would: an exit status sent before the exec request is
    // acknowledged is lost on the client.
    if (!this.locks.has(file)) return grant();
    if (waitS <= 0) return void setImmediate(() => end(busyCode));
    const waiters = this.lockWaiters.get(file) ?? [];
    this.lockWaiters.set(file, waiters);
    const timer = setTimeout(() => {
      const k = waiters.indexOf(onFree);
      if (k >= 0) waiters.splice(k, 1);
      end(busyCode);
    }, waitS * 1000);
    timer.unref();
    const onFree = (): void => {
      clearTimeout(timer);
      grant();
    };
    waiters.push(onFree);
  }

  private async runLine(line: string, stdin: Buffer): Promise<CommandResult> {
    let argv: string[];
    try {
      argv = splitCommand(line);
    } catch (e) {
      return { code: 2, stderr: `${SIM_NAME}: only simple commands are supported (no shell here): ${(e as Error).message}\n` };
    }
    return this.run(argv, stdin, this.user === 'root');
  }

  private needRoot(p: string, root: boolean): CommandResult | undefined {
    if (root) return undefined;
    if (/^\/(boot|etc|usr|dev|proc)(\/|$)/.test(nodePath.posix.normalize(p))) return { code: 1, stderr: `${p}: Permission denied\n` };
    return undefined;
  }

  private async run(argv: string[], stdin: Buffer, root: boolean): Promise<CommandResult> {
    const [cmd0, ...args] = argv;
    const cmd = cmd0 && cmd0.startsWith('/usr/sbin/') ? nodePath.posix.basename(cmd0) : cmd0;
    if (!cmd) return { code: 0 };
    if (this.fire((f) => f.kind === 'command' && f.name === cmd)) return new Promise(() => undefined);
    const hold = this.holds.findIndex((h) => h.name === cmd);
    if (hold >= 0) {
      const h = this.holds.splice(hold, 1)[0]!;
      this.log(`holding ${cmd} until the test releases it`);
      h.reached();
      await h.released;
    }
    const ops = args.filter((a) => a !== '--');
    const fileArgs = (list: string[]): string[] => {
      const i = list.indexOf('--');
      return i >= 0 ? list.slice(i + 1) : list.filter((a) => !a.startsWith('-'));
    };
    const missing = (p: string): CommandResult => ({ code: 1, stderr: `${cmd}: ${p}: No such file or directory\n` });
    switch (cmd) {
      case 'sudo': {
        let i = 0;
        let readPw = false;
        let nonInteractive = false;
        while (i < args.length && args[i]!.startsWith('-')) {
          const a = args[i]!;
          i++;
          if (a === '--') break;
          if (a === '-S') readPw = true;
          else if (a === '-n') nonInteractive = true;
          else if (a === '-p') i++;
          else return { code: 1, stderr: `sudo: unsupported option ${a} (board simulator)\n` };
        }
        let rest = stdin;
        if (this.opts.sudoPassword !== undefined && this.user !== 'root') {
          if (nonInteractive && !readPw) return { code: 1, stderr: 'sudo: a password is required\n' };
          if (!readPw) return { code: 1, stderr: 'sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper\n' };
          const nl = stdin.indexOf(10);
          const pw = (nl >= 0 ? stdin.subarray(0, nl) : stdin).toString();
          rest = nl >= 0 ? stdin.subarray(nl + 1) : Buffer.alloc(0);
          if (pw !== this.opts.sudoPassword) return { code: 1, stderr: 'Sorry, try again.\nsudo: 1 incorrect password attempt\n' };
        }
        return this.run(args.slice(i), rest, true);
      }
      case 'env': {
        let i = 0;
        while (i < args.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(args[i]!)) i++;
        return this.run(args.slice(i), stdin, root);
      }
      case 'which': {
        // Like which(1): the ones it finds, one a line; exit 1 if any is missing.
        const hit = ops.filter((a) => KNOWN_COMMANDS.includes(a));
        return { code: hit.length === ops.length ? 0 : 1, stdout: hit.map((a) => `/usr/sbin/${a}\n`).join('') };
      }
      case 'true':
        return { code: 0 };
      case 'echo':
        return { code: 0, stdout: args.join(' ') + '\n' };
      case 'printf': {
        const [fmt = '', ...vals] = args;
        if (fmt !== '%s' && fmt !== '%s\\n') return { code: 1, stderr: 'printf: only %s is simulated\n' };
        return { code: 0, stdout: vals.join('') + (fmt === '%s\\n' ? '\n' : '') };
      }
      case 'test': {
        const [flag, p] = args;
        if (!flag || p === undefined) return { code: 2 };
        const f = this.boardPath(p);
        let st: fs.Stats | undefined;
        try {
          st = fs.statSync(f);
        } catch {
          return { code: 1 };
        }
        const ok = flag === '-e' || (flag === '-f' && st.isFile()) || (flag === '-d' && st.isDirectory()) || (flag === '-x' && (st.mode & 0o111) !== 0) || (flag === '-s' && st.size > 0);
        return { code: ok ? 0 : 1 };
      }
      case 'stat': {
        const files = fileArgs(args.filter((a, i) => a !== '-c' && args[i - 1] !== '-c'));
        let out = '';
        for (const p of files) {
          try {
            out += `${fs.statSync(this.boardPath(p)).size}\n`;
          } catch {
            return { code: 1, stdout: out, stderr: `stat: cannot statx '${p}': No such file or directory\n` };
          }
        }
        return { code: 0, stdout: out };
      }
      case 'cat': {
        if (ops.length === 0) return { code: 0, stdout: stdin };
        const parts: Buffer[] = [];
        for (const p of ops) {
          try {
            parts.push(fs.readFileSync(this.boardPath(p)));
          } catch {
            return { code: 1, stdout: Buffer.concat(parts), stderr: `cat: ${p}: No such file or directory\n` };
          }
        }
        return { code: 0, stdout: Buffer.concat(parts) };
      }
      case 'sha256sum': {
        let out = '';
        for (const p of fileArgs(args)) {
          if (/\.acrn-nest\.tmp$/.test(p) && this.fire((f) => f.kind === 'after-upload')) return new Promise(() => undefined);
          try {
            out += `${createHash('sha256').update(fs.readFileSync(this.boardPath(p))).digest('hex')}  ${p}\n`;
          } catch {
            return { code: 1, stdout: out, stderr: `sha256sum: ${p}: No such file or directory\n` };
          }
        }
        return { code: 0, stdout: out };
      }
      case 'mv':
      case 'cp': {
        const files = fileArgs(args);
        if (files.length !== 2) return { code: 1, stderr: `${cmd}: the simulator takes exactly SRC DST\n` };
        const [src, dst] = files as [string, string];
        const deny = this.needRoot(dst, root) ?? (cmd === 'mv' ? this.needRoot(src, root) : undefined);
        if (deny) return deny;
        if (!fs.existsSync(this.boardPath(src))) return missing(src);
        try {
          if (cmd === 'mv') fs.renameSync(this.boardPath(src), this.boardPath(dst));
          else fs.copyFileSync(this.boardPath(src), this.boardPath(dst));
        } catch (e) {
          return { code: 1, stderr: `${cmd}: ${(e as Error).message}\n` };
        }
        return { code: 0 };
      }
      case 'rm': {
        const recursive = args.some((a) => /^-[a-z]*r/.test(a));
        for (const p of fileArgs(args)) {
          const deny = this.needRoot(p, root);
          if (deny && fs.existsSync(this.boardPath(p))) return deny;
          fs.rmSync(this.boardPath(p), { force: true, recursive });
        }
        return { code: 0 };
      }
      case 'mkdir':
        for (const p of fileArgs(args)) {
          if (fs.existsSync(this.boardPath(p))) continue;
          const deny = this.needRoot(p, root);
          if (deny) return deny;
          fs.mkdirSync(this.boardPath(p), { recursive: true });
        }
        return { code: 0 };
      case 'chmod': {
        const [mode, ...rest] = args.filter((a) => a !== '--');
        for (const p of rest) {
          const deny = this.needRoot(p, root);
          if (deny) return deny;
          if (!fs.existsSync(this.boardPath(p))) return missing(p);
          fs.chmodSync(this.boardPath(p), parseInt(mode ?? '644', 8));
        }
        return { code: 0 };
      }
      case 'mktemp': {
        const tpl = ops.find((a) => a.includes('XXX')) ?? '/tmp/tmp.XXXXXXXX';
        const p = tpl.replace(/X+$/, (x) => randomUUID().replace(/-/g, '').slice(0, x.length));
        fs.mkdirSync(this.boardPath(p), { recursive: true });
        return { code: 0, stdout: p + '\n' };
      }
      case 'df': {
        const free = this.opts.freeKiB ?? 1024 * 1024;
        let out = 'Filesystem     1024-blocks    Used Available Capacity Mounted on\n';
        for (const p of fileArgs(args)) {
          if (!fs.existsSync(this.boardPath(p))) return { code: 1, stdout: out, stderr: `df: ${p}: No such file or directory\n` };
          out += `/dev/nvme0n1p2    ${free * 4}  ${free * 3} ${free}      75% /\n`;
        }
        return { code: 0, stdout: out };
      }
      case 'sync':
        return { code: 0 };
      case 'update-grub':
        if (!root) return { code: 1, stderr: 'grub-mkconfig: You must run this as root\n' };
        return this.updateGrub();
      case 'grub-reboot':
      case 'grub-set-default': {
        if (!root) return { code: 1, stderr: `${cmd}: error: failed to open /boot/grub/grubenv: Permission denied\n` };
        const id = ops[0];
        if (!id) return { code: 1, stderr: `${cmd}: error: menu entry not specified.\n` };
        if (!this.menu().some((e) => e.id === id || e.title === id)) return { code: 1, stderr: `${cmd}: error: menu entry '${id}' not found in grub.cfg (board simulator)\n` };
        const env = this.grubEnv();
        if (cmd === 'grub-reboot') env.next_entry = id;
        else {
          env.saved_entry = id;
          delete env.next_entry;
        }
        this.writeGrubEnv(env);
        return { code: 0 };
      }
      case 'grub-editenv': {
        const [file, sub, name] = ops;
        if (file !== '-' && file !== '/boot/grub/grubenv') return { code: 1, stderr: 'grub-editenv: the simulator only has /boot/grub/grubenv\n' };
        if (sub === 'list') return { code: 0, stdout: Object.entries(this.grubEnv()).map(([k, v]) => `${k}=${v}\n`).join('') };
        if (sub === 'unset' && name) {
          if (!root) return { code: 1, stderr: 'grub-editenv: error: cannot open /boot/grub/grubenv: Permission denied\n' };
          const env = this.grubEnv();
          delete env[name];
          this.writeGrubEnv(env);
          return { code: 0 };
        }
        return { code: 1, stderr: 'grub-editenv: the simulator knows list and unset NAME\n' };
      }
      case 'reboot':
        if (!root) return { code: 1, stderr: 'reboot: must be superuser (board simulator)\n' };
        setImmediate(() => this.reboot());
        return { code: 0 };
      default:
        return { code: 127, stderr: `${SIM_NAME}: ${cmd}: command not found (the simulator implements: ${KNOWN_COMMANDS.join(' ')})\n` };
    }
  }

  // ---------------------------------------------------------------- SFTP

  private onSftp(sftp: import('ssh2').SFTPWrapper): void {
    const { STATUS_CODE, OPEN_MODE } = utils.sftp;
    const handles = new Map<number, { fd: number; path: string; written: number }>();
    let next = 1;
    const h2n = (h: Buffer): number => (h.length === 4 ? h.readUInt32BE(0) : -1);
    const root = this.user === 'root';
    const attrsOf = (st: fs.Stats) => ({ mode: st.mode, uid: st.uid, gid: st.gid, size: st.size, atime: Math.floor(st.atimeMs / 1000), mtime: Math.floor(st.mtimeMs / 1000) });
    sftp.on('error', () => undefined);
    sftp.on('REALPATH', (id, p) => {
      const abs = nodePath.posix.normalize(nodePath.posix.isAbsolute(p) ? p : `/home/${this.user}/${p}`);
      sftp.name(id, [{ filename: abs, longname: abs, attrs: { mode: 0o40755, uid: 0, gid: 0, size: 0, atime: 0, mtime: 0 } }]);
    });
    sftp.on('OPEN', (id, filename, flags, attrs) => {
      const writing = (flags & OPEN_MODE.WRITE) !== 0;
      if (writing && this.fire((f) => f.kind === 'upload-open' && (!f.pathIncludes || filename.includes(f.pathIncludes)))) return;
      if (writing && this.needRoot(filename, root)) return sftp.status(id, STATUS_CODE.PERMISSION_DENIED, 'Permission denied');
      try {
        const fl = utils.sftp.flagsToString(flags) ?? 'r';
        const fd = fs.openSync(this.boardPath(filename), fl, typeof attrs?.mode === 'number' ? attrs.mode & 0o7777 : 0o644);
        const n = next++;
        handles.set(n, { fd, path: filename, written: 0 });
        const hb = Buffer.alloc(4);
        hb.writeUInt32BE(n, 0);
        sftp.handle(id, hb);
      } catch (e) {
        sftp.status(id, (e as NodeJS.ErrnoException).code === 'ENOENT' ? STATUS_CODE.NO_SUCH_FILE : STATUS_CODE.FAILURE, (e as Error).message);
      }
    });
    sftp.on('WRITE', (id, handle, offset, data) => {
      const h = handles.get(h2n(handle));
      if (!h) return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
      const before = h.written;
      const fault = this.faults.find((f) => f.kind === 'upload-bytes' && (!f.pathIncludes || h.path.includes(f.pathIncludes)));
      if (fault && fault.kind === 'upload-bytes' && before + data.length >= fault.bytes) {
        const keep = Math.max(0, fault.bytes - before);
        fs.writeSync(h.fd, data, 0, keep, offset);
        fs.closeSync(h.fd);
        handles.delete(h2n(handle));
        this.fire((f) => f === fault);
        return;
      }
      fs.writeSync(h.fd, data, 0, data.length, offset);
      h.written += data.length;
      sftp.status(id, STATUS_CODE.OK);
    });
    sftp.on('READ', (id, handle, offset, length) => {
      const h = handles.get(h2n(handle));
      if (!h) return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
      const buf = Buffer.alloc(length);
      const n = fs.readSync(h.fd, buf, 0, length, offset);
      if (n === 0) return sftp.status(id, STATUS_CODE.EOF);
      sftp.data(id, buf.subarray(0, n));
    });
    sftp.on('CLOSE', (id, handle) => {
      const h = handles.get(h2n(handle));
      if (h) {
        fs.closeSync(h.fd);
        handles.delete(h2n(handle));
      }
      sftp.status(id, STATUS_CODE.OK);
    });
    const statP = (id: number, p: string): void => {
      try {
        sftp.attrs(id, attrsOf(fs.statSync(this.boardPath(p))));
      } catch {
        sftp.status(id, STATUS_CODE.NO_SUCH_FILE, 'No such file');
      }
    };
    sftp.on('STAT', statP);
    sftp.on('LSTAT', statP);
    sftp.on('FSTAT', (id, handle) => {
      const h = handles.get(h2n(handle));
      if (!h) return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
      sftp.attrs(id, attrsOf(fs.fstatSync(h.fd)));
    });
    sftp.on('FSETSTAT', (id, handle, attrs) => {
      const h = handles.get(h2n(handle));
      if (h && typeof attrs.mode === 'number') fs.fchmodSync(h.fd, attrs.mode & 0o7777);
      sftp.status(id, STATUS_CODE.OK);
    });
    sftp.on('SETSTAT', (id, p, attrs) => {
      if (typeof attrs.mode === 'number') fs.chmodSync(this.boardPath(p), attrs.mode & 0o7777);
      sftp.status(id, STATUS_CODE.OK);
    });
    sftp.on('REMOVE', (id, p) => {
      if (this.needRoot(p, root)) return sftp.status(id, STATUS_CODE.PERMISSION_DENIED, 'Permission denied');
      fs.rmSync(this.boardPath(p), { force: true });
      sftp.status(id, STATUS_CODE.OK);
    });
    sftp.on('RENAME', (id, a, b) => {
      if (this.needRoot(a, root) || this.needRoot(b, root)) return sftp.status(id, STATUS_CODE.PERMISSION_DENIED, 'Permission denied');
      try {
        fs.renameSync(this.boardPath(a), this.boardPath(b));
        sftp.status(id, STATUS_CODE.OK);
      } catch (e) {
        sftp.status(id, STATUS_CODE.FAILURE, (e as Error).message);
      }
    });
    sftp.on('MKDIR', (id, p) => {
      if (this.needRoot(p, root)) return sftp.status(id, STATUS_CODE.PERMISSION_DENIED, 'Permission denied');
      fs.mkdirSync(this.boardPath(p), { recursive: true });
      sftp.status(id, STATUS_CODE.OK);
    });
  }

  // ---------------------------------------------------------------- GRUB and boot

  /** Entries in /boot/grub/grub.cfg. */
  menu(): GrubMenuEntry[] {
    const f = this.boardPath('/boot/grub/grub.cfg');
    if (!fs.existsSync(f)) return [];
    return parseMenu(fs.readFileSync(f, 'utf8'));
  }

  private updateGrub(): CommandResult {
    const dir = this.boardPath('/etc/grub.d');
    const def = this.grubDefaultSetting();
    // 00_header's default: a one-shot next_entry, else GRUB_DEFAULT (saved: grub-set-default's).
    let cfg = `### board simulator: generated by update-grub ###\nif [ "\${next_entry}" ] ; then\n   set default="\${next_entry}"\n   set next_entry=\n   save_env next_entry\nelse\n   set default="${def === 'saved' ? '${saved_entry}' : def}"\nfi\nmenuentry 'Ubuntu' --id ubuntu {\n\tlinux /boot/vmlinuz root=/dev/nvme0n1p2 ro\n}\n`;
    let err = 'Sourcing file `/etc/default/grub\'\nGenerating grub configuration file ...\n';
    for (const name of fs.readdirSync(dir).sort()) {
      if (!/^\d\d_/.test(name)) continue;
      const file = nodePath.join(dir, name);
      if ((fs.statSync(file).mode & 0o111) === 0) continue;
      const text = fs.readFileSync(file, 'utf8');
      const hd = /^cat <<'?([A-Za-z_]+)'?\n([\s\S]*?)\n\1\n/m.exec(text);
      if (hd) cfg += `### BEGIN /etc/grub.d/${name} ###\n${hd[2]}\n### END /etc/grub.d/${name} ###\n`;
      else if (/^exec tail -n \+3 \$0$/m.test(text)) cfg += text.split('\n').slice(2).join('\n');
      for (const e of parseMenu(hd?.[2] ?? '')) if (e.image) err += `Found ACRN entry '${e.title}' (${e.image})\n`;
    }
    const out = this.boardPath('/boot/grub/grub.cfg');
    fs.writeFileSync(out + '.new', cfg);
    fs.renameSync(out + '.new', out);
    return { code: 0, stderr: err + 'done\n' };
  }

  /** GRUB_DEFAULT as grub-mkconfig sees it: /etc/default/grub, then /etc/default/grub.d/*.cfg in order. */
  private grubDefaultSetting(): string {
    let v = '0';
    const files = [this.boardPath('/etc/default/grub')];
    const d = this.boardPath('/etc/default/grub.d');
    if (fs.existsSync(d)) files.push(...fs.readdirSync(d).filter((f) => f.endsWith('.cfg')).sort().map((f) => nodePath.join(d, f)));
    for (const f of files) {
      if (!fs.existsSync(f)) continue;
      for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
        const m = /^\s*(?:export\s+)?GRUB_DEFAULT=(.*)$/.exec(line);
        if (m) v = m[1]!.trim().replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
      }
    }
    return v;
  }

  /** The image at a board path is bootable by the simulated firmware. */
  imageIsGood(p: string): boolean {
    let b: Buffer;
    try {
      b = this.readFile(p);
    } catch {
      return false;
    }
    if (b.includes(BAD_IMAGE_MARKER)) return false;
    return multiboot2Header(b) !== undefined;
  }

  /** Simulated power-on: picks the entry as GRUB would and "boots" it. */
  private boot(resetOnly: boolean): void {
    void resetOnly;
    const env = this.grubEnv();
    const menu = this.menu();
    const order: string[] = [];
    if (env.next_entry) order.push(env.next_entry);
    if (env.next_entry !== undefined) {
      delete env.next_entry;
      this.writeGrubEnv(env);
    }
    // Then the default, read from grub.cfg and grubenv the way GRUB does (entry 0 when it names nothing).
    const cfgPath = this.boardPath('/boot/grub/grub.cfg');
    const def = defaultBoot(parseGrubCfg(fs.existsSync(cfgPath) ? fs.readFileSync(cfgPath, 'utf8') : ''), new Map(Object.entries(env)));
    order.push(def.entry?.id ?? def.entry?.title ?? menu[0]?.id ?? 'ubuntu');
    let booted: GrubMenuEntry | undefined;
    let acrn = false;
    for (const id of order) {
      const e = menu.find((m) => m.id === id || m.title === id) ?? menu[0];
      if (!e) break;
      if (!e.image) {
        booted = e;
        break;
      }
      const tag = this.opts.kernelTag ?? 'Linux_bzImage';
      const kernel = e.modules.find((m) => m.tag === tag);
      if (this.imageIsGood(e.image) && kernel && this.exists(kernel.path)) {
        booted = e;
        acrn = true;
        break;
      }
      // GRUB ran the entry's save_env before loading the image that then hung.
      const env3 = this.grubEnv();
      for (const k of e.saveEnv) if (e.vars[k] !== undefined) env3[k] = e.vars[k]!;
      this.writeGrubEnv(env3);
      this.log(`entry '${e.id}': ${!this.imageIsGood(e.image) ? `the hypervisor image ${e.image} does not boot` : `no Service VM kernel module tagged ${tag}`}; the watchdog resets the board`);
      this.consoleWrite(`\r\n[${SIM_NAME}] ${e.image}: hypervisor hangs; watchdog reset\r\n`);
    }
    booted ??= menu.find((m) => !m.image) ?? { id: 'ubuntu', title: 'Ubuntu', modules: [], vars: {}, saveEnv: [] };
    if (booted.saveEnv.length) {
      const env2 = this.grubEnv();
      for (const k of booted.saveEnv) if (booted.vars[k] !== undefined) env2[k] = booted.vars[k]!;
      this.writeGrubEnv(env2);
    }
    this.bootedEntry = booted.id;
    this.acrnRunning = acrn;
    this.bootId = randomUUID();
    this.bootCount++;
    fs.writeFileSync(this.boardPath('/proc/sys/kernel/random/boot_id'), this.bootId + '\n');
    // ACRN appends its multiboot2 command line to the Service VM's (vboot_info.c): so does the simulator.
    fs.writeFileSync(this.boardPath('/proc/cmdline'), `BOOT_IMAGE=/boot/vmlinuz root=PARTUUID=5e4c1d27-sim ro quiet${acrn && booted.cmdline ? ` ${booted.cmdline}` : ''}\n`);
    const hsm = this.boardPath('/dev/acrn_hsm');
    if (acrn) fs.writeFileSync(hsm, '');
    else fs.rmSync(hsm, { force: true });
    const sc = booted.image ? this.boardPath(`${booted.image}.scenario.xml`) : undefined;
    this.scenarioText = acrn && sc && fs.existsSync(sc) ? fs.readFileSync(sc, 'utf8') : undefined;
    this.log(`booted '${booted.id}'${acrn ? ' (ACRN running, /dev/acrn_hsm present)' : ' (no hypervisor)'}; boot id ${this.bootId}`);
    if (acrn) this.consoleWrite(this.banner());
    this.emit('boot', { entry: booted.id, acrn, bootId: this.bootId });
  }

  /** Reboot: every connection drops, the board is down for rebootDelayMs, then boots. */
  reboot(): void {
    if (!this.up || this.stopped) return;
    this.log('reboot: dropping every connection');
    this.up = false;
    this.acrnRunning = false;
    this.consoleWrite(`\r\n[${SIM_NAME}] rebooting ...\r\n`);
    this.cutAll('reboot');
    if (this.opts.consoleDropsOnReboot && this.consoleSrv) {
      // The console server is down with the board: connections drop, new ones are refused.
      this.consoleSrv.close();
      for (const c of this.consoleSockets) c.destroy();
    }
    this.rebootTimer = setTimeout(() => {
      if (this.stopped) return;
      if (this.opts.consoleDropsOnReboot && this.consoleSrv) {
        this.consoleSrv = net.createServer((c) => this.onConsole(c));
        void listen(this.consoleSrv, this.consolePort).then(
          () => this.log(`hypervisor console back on 127.0.0.1:${this.consolePort}`),
          (e: unknown) => this.log(`hypervisor console could not listen again: ${String(e)}`),
        );
      }
      this.boot(false);
      this.up = true;
      if (this.faults.some((f) => f.kind === 'boot')) {
        // Cut the first connection after the board is back (a flaky link during the wait).
        const onConn = (): void => {
          setImmediate(() => this.fire((f) => f.kind === 'boot'));
        };
        this.tcp.once('connection', onConn);
      }
    }, this.opts.rebootDelayMs ?? 1500);
  }

  // ---------------------------------------------------------------- hypervisor console

  private banner(): string {
    return `\r\n[${SIM_NAME}] ACRN Hypervisor (simulated) boot id ${this.bootId}\r\n\r\nACRN:\\>`;
  }

  private consoleWrite(s: string): void {
    for (const c of this.consoleSockets) c.write(s);
  }

  private onConsole(s: net.Socket): void {
    this.consoleSockets.add(s);
    s.on('close', () => this.consoleSockets.delete(s));
    s.on('error', () => undefined);
    s.write(this.acrnRunning ? this.banner() : `\r\n[${SIM_NAME}] hypervisor console: ACRN is not running (booted '${this.bootedEntry}')\r\n`);
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let i: number;
      while ((i = buf.search(/\r\n|\r|\n/)) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + (buf.startsWith('\r\n', i) ? 2 : 1));
        if (!this.acrnRunning) continue;
        s.write(`${line}\r\n${this.consoleCommand(line)}ACRN:\\>`);
      }
    });
  }

  /** The answer of the simulated hypervisor shell to one command line (CRLF lines). */
  consoleCommand(line: string): string {
    const vms = this.scenarioVms();
    const out = (ls: string[]): string => ls.map((l) => l + '\r\n').join('');
    switch (line.split(/\s+/)[0]) {
      case '':
        return '';
      case 'help':
        return out(['Registered Commands:', '  help        Display information about supported hypervisor shell commands', '  version     Display the hypervisor version information', '  vm_list     List all VMs, displaying the VM UUID, ID, name and state', '  vcpu_list   List all vCPUs in all VMs', `  (${SIM_NAME}: only these commands are simulated)`]);
      case 'version':
        return out([`HV version 3.3-simulated (${SIM_NAME})`, 'API version 1.0']);
      case 'vm_list':
        return out(['VM_UUID                          VM_ID VM_NAME                          VM_STATE', '================================ ===== ================================ ========', ...vms.filter((v) => v.kind !== 'post').map((v) => `${createHash('md5').update(v.name).digest('hex')}   ${String(v.id).padEnd(2)}  ${v.name.padEnd(32)} Running`)]);
      case 'vcpu_list': {
        const rows: string[] = [];
        for (const v of vms.filter((x) => x.kind !== 'post')) v.pcpus.forEach((p, i) => rows.push(`  ${String(v.id).padEnd(7)}${String(p).padEnd(11)}${String(i).padEnd(11)}${(i === 0 ? 'PRIMARY' : 'SECONDARY').padEnd(13)}Running       RUNNING`));
        return out(['VM ID    PCPU ID    VCPU ID    VCPU ROLE    VCPU STATE    THREAD STATE', '=====    =======    =======    =========    ==========    ============', ...rows]);
      }
      default:
        return out([`Error: Invalid command ${line.split(/\s+/)[0]} (${SIM_NAME})`]);
    }
  }

  private scenarioVms(): { id: number; name: string; kind: 'service' | 'pre' | 'post'; pcpus: number[] }[] {
    if (!this.scenarioText) return [{ id: 0, name: 'ACRN_Service_VM', kind: 'service', pcpus: [0, 1, 2, 3] }];
    const doc = parseXml(this.scenarioText);
    const out: { id: number; name: string; kind: 'service' | 'pre' | 'post'; pcpus: number[] }[] = [];
    const used = new Set<number>();
    for (const vm of childrenNamed(doc.root, 'vm')) {
      const lo = valueOf(xpath(vm, 'load_order'));
      const vt = valueOf(xpath(vm, 'vm_type'));
      const kind = lo ? (lo === 'SERVICE_VM' ? 'service' : lo === 'PRE_LAUNCHED_VM' ? 'pre' : 'post') : vt === 'SOS_VM' || vt === 'SERVICE_VM' ? 'service' : /^PRE_|^SAFETY_VM$/.test(vt) ? 'pre' : 'post';
      const aff = xpath(vm, 'cpu_affinity');
      const pcpus = [...childrenNamed(aff, 'pcpu_id'), ...childrenNamed(aff, 'pcpu').map((p) => xpath(p, 'pcpu_id'))].map((e) => Number(valueOf(e))).filter((n) => Number.isInteger(n));
      if (kind === 'pre') pcpus.forEach((p) => used.add(p));
      out.push({ id: Number(attr(vm, 'id') ?? out.length), name: valueOf(xpath(vm, 'name')) || valueOf(xpath(vm, 'os_config', 'name')) || `VM${out.length}`, kind, pcpus });
    }
    for (const v of out) if (v.kind === 'service' && v.pcpus.length === 0) v.pcpus = [0, 1, 2, 3].filter((p) => !used.has(p));
    return out;
  }
}

function parseMenu(text: string): GrubMenuEntry[] {
  const out: GrubMenuEntry[] = [];
  let cur: GrubMenuEntry | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('menuentry ')) {
      const w = grubWords(line);
      const idAt = w.indexOf('--id');
      cur = { title: w[1] ?? '', id: idAt >= 0 ? (w[idAt + 1] ?? '') : (w[1] ?? ''), modules: [], vars: {}, saveEnv: [] };
      out.push(cur);
    } else if (cur && line === '}') cur = undefined;
    else if (cur && line.startsWith('multiboot2 ')) {
      const w = grubWords(line);
      cur.image = w[1];
      cur.cmdline = w.slice(2).join(' ');
    }
    else if (cur && line.startsWith('set ')) {
      const kv = grubWords(line)[1] ?? '';
      const i = kv.indexOf('=');
      if (i > 0) cur.vars[kv.slice(0, i)] = kv.slice(i + 1);
    } else if (cur && line.startsWith('save_env ')) cur.saveEnv.push(...grubWords(line).slice(1));
    else if (cur && line.startsWith('module2 ')) {
      const w = grubWords(line);
      cur.modules.push({ path: w[1] ?? '', tag: w[2] ?? '' });
    }
  }
  return out;
}

function listen(srv: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve((srv.address() as net.AddressInfo).port));
  });
}
