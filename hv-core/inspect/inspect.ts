/**
 * `inspectBoard`: ACRN's board inspector, run on a board over SSH, from the user's ACRN tree.
 *
 *  1 preflight  pack the tree's inspector (locally); connect; one probe: the inspector's tools
 *               where it looks for them, python3 and its modules, /proc/cmdline against ACRN's
 *               parameters, cpuid's version, PCI domains, VM or not. Missing tools stop here, named
 *               with their package (or are installed with apt-get when the caller asks).
 *  2 boot       only when parameters are missing: our script /etc/grub.d/42_acrn_nest_inspect (the
 *               default entry's lines plus the parameters, id acrn-nest-inspect), update-grub,
 *               the default checked unchanged, grub-reboot acrn-nest-inspect, reboot, wait for SSH
 *               (new boot id), /proc/cmdline checked to carry the parameters. Then, before
 *               anything runs, the entry is removed (update-grub again): the next plain reboot is
 *               back to normal even if the run hangs or the connection drops.
 *  3 upload     the packed inspector to a mktemp folder in /tmp, unpacked there.
 *  4 run        `sudo python3 board_inspector/board_inspector.py NAME --out NAME.xml [--basic]` in
 *               that folder (as ACRN's Debian package runs it), its lines streamed as progress.
 *  5 fetch      the XML read back, checked to be an ACRN board file, written to `out`, then
 *               validated against the tree's board schema (schema/board.xsd, v3.0 on); the
 *               staging folder removed.
 *
 * Every failure is an InspectError naming the step and the host, with the action that fixes it.
 */
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import nodePath from 'node:path';
import { AcrnNestError, ErrorCodes } from '../errors.js';
import type { ConnectOptions, ExecOptions, ExecResult } from '../ssh-target/connection.js';
import { AbortedError, ChangedHostKeyError, ConnectionLostError, SshConnection, UnknownHostKeyError } from '../ssh-target/connection.js';
import type { ResolvedTarget } from '../ssh-target/target.js';
import { describeTarget } from '../ssh-target/resolve.js';
import { defaultBoot, parseGrubCfg, parseGrubEnv } from '../deploy/grubcfg.js';
import type { HeldLock } from '../deploy/lock.js';
import { DEPLOY_LOCK, LOCK_SILENCE_MS, lockUnavailableMessage, takeLock } from '../deploy/lock.js';
import type { DefaultBoot } from '../deploy/grubcfg.js';
import { detectDialect } from '../scenario/dialect.js';
import { BOARD_XSD, checkBoardSchema, formatBoardFindings } from '../schema/boardSchema.js';
import { parseXml } from '../xml/parser.js';
import { INSPECT_ENTRY_ID, INSPECT_SCRIPT, inspectBase, inspectEntryText, inspectScript } from './grubEntry.js';
import type { InspectorFinding } from './output.js';
import { displayLine, extractFindings, LineSplitter, progressOf, successLine } from './output.js';
import type { PackedInspector } from './pack.js';
import { packInspector } from './pack.js';
import type { PreflightReport } from './preflight.js';
import { checkBoardName, cpuidMinFrom, DEFAULT_INSPECTOR_TOOLS, DEFAULT_KERNEL_PARAMS, describeMissing, installCommand, inspectorToolsFrom, kernelParamsFrom, missingPackages, parsePreflight, probeArgv, PYTHON_MODULES } from './preflight.js';

export type InspectStepName = 'preflight' | 'boot' | 'upload' | 'run' | 'fetch';

export const INSPECT_STEPS: readonly { name: InspectStepName; index: number; title: string }[] = [
  { name: 'preflight', index: 1, title: 'Check the tools and kernel parameters the inspector needs' },
  { name: 'boot', index: 2, title: 'Boot once with the inspector\'s kernel parameters' },
  { name: 'upload', index: 3, title: 'Send the board inspector to a staging folder' },
  { name: 'run', index: 4, title: 'Run the board inspector' },
  { name: 'fetch', index: 5, title: 'Fetch and check the board XML' },
];

export interface InspectEvent {
  step: InspectStepName;
  index: number;
  title: string;
  status: 'running' | 'progress' | 'done' | 'skipped' | 'failed';
  message: string;
  /** 0..1 within the step, when known (the inspector's own progress bar, the reboot wait). */
  progress?: number;
}

export interface InspectOptions {
  target: ResolvedTarget;
  /** The board's name (the inspector's argument; the XML's board= name). */
  name: string;
  /** The ACRN source tree whose misc/config_tools/board_inspector runs. */
  acrnTree: string;
  /** Local file the board XML is written to (absolute). */
  out: string;
  /** The inspector's --basic (no ACPI namespace and other advanced data). */
  basic?: boolean;
  /** Install missing packages with apt-get (sudo) instead of stopping at step 1. */
  installMissing?: boolean;
  /** Stop at step 2 instead of rebooting when parameters are missing. */
  noReboot?: boolean;
  /** Stop after step 1 (the report). */
  preflightOnly?: boolean;
  /** Asked before the one-shot reboot; false stops at step 2. Absent: reboot. */
  confirmReboot?: (o: { host: string; missing: string[]; entry: string }) => boolean | Promise<boolean>;
  connect?: ConnectOptions;
  signal?: AbortSignal;
  /** Wait for the board to go down and come back; default 300 s. */
  rebootTimeoutMs?: number;
  /** The inspector's run; default 30 min (the ACPI namespace takes minutes on big boards). */
  runTimeoutMs?: number;
  /** apt-get install; default 15 min. */
  installTimeoutMs?: number;
  onEvent?: (e: InspectEvent) => void;
  /** Every line the inspector prints (ANSI stripped), as it prints it. */
  onOutput?: (line: string) => void;
}

export interface InspectResult {
  host: string;
  preflight: PreflightReport;
  /** Packages installed by installMissing. */
  installed: string[];
  /** Seconds of the one-shot reboot (undefined: not needed). */
  bootSeconds: number | undefined;
  /** /proc/cmdline while the inspector ran. */
  cmdline: string;
  findings: InspectorFinding[];
  /** The inspector's SUCCESS line. */
  success: string | undefined;
  /** The local board XML (undefined with preflightOnly). */
  out: string | undefined;
  /** The board schema the XML was validated against; undefined when the tree has none (v2.x). */
  boardSchema: string | undefined;
  timings: Partial<Record<InspectStepName, number>>;
}

export class InspectError extends AcrnNestError {
  constructor(
    readonly step: InspectStepName,
    readonly host: string,
    readonly reason: string,
    code: string,
    readonly findings: InspectorFinding[] = [],
    cause?: unknown,
  ) {
    const s = INSPECT_STEPS.find((x) => x.name === step)!;
    super(code, `board inspection failed at step ${s.index} (${step}: ${s.title.toLowerCase()}) on ${host}: ${reason}`, { cause });
    this.name = 'InspectError';
  }
}

export const InspectCodes = {
  badName: 'inspect/bad-name',
  noInspector: 'inspect/no-inspector',
  missingTools: 'inspect/missing-tools',
  installFailed: 'inspect/install-failed',
  multiplePciDomains: 'inspect/multiple-pci-domains',
  rebootRefused: 'inspect/reboot-refused',
  noLinuxEntry: 'inspect/no-linux-entry',
  grubChanged: 'inspect/grub-default-changed',
  paramsNotApplied: 'inspect/params-not-applied',
  bootTimeout: 'inspect/boot-timeout',
  inspectorFailed: 'inspect/inspector-failed',
  notABoard: 'inspect/not-a-board',
  boardInvalid: 'inspect/board-invalid',
  boardBusy: 'inspect/board-busy',
  step: 'inspect/failed',
} as const;

const STAGING_TEMPLATE = '/tmp/acrn-nest-inspect.XXXXXX';
const GRUB_CFG_DEFAULT = '/boot/grub/grub.cfg';

async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new AbortedError('board inspection'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function entryKey(d: DefaultBoot): string | undefined {
  return d.entry ? (d.entry.id ?? d.entry.title) : undefined;
}

function writeAtomic(file: string, text: string): void {
  mkdirSync(nodePath.dirname(file), { recursive: true });
  const tmp = nodePath.join(nodePath.dirname(file), `.${nodePath.basename(file)}.acrn-nest-${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text, 'utf8');
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* gone */
    }
    throw e;
  }
}

/** Is this text an ACRN board XML? undefined when it is, else why not. */
export function notABoard(text: string): string | undefined {
  const doc = parseXml(text);
  if (!doc.root) return 'it is not XML';
  if (doc.errors.length) return `it is not well-formed XML (${doc.errors[0]!.message})`;
  const d = detectDialect(doc);
  if (d?.kind !== 'board') return `its root is <${doc.root.name}>${d ? ` (an ACRN ${d.kind} file)` : ''}, not an ACRN board (<acrn-config board=...> with BIOS_INFO, processors, ...)`;
  return undefined;
}

export async function inspectBoard(o: InspectOptions): Promise<InspectResult> {
  const t = o.target;
  const host = describeTarget(t);
  const signal = o.signal ?? o.connect?.signal;
  const connectOpts: ConnectOptions = { ...o.connect };
  if (signal) connectOpts.signal = signal;
  const timings: Partial<Record<InspectStepName, number>> = {};
  let step: InspectStepName = 'preflight';
  let stepStart = Date.now();
  const emit = (s: InspectStepName, status: InspectEvent['status'], message: string, progress?: number): void => {
    const d = INSPECT_STEPS.find((x) => x.name === s)!;
    if (status === 'running') stepStart = Date.now();
    if (status === 'done' || status === 'skipped') timings[s] = (Date.now() - stepStart) / 1000;
    const e: InspectEvent = { step: s, index: d.index, title: d.title, status, message };
    if (progress !== undefined) e.progress = progress;
    o.onEvent?.(e);
  };
  const fail = (reason: string, code: string = InspectCodes.step, findings: InspectorFinding[] = [], cause?: unknown): never => {
    throw new InspectError(step, host, reason, code, findings, cause);
  };

  emit('preflight', 'running', `packing the board inspector of ${o.acrnTree}`);
  const bad = checkBoardName(o.name);
  if (bad) fail(bad, InspectCodes.badName);
  let packed: PackedInspector;
  try {
    packed = packInspector(o.acrnTree);
  } catch (e) {
    return fail((e as Error).message, InspectCodes.noInspector, [], e);
  }
  const tools = inspectorToolsFrom(packed.main) ?? DEFAULT_INSPECTOR_TOOLS;
  const params = (packed.grubHelper && kernelParamsFrom(packed.grubHelper)) || DEFAULT_KERNEL_PARAMS;
  const cpuidMin = cpuidMinFrom(packed.main);

  let conn: SshConnection | undefined;
  let staging: string | undefined;
  let grubDirty = false;
  const installed: string[] = [];
  const exec = (argv: readonly string[], e: ExecOptions = {}): Promise<ExecResult> => conn!.exec(argv, { sudo: true, timeoutMs: 120_000, ...(signal ? { signal } : {}), ...e });
  const run = async (argv: readonly string[], e: ExecOptions = {}): Promise<ExecResult> => conn!.run(argv, { sudo: true, timeoutMs: 120_000, ...(signal ? { signal } : {}), ...e });
  const grubCfg = t.grubCfg || GRUB_CFG_DEFAULT;
  const readDefault = async (): Promise<{ cfg: string; def: DefaultBoot }> => {
    const cfg = (await run(['cat', '--', grubCfg], { what: `read ${grubCfg}` })).stdout;
    const env = await exec([...t.commands.grubEditenv, 'list']);
    return { cfg, def: defaultBoot(parseGrubCfg(cfg), parseGrubEnv(env.code === 0 ? env.stdout : '')) };
  };
  /**
   * Runs fn while this inspection holds the board's deploy lock, so no acrn-nest deploy edits GRUB
   * at the same time (the lock of hv-core/deploy/lock.ts; it goes with the connection at a reboot).
   */
  /** The lock kept across the one-shot reboot (released at once if the reboot fails before the board goes down). */
  let heldForReboot: HeldLock | undefined;
  const locked = async <T>(what: string, waitS: number, fn: () => Promise<T>, o: { keepUntilReboot?: boolean } = {}): Promise<T> => {
    const l = await takeLock(conn!, 120_000, { sudo: t.sudo, waitS, silenceS: LOCK_SILENCE_MS / 1000 });
    if ('busy' in l) return fail(`another acrn-nest deploy or inspection of ${host} holds ${DEPLOY_LOCK}${waitS ? ` (waited ${waitS} s)` : ''}, so ${what} did not start and nothing was changed. Try again when it has finished`, InspectCodes.boardBusy);
    if ('unavailable' in l) return fail(lockUnavailableMessage(host, l.unavailable), InspectCodes.boardBusy);
    let ok = false;
    try {
      const r = await fn();
      ok = true;
      return r;
    } finally {
      // Kept until the reboot (the lock is on tmpfs and goes with this connection): no deploy
      // replaces the one-shot between grub-reboot and the reboot.
      if (!ok || !o.keepUntilReboot) await l.held.release();
      else heldForReboot = l.held;
    }
  };
  /** Removes our entry (and a pending one-shot of it); true when grub.cfg no longer has it. */
  const restore = (): Promise<void> => locked('removing the inspection entry', 75, async () => {
    await run(['rm', '-f', '--', INSPECT_SCRIPT]);
    await run(t.commands.updateGrub, { timeoutMs: 300_000, what: 'update-grub (removing the inspection entry)' });
    const env = await exec([...t.commands.grubEditenv, 'list']);
    if (env.code === 0 && parseGrubEnv(env.stdout).get('next_entry') === INSPECT_ENTRY_ID) await run([...t.commands.grubEditenv, 'unset', 'next_entry']);
    await run(['sync']);
    const cfg = (await run(['cat', '--', grubCfg])).stdout;
    if (parseGrubCfg(cfg).entries.some((e) => e.id === INSPECT_ENTRY_ID)) throw new Error(`${grubCfg} still has the entry ${INSPECT_ENTRY_ID} after update-grub`);
    grubDirty = false;
  });

  try {
    // ---- 1 preflight
    conn = await SshConnection.connect(t, connectOpts);
    const probe = async (): Promise<PreflightReport> => {
      const r = await run(probeArgv(tools, PYTHON_MODULES.map((m) => m.module)), { sudo: false, what: 'the preflight probe' });
      return parsePreflight(r.stdout, { tools, params, ...(cpuidMin ? { cpuidMin } : {}) });
    };
    let report = await probe();
    // A leftover entry of an interrupted inspection: remove it first.
    const stale = await exec(['test', '-e', INSPECT_SCRIPT], { sudo: false });
    if (stale.code === 0) {
      emit('preflight', 'progress', `removing ${INSPECT_SCRIPT}, left by an interrupted inspection`);
      grubDirty = true;
      await restore();
    }
    let pkgs = missingPackages(report);
    if (pkgs.length && o.installMissing) {
      emit('preflight', 'progress', `installing ${pkgs.join(' ')} (apt-get)`);
      const env = ['env', 'DEBIAN_FRONTEND=noninteractive'];
      const up = await exec([...env, 'apt-get', 'update', '-q'], { timeoutMs: o.installTimeoutMs ?? 900_000 });
      if (up.code !== 0) fail(`apt-get update failed (${up.stderr.trim().split('\n').pop() ?? `exit ${up.code}`}): the board cannot reach its package mirror. Install on the board: ${installCommand(report)}`, InspectCodes.installFailed);
      const inst = await exec([...env, 'apt-get', 'install', '-y', '-q', '--no-install-recommends', ...pkgs], { timeoutMs: o.installTimeoutMs ?? 900_000 });
      if (inst.code !== 0) fail(`apt-get install ${pkgs.join(' ')} failed: ${inst.stderr.trim().split('\n').slice(-3).join(' ') || `exit ${inst.code}`}`, InspectCodes.installFailed);
      installed.push(...pkgs);
      report = await probe();
      pkgs = missingPackages(report);
    }
    const problems = describeMissing(report);
    if (o.preflightOnly) {
      emit('preflight', 'done', problems.length || report.missingParams.length ? [...problems, ...(report.missingParams.length ? [`kernel parameters missing: ${report.missingParams.join(' ')}`] : [])].join('; ') : 'everything the inspector needs is there');
      return { host, preflight: report, installed, bootSeconds: undefined, cmdline: report.cmdline, findings: [], success: undefined, out: undefined, boardSchema: undefined, timings };
    }
    if (problems.length) {
      fail(`the board inspector cannot run: ${problems.join('; ')}. Fix: on ${t.host} run \`${installCommand(report) ?? 'install them'}\` (or pass --install-missing / answer "Install" in VS Code)`, InspectCodes.missingTools);
    }
    if (report.pciDomains.length > 1) {
      fail(`the board has several PCI domains (${report.pciDomains.join(', ')}), which ACRN does not support: look in the BIOS for a setting that consolidates them (VMD, the Volume Management Device, is a known cause)`, InspectCodes.multiplePciDomains);
    }
    emit('preflight', 'done', `${report.tools.length} tools and ${PYTHON_MODULES.length} python modules found${installed.length ? ` (installed ${installed.join(' ')})` : ''}; ${report.missingParams.length ? `kernel parameters missing: ${report.missingParams.join(' ')}` : 'kernel parameters present'}${report.inVm ? '; this is a virtual machine (the inspector will say so)' : ''}`);

    // ---- 2 boot
    step = 'boot';
    let bootSeconds: number | undefined;
    let cmdline = report.cmdline;
    if (report.missingParams.length === 0) {
      emit('boot', 'skipped', `/proc/cmdline already has ${params.join(' ')}`);
    } else {
      emit('boot', 'running', `adding a one-shot GRUB entry with ${report.missingParams.join(' ')}`);
      const before = await readDefault();
      const base = inspectBase(before.cfg, parseGrubCfg(before.cfg), before.def.entry);
      if (!base) fail(`${grubCfg} has no entry that boots Linux directly (the inspector must run on the native Linux, not under a hypervisor). Add one, or boot Linux with ${params.join(' ')} yourself and run again`, InspectCodes.noLinuxEntry);
      const title = `acrn-nest board inspection (once): ${base!.entry.title}`;
      if (o.noReboot) fail(`the kernel lacks ${report.missingParams.join(' ')} and --no-reboot was given. Reboot the board once with them (or drop --no-reboot: acrn-nest then boots "${base!.entry.title}" once with them)`, InspectCodes.rebootRefused);
      if (o.confirmReboot && !(await o.confirmReboot({ host, missing: report.missingParams, entry: base!.entry.title }))) {
        fail(`the reboot with ${report.missingParams.join(' ')} was declined; nothing was changed on the board`, InspectCodes.rebootRefused);
      }
      const script = inspectScript(inspectEntryText({ title, body: base!.body, params }), [`Boots "${base!.entry.title}"${base!.isDefault ? ' (the default)' : ''} with ${params.join(' ')}.`]);
      const tmp = `${nodePath.posix.dirname(INSPECT_SCRIPT)}/.${nodePath.posix.basename(INSPECT_SCRIPT)}.acrn-nest.tmp`;
      await locked('the one-shot boot', 0, async () => {
        // What a plain reboot boots, read again now that no deploy can change it under us.
        const held = await readDefault();
        if (entryKey(held.def) !== entryKey(before.def)) fail(`a plain reboot of ${host} now boots "${held.def.entry?.title ?? '?'}", not "${before.def.entry?.title ?? '?'}" as a moment ago (a deploy just finished?): nothing was changed; run the inspection again`, InspectCodes.grubChanged);
        // SFTP writes as the SSH user: stage in /tmp, then install it as root.
        const userTmp = (await run(['mktemp', '/tmp/acrn-nest-grub.XXXXXX'], { sudo: false })).stdout.trim();
        await conn!.upload(Buffer.from(script), userTmp, { mode: 0o644 });
        grubDirty = true;
        await run(['install', '-m', '0755', '--', userTmp, tmp]);
        await run(['mv', '-f', '--', tmp, INSPECT_SCRIPT]);
        await exec(['rm', '-f', '--', userTmp], { sudo: false });
        await run(t.commands.updateGrub, { timeoutMs: 300_000, what: 'update-grub' });
        const after = await readDefault();
        if (!parseGrubCfg(after.cfg).entries.some((e) => e.id === INSPECT_ENTRY_ID)) fail(`update-grub ran but ${grubCfg} has no entry ${INSPECT_ENTRY_ID}: is ${INSPECT_SCRIPT} skipped (not executable, or grub-mkconfig not reading /etc/grub.d)?`, InspectCodes.grubChanged);
        if (entryKey(after.def) !== entryKey(before.def)) fail(`after update-grub a plain reboot would boot "${after.def.entry?.title ?? '?'}" instead of "${before.def.entry?.title ?? '?'}": the inspection entry was removed again and nothing else changed`, InspectCodes.grubChanged);
        await run([...t.commands.grubReboot, INSPECT_ENTRY_ID]);
        await run(['sync']);
      }, { keepUntilReboot: true });
      emit('boot', 'progress', `rebooting ${host} once into "${title}"`, 0);
      const t0 = Date.now();
      conn = await rebootAndWait(conn, t, connectOpts, o.rebootTimeoutMs ?? 300_000, signal, (m, p) => emit('boot', 'progress', m, p), (m) => fail(m, InspectCodes.bootTimeout));
      bootSeconds = (Date.now() - t0) / 1000;
      const again = await probe();
      if (again.bootId === report.bootId) fail(`the board did not reboot (same boot id ${again.bootId})`, InspectCodes.paramsNotApplied);
      cmdline = again.cmdline;
      // Back to normal before anything else: the next plain reboot boots the default as before.
      emit('boot', 'progress', `back after ${bootSeconds.toFixed(1)} s; removing the one-shot entry (update-grub)`, 0.95);
      await restore();
      if (again.missingParams.length) {
        fail(`the board came back without ${again.missingParams.join(' ')} in /proc/cmdline (${again.cmdline}): GRUB booted another entry (a menu choice, or grub-reboot not honoured: GRUB_DEFAULT must not be a fixed entry that ignores next_entry). The entry was removed again`, InspectCodes.paramsNotApplied);
      }
      emit('boot', 'done', `booted once with ${params.join(' ')} in ${bootSeconds.toFixed(1)} s; the entry is removed, the next plain reboot boots "${before.def.entry?.title ?? 'the default'}" as before`);
    }

    // ---- 3 upload
    step = 'upload';
    emit('upload', 'running', `sending ACRN ${packed.version ?? ''} board inspector (${packed.files} files, ${Math.round(packed.tgz.length / 1024)} KiB packed)`.replace('  ', ' '));
    staging = (await run(['mktemp', '-d', STAGING_TEMPLATE], { sudo: false })).stdout.trim();
    if (!/^\/tmp\/acrn-nest-inspect\.[A-Za-z0-9]+$/.test(staging)) fail(`mktemp gave an unexpected folder: ${JSON.stringify(staging)}`);
    await conn.upload(packed.tgz, `${staging}/board_inspector.tgz`, signal ? { signal } : {});
    await run(['tar', '-xzf', `${staging}/board_inspector.tgz`, '-C', staging], { sudo: false });
    emit('upload', 'done', `in ${staging}`);

    // ---- 4 run
    step = 'run';
    if (!report.msrDevice) {
      // The inspector lists /dev/cpu before it loads msr itself (legacy/board_parser.py
      // check_msr_nodes): without the folder it crashes. Load the module first, as it would.
      emit('run', 'progress', 'loading the msr module (modprobe msr): the inspector reads MSRs through /dev/cpu/N/msr');
      const m = await exec(['modprobe', 'msr']);
      if (m.code !== 0) emit('run', 'progress', `modprobe msr failed (${m.stderr.trim() || `exit ${m.code}`}); the inspector will report the missing MSR device`);
    }
    const xmlName = `${o.name}.xml`;
    const argv = ['python3', 'board_inspector/board_inspector.py', o.name, '--out', xmlName, ...(o.basic ? ['--basic'] : [])];
    emit('run', 'running', `sudo ${argv.join(' ')} (in ${staging})`, 0);
    let all = '';
    const outSplit = new LineSplitter();
    const errSplit = new LineSplitter();
    const onLine = (line: string): void => {
      o.onOutput?.(line);
      const p = progressOf(line);
      const shown = displayLine(line);
      if (shown !== undefined || p !== undefined) emit('run', 'progress', shown ?? `${Math.round((p ?? 0) * 100)}%`, p);
    };
    const feed = (s: LineSplitter) => (d: Buffer): void => {
      const text = d.toString('utf8');
      all += text;
      for (const l of s.push(text)) onLine(l);
    };
    const r = await exec(['sh', '-c', 'cd "$1" && shift && exec "$@"', 'sh', staging, ...argv], { timeoutMs: o.runTimeoutMs ?? 1_800_000, onStdout: feed(outSplit), onStderr: feed(errSplit), what: 'the board inspector' });
    for (const l of [...outSplit.end(), ...errSplit.end()]) onLine(l);
    const findings = extractFindings(all);
    const success = successLine(all);
    if (r.code !== 0) {
      const crit = findings.filter((f) => f.level === 'CRITICAL');
      const last = (r.stderr.trim() || r.stdout.trim()).split('\n').pop()?.trim();
      const needsPw = /a (terminal|password) is required/.test(r.stderr);
      fail(
        needsPw
          ? 'sudo needs a password on this board: store one (VS Code asks and keeps it in SecretStorage; CLI: --sudo-password-stdin)'
          : `the board inspector exited with ${r.code ?? r.signal}: ${crit.length ? crit.map((f) => `${f.message}${f.file ? ` (${f.file})` : ''}`).join('; ') : last ?? 'no output'}`,
        needsPw ? ErrorCodes.sudoPasswordNeeded : InspectCodes.inspectorFailed,
        findings,
      );
    }
    emit('run', 'done', `${findings.filter((f) => f.level === 'WARNING').length} warning(s), ${findings.filter((f) => f.level === 'ERROR').length} error(s), ${findings.filter((f) => f.level === 'CRITICAL').length} critical`, 1);

    // ---- 5 fetch
    step = 'fetch';
    emit('fetch', 'running', `reading ${staging}/${xmlName}`);
    const got = await exec(['cat', '--', `${staging}/${xmlName}`], { what: `read ${xmlName}` });
    if (got.code !== 0) fail(`the inspector exited 0 but wrote no ${xmlName} (${got.stderr.trim()})`, InspectCodes.inspectorFailed, findings);
    const why = notABoard(got.stdout);
    if (why) fail(`${xmlName} is not usable: ${why}`, InspectCodes.notABoard, findings);
    try {
      writeAtomic(o.out, got.stdout);
    } catch (e) {
      fail(`cannot write ${o.out}: ${(e as Error).message}`, InspectCodes.step, findings, e);
    }
    // Written first, so that the FILE:LINE:COL below point into a file the user can open.
    const check = checkBoardSchema(got.stdout, o.acrnTree);
    const invalid = check.findings.filter((f) => f.severity === 'error');
    if (invalid.length) {
      const lines = formatBoardFindings(o.out, got.stdout, invalid);
      fail(
        `the board XML does not match ${check.schema ?? BOARD_XSD} (${invalid.length} error${invalid.length > 1 ? 's' : ''}): ${lines.slice(0, 10).join('; ')}${lines.length > 10 ? `; and ${lines.length - 10} more` : ''}. It is kept in ${o.out} as the inspector wrote it, but ACRN's configurator and build will refuse it: run the inspector of the same ACRN tree you build with (an older or newer tree writes other elements), or report the inspector's findings above`,
        InspectCodes.boardInvalid,
        findings,
      );
    }
    emit('fetch', 'done', `${o.out} (${Math.round(got.stdout.length / 1024)} KiB, an ACRN board file${check.schema ? `, valid against ${BOARD_XSD}` : `; ${o.acrnTree} has no ${BOARD_XSD} to check it against (ACRN v2.x)`})`);
    return { host, preflight: report, installed, bootSeconds, cmdline, findings, success, out: o.out, boardSchema: check.schema, timings };
  } catch (e) {
    const err = e instanceof InspectError ? e : new InspectError(step, host, (e as Error).message, e instanceof ChangedHostKeyError || e instanceof UnknownHostKeyError ? (e as AcrnNestError).code : ((e as { code?: string }).code ?? InspectCodes.step), [], e);
    emit(err.step, 'failed', err.reason);
    await heldForReboot?.release();
    if (grubDirty) {
      try {
        if (!conn?.isOpen) conn = await SshConnection.connect(t, { ...connectOpts, onUnknownHostKey: undefined } as ConnectOptions);
        await restore();
      } catch (re) {
        err.message += `. The one-shot entry could not be removed (${(re as Error).message}): on the board run \`sudo rm ${INSPECT_SCRIPT} && sudo update-grub\``;
      }
    }
    throw err;
  } finally {
    if (conn?.isOpen && staging) await conn.exec(['rm', '-rf', '--', staging], { sudo: true, timeoutMs: 30_000 }).catch(() => undefined);
    conn?.close();
  }
}

/**
 * Reboots and waits for SSH to drop and come back (bounded, polling with backoff), as deploy's
 * step 4 does. Returns the new connection.
 */
async function rebootAndWait(conn: SshConnection, t: ResolvedTarget, connectOpts: ConnectOptions, total: number, signal: AbortSignal | undefined, progress: (m: string, p: number) => void, fail: (m: string) => never): Promise<SshConnection> {
  const host = describeTarget(t);
  const t0 = Date.now();
  const down = conn.closed;
  const rb = conn.exec(t.commands.reboot, { sudo: true }).catch((e: unknown) => {
    if (e instanceof ConnectionLostError) return undefined;
    throw e;
  });
  const first = await Promise.race([rb.then((r) => ({ r })), down.then(() => ({ r: undefined }))]);
  if (first.r && first.r.code !== 0) fail(`${t.commands.reboot.join(' ')} failed: ${first.r.stderr.trim() || `exit ${first.r.code}`}`);
  let downTimer: NodeJS.Timeout | undefined;
  await Promise.race([down, new Promise<void>((_r, rej) => (downTimer = setTimeout(() => rej(new Error(`the board did not go down within ${Math.round(total / 1000)} s after ${t.commands.reboot.join(' ')}`)), total)))]).finally(() => clearTimeout(downTimer));
  conn.close();
  progress(`${host} went down; waiting for SSH to come back`, 0.1);
  let delay = 200;
  let lastErr = '';
  for (let attempt = 1; ; attempt++) {
    const left = total - (Date.now() - t0);
    if (left <= 0) fail(`the board did not come back within ${Math.round(total / 1000)} s (last error: ${lastErr}). Power-cycle it: GRUB boots the one-shot entry only once, so the next boot is the default`);
    try {
      return await SshConnection.connect(t, { ...connectOpts, onUnknownHostKey: undefined, readyTimeoutMs: Math.max(1000, Math.min(10_000, left)) } as ConnectOptions);
    } catch (e) {
      if (e instanceof ChangedHostKeyError || e instanceof UnknownHostKeyError || e instanceof AbortedError) throw e;
      lastErr = (e as Error).message;
      const el = Date.now() - t0;
      progress(`waiting for ${host} (${Math.round(el / 1000)} s, attempt ${attempt})`, Math.min(0.9, 0.1 + el / total));
      await sleep(Math.min(delay, Math.max(0, total - el)), signal);
      delay = Math.min(2000, Math.round(delay * 1.6));
    }
  }
}
