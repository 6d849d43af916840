/**
 * `acrn-nest board inspect --target-file FILE --name NAME [--out FILE] [--acrn-tree DIR] [--basic]`:
 * ACRN's board inspector of the tree run on the board (hv-core/inspect), one line per step, the
 * inspector's own lines as progress, its WARNING/ERROR/CRITICAL lines as findings at the end.
 * The tree: --acrn-tree, else $ACRN_TREE. Host keys and sudo passwords as `acrn-nest deploy`.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CliIO, CliRun } from './io.js';
import { UsageError } from './io.js';
import type { InspectEvent, InspectorFinding } from '../engine.js';
import { InspectError, checkBoardName, describeMissing, formatFinding, inspectBoard, installCommand } from '../engine.js';
import { cliSettings, cliTarget, connectFlags, loadCliTarget, secondsFlag, settingsOrExit, sharedOptions, sudoPasswordFlag } from './settings.js';

export interface InspectArgs {
  targetFile: string;
  name: string;
  out: string;
  acrnTree: string;
  basic: boolean;
  installMissing: boolean;
  noReboot: boolean;
  preflightOnly: boolean;
  acceptNewHostKey: boolean;
  sudoPasswordStdin: boolean;
  timeoutMs: number | undefined;
  json: boolean;
}

/** The flags of `board inspect`, checked; paths resolved against cwd. Throws UsageError. */
export function parseInspectArgs(argv: string[], cwd: string, env: NodeJS.ProcessEnv): InspectArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...sharedOptions('target-file', 'acrn-tree', 'no-reboot', 'accept-new-host-key', 'sudo-password-stdin', 'timeout', 'json'),
      name: { type: 'string' },
      out: { type: 'string' },
      basic: { type: 'boolean', default: false },
      'install-missing': { type: 'boolean', default: false },
      'preflight-only': { type: 'boolean', default: false },
    },
  });
  const [sub, ...extra] = positionals;
  if (sub !== 'inspect') throw new UsageError(sub ? `unknown subcommand '${sub}' (only: inspect)` : 'a subcommand is required: inspect');
  if (extra.length) throw new UsageError(`unexpected argument ${extra[0]}`);
  if (!values['target-file']) throw new UsageError('--target-file FILE is required (the board, as for deploy)');
  if (values.name === undefined) throw new UsageError('--name NAME is required (the board\'s name, e.g. my-nuc)');
  const bad = checkBoardName(values.name);
  if (bad) throw new UsageError(`--name: ${bad}`);
  const tree = values['acrn-tree'] ?? env.ACRN_TREE;
  if (!tree) throw new UsageError('--acrn-tree DIR is required (an ACRN source tree: its misc/config_tools/board_inspector runs on the board), or set ACRN_TREE');
  const timeoutMs = secondsFlag(values.timeout);
  const abs = (p: string): string => path.resolve(cwd, p);
  return {
    targetFile: abs(values['target-file']),
    name: values.name,
    out: abs(values.out ?? `${values.name}.board.xml`),
    acrnTree: abs(tree),
    basic: values.basic,
    installMissing: values['install-missing'],
    noReboot: values['no-reboot'],
    preflightOnly: values['preflight-only'],
    acceptNewHostKey: values['accept-new-host-key'],
    sudoPasswordStdin: values['sudo-password-stdin'],
    timeoutMs,
    json: values.json,
  };
}

function printFindings(io: CliIO, findings: InspectorFinding[]): void {
  if (!findings.length) return;
  io.out(`the inspector's findings (${findings.length}):`);
  for (const f of findings) io.out(`  ${formatFinding(f)}`);
}

export const boardCommand: CliRun = {
  async run(argv: string[], io: CliIO): Promise<number> {
    const a = parseInspectArgs(argv, io.cwd, io.env);
    // The settings of the run: the target file (already absolute) and the tree.
    const settings = settingsOrExit('board', io, () => cliSettings({ 'target-file': a.targetFile, 'acrn-tree': a.acrnTree }, io, { loadTarget: loadCliTarget }));
    if (typeof settings === 'number') return settings;
    const target = cliTarget(settings)!.target;
    const sudoPassword = await sudoPasswordFlag(a.sudoPasswordStdin, io);
    const onEvent = (e: InspectEvent): void => {
      if (a.json) return;
      const head = `[${e.index}/5] ${e.step}`;
      if (e.status === 'progress') {
        io.out(e.step === 'run' ? `  ${e.message}` : `${head}: ${e.message}`);
        return;
      }
      (e.status === 'failed' ? io.err : io.out)(`${head}${e.status === 'running' ? '' : ` ${e.status}`}: ${e.message}`);
    };
    try {
      const r = await inspectBoard({
        target,
        name: a.name,
        acrnTree: settings.acrnTree!,
        out: a.out,
        basic: a.basic,
        installMissing: a.installMissing,
        noReboot: a.noReboot,
        preflightOnly: a.preflightOnly,
        ...(a.timeoutMs ? { runTimeoutMs: a.timeoutMs } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
        connect: connectFlags(io, a.acceptNewHostKey, sudoPassword),
        onEvent,
      });
      if (a.json) {
        io.out(JSON.stringify({ ok: true, host: r.host, out: r.out, bootSeconds: r.bootSeconds, cmdline: r.cmdline, installed: r.installed, findings: r.findings, timings: r.timings, preflight: { missingTools: r.preflight.missingTools, missingModules: r.preflight.missingModules, missingParams: r.preflight.missingParams, inVm: r.preflight.inVm, os: r.preflight.os } }, null, 2));
        return 0;
      }
      if (a.preflightOnly) {
        const p = r.preflight;
        for (const l of describeMissing(p)) io.out(`  missing: ${l}`);
        if (p.missingParams.length) io.out(`  kernel parameters missing from /proc/cmdline: ${p.missingParams.join(' ')} (acrn-nest boots once with them)`);
        const cmd = installCommand(p);
        if (cmd) io.out(`  fix: on ${target.host} run: ${cmd}   (or: acrn-nest board inspect ... --install-missing)`);
        return describeMissing(p).length ? 1 : 0;
      }
      printFindings(io, r.findings);
      io.out(`board XML: ${r.out}${r.success ? '' : ' (the inspector printed no SUCCESS line)'}`);
      return 0;
    } catch (e) {
      if (e instanceof InspectError) {
        if (a.json) {
          io.out(JSON.stringify({ ok: false, step: e.step, code: e.code, message: e.message, findings: e.findings }, null, 2));
          return 1;
        }
        printFindings(io, e.findings);
        io.err(`acrn-nest board: ${e.message}`);
        return 1;
      }
      throw e;
    }
  },
};
