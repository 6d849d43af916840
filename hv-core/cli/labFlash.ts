/**
 * `acrn-nest lab flash`: what a LAVA worker runs as the `acrn-board` device type's flasher
 * (hv-core/lab/device/acrn-board.jinja2). It is `acrn-nest deploy` (upload, one-shot boot, verify,
 * only then the default) with the job's scenario, while the board's console is read: its lines go
 * into the job's log, and when they show a panic (ACRN's `PANIC:`, a kernel panic) the board is
 * power-cycled with the device's power command, so it boots its previous default (the one-shot
 * entry is spent) and the deploy fails at its verify step, the default unchanged, in seconds
 * rather than at the end of the reboot timeout with the board left hung.
 *
 * `--scenario {SCENARIO}`: LAVA's flasher replaces `{SCENARIO}` by the job's download named
 * `scenario` and leaves it as it is when the job has none (lab run without --scenario): then the
 * deploy goes without a scenario. `--acpi {ACPI}`: the job's `acpi` download, a tar of the
 * pre-launched VMs' ACPI_VM<n>.bin that `lab run` packed; it is unpacked into a folder of its own
 * (plain files of those names only) and that folder is the deploy's --acpi-dir.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { list as listTar, extract as extractTar } from 'tar';
import type { CliIO } from './io.js';
import { UsageError } from './io.js';
import { ConsoleSession, hypervisorSource } from '../engine.js';
import { openTargetFile } from './nest-target.js';
import { deployCommand } from './deploy.js';

/** What LAVA leaves in the command when the job has no download of that name. */
export const NO_SCENARIO = '{SCENARIO}';
/** The same for the job's `acpi` download (a scenario without pre-launched VMs' ACPI tables). */
export const NO_ACPI = '{ACPI}';
/** ACRN's panic() prints `PANIC: <function> line: <n>`; Linux `Kernel panic - not syncing`. */
export const DEFAULT_PANIC = 'PANIC:|Kernel panic';

/** Removes terminal escapes and carriage returns from console text (the job log is plain text). */
export function plainConsoleText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]/g, '').replace(/\r/g, '');
}

/**
 * The board's console as the job's log lines, escapes and CRs removed, and the first line that
 * shows a panic. Whole lines only: ACRN prints its `PANIC: <function> line: <n>` in one go, but the
 * serial port delivers it in pieces, and a match on the first piece cut the line in two in the
 * job's log (seen in a CI run: "PANIC: init_pcpu_pre", then " line: 154" on a line of its own).
 */
export class ConsoleLines {
  private partial = '';
  private found = false;
  constructor(private readonly panic: RegExp) {}

  feed(chunk: string): { lines: string[]; panic?: string } {
    // The unfinished line is kept raw, so an escape sequence cut between two pieces is removed whole.
    const all = (this.partial + chunk).split('\n');
    this.partial = all.pop() ?? '';
    const lines = all.map(plainConsoleText);
    const hit = this.found ? undefined : lines.find((l) => this.panic.test(l));
    if (hit === undefined) return { lines };
    this.found = true;
    return { lines, panic: hit.trim() };
  }

  /** What is left of an unfinished last line (the board was reset in the middle of it). */
  flush(): string | undefined {
    const rest = plainConsoleText(this.partial);
    this.partial = '';
    return rest || undefined;
  }
}

export async function flashCmd(io: CliIO, values: { 'target-file'?: string; image?: string; scenario?: string; acpi?: string; 'power-cycle'?: string; panic?: string; timeout?: string }): Promise<number> {
  if (!values['target-file']) throw new UsageError('lab flash: --target-file FILE is required (the board\'s target file on the worker)');
  if (!values.image) throw new UsageError('lab flash: --image FILE is required (LAVA\'s {IMAGE})');
  let panic: RegExp;
  try {
    panic = new RegExp(values.panic ?? DEFAULT_PANIC);
  } catch (e) {
    throw new UsageError(`lab flash: --panic: ${(e as Error).message}`);
  }
  const scenario = values.scenario && values.scenario !== NO_SCENARIO ? values.scenario : undefined;
  const acpiTar = values.acpi && values.acpi !== NO_ACPI ? values.acpi : undefined;
  if (acpiTar && !scenario) throw new UsageError('lab flash: --acpi TAR goes with --scenario FILE (the scenario names the ACPI tables its pre-launched VMs need)');
  const acpiDir = acpiTar ? unpackAcpiTables(acpiTar) : undefined;
  try {
    return await flash(io, values, panic, scenario, acpiDir);
  } finally {
    if (acpiDir) rmSync(acpiDir, { recursive: true, force: true });
  }
}

/** The ACPI tables from the job's tar, into a new folder: only plain files named ACPI_VM<n>.bin. */
export function unpackAcpiTables(tarFile: string): string {
  const names: string[] = [];
  const bad: string[] = [];
  try {
    listTar({ file: tarFile, sync: true, onReadEntry: (e) => (e.type === 'File' && /^ACPI_VM\d+\.bin$/.test(e.path) ? names : bad).push(e.path) });
  } catch (e) {
    throw new UsageError(`lab flash: --acpi ${tarFile} is not a tar of ACPI tables: ${(e as Error).message}`);
  }
  if (bad.length || !names.length) throw new UsageError(`lab flash: --acpi ${tarFile} holds ${bad.length ? `${bad.map((b) => `'${b}'`).join(', ')}, not only ACPI_VM<n>.bin files` : 'no ACPI_VM<n>.bin file'} (acrn-nest lab run packs it from the scenario's pre-launched VMs)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-acpi-'));
  extractTar({ file: tarFile, cwd: dir, sync: true, strict: true, filter: (p) => names.includes(p) });
  return dir;
}

async function flash(io: CliIO, values: { 'target-file'?: string; image?: string; 'power-cycle'?: string; timeout?: string }, panic: RegExp, scenario: string | undefined, acpiDir: string | undefined): Promise<number> {
  const t = openTargetFile(values['target-file']!, io);
  const name = t.resolved.name;
  const source = hypervisorSource(t.nest.console, name, t.provider, (c) => t.other(c));
  const session = new ConsoleSession(source, { reconnect: true });
  let panicked: string | undefined;
  let cycling: Promise<number> | undefined;
  const powerCycle = values['power-cycle']?.trim();
  const onPanic = (line: string): void => {
    panicked = line;
    if (!powerCycle) {
      io.err(`acrn-nest lab flash: ${name}'s console shows a panic (${panicked}); no --power-cycle command: the board stays where it is until the deploy's reboot timeout`);
      return;
    }
    io.err(`acrn-nest lab flash: ${name}'s console shows a panic (${panicked}): power-cycling it (${powerCycle}) so it boots its previous default`);
    cycling = runPowerCycle(powerCycle, io);
  };
  const lines = new ConsoleLines(panic);
  session.on('data', (d) => {
    const r = lines.feed(d.toString('latin1'));
    for (const l of r.lines) io.out(`console: ${l}`);
    if (r.panic !== undefined) onPanic(r.panic);
  });
  session.on('status', (ev) => {
    if (ev.type === 'connected' || ev.type === 'reconnected' || ev.type === 'disconnected') io.out(`console: [${ev.message}]`);
  });
  session.start().catch(() => undefined);
  let code: number;
  try {
    code = await deployCommand.run(
      ['--target-file', values['target-file']!, '--image', values.image!, ...(scenario ? ['--scenario', scenario] : []), ...(acpiDir ? ['--acpi-dir', acpiDir] : []), ...(values.timeout ? ['--timeout', values.timeout] : [])],
      io,
    );
    if (cycling) {
      const pc = await cycling;
      if (pc !== 0) io.err(`acrn-nest lab flash: the power cycle (${powerCycle}) exited ${pc}`);
    }
  } finally {
    const rest = lines.flush();
    if (rest) io.out(`console: ${rest}`);
    await session.close();
    t.close();
  }
  if (panicked !== undefined) {
    io.err(`acrn-nest lab flash: the new image panicked on ${name} (${panicked})${code === 0 ? '' : `; ${powerCycle ? 'after the power cycle the board runs its previous default, unchanged' : 'the board needs a power cycle: it boots its previous default, unchanged'}`}`);
  }
  return code;
}

function runPowerCycle(cmd: string, io: CliIO): Promise<number> {
  return new Promise((resolve) => {
    const c = spawn('sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'], env: io.env });
    const pipe = (d: Buffer): void => {
      for (const l of d.toString().split('\n')) if (l.trim()) io.out(`power: ${l}`);
    };
    c.stdout.on('data', pipe);
    c.stderr.on('data', pipe);
    c.on('error', (e) => {
      io.err(`acrn-nest lab flash: cannot run the power cycle: ${e.message}`);
      resolve(127);
    });
    c.on('close', (status) => resolve(status ?? 1));
  });
}
