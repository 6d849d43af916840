/**
 * `acrn-nest nvmx status|enable|disable FILE`: the NVMX recipe engine on the command line. Edits
 * FILE in place (atomically: a temp file in the same folder, then rename), or prints the unified
 * diff with --dry-run. `status` prints the recipe checklist with FILE:LINE:COL links.
 */
import { chmodSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createTwoFilesPatch } from 'diff';
import type { Plan, SharingChoice, XmlDocument } from '../engine.js';
import { LineIndex, analyzeText, boardFor, createAnalysisCaches, loadFile, nvmxStatus, parseXml, planDisable, planEnable } from '../engine.js';
import { formatFindingText } from './format.js';
import type { CliIO, CliRun } from './io.js';
import { cliSettings, sharedOptions } from './settings.js';
import { UsageError } from './io.js';


/** Writes a file atomically next to itself, keeping its mode. */
export function writeAtomic(file: string, text: string): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.acrn-nest-${process.pid}.tmp`);
  const mode = statSync(file).mode & 0o7777;
  try {
    writeFileSync(tmp, text, { encoding: 'utf8', flag: 'wx' });
    chmodSync(tmp, mode);
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
}

export const nvmxCommand: CliRun = {
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...sharedOptions('board', 'acrn-tree'),
        'dry-run': { type: 'boolean', default: false },
        'remove-sharing-vms': { type: 'boolean', default: false },
        'repin-sharing-vms': { type: 'boolean', default: false },
        format: { type: 'string', default: 'text' },
      },
    });
    const [action, arg, ...extra] = positionals;
    if (!action) throw new UsageError('no action given (status, enable or disable)');
    if (action !== 'status' && action !== 'enable' && action !== 'disable') throw new UsageError(`unknown action '${action}' (status, enable or disable)`);
    if (!arg) throw new UsageError('no FILE given');
    if (extra.length) throw new UsageError(`one FILE only (got also ${extra.join(' ')})`);
    if (values['remove-sharing-vms'] && values['repin-sharing-vms']) throw new UsageError('--remove-sharing-vms and --repin-sharing-vms exclude each other');
    if (values.format !== 'text' && values.format !== 'json') throw new UsageError(`--format must be text or json, not '${values.format}'`);
    const json = values.format === 'json';

    const file = path.resolve(io.cwd, arg);
    let loaded;
    try {
      loaded = loadFile(file);
    } catch (e) {
      io.err(`${arg}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
      return 1;
    }
    if (loaded.binary) {
      io.err(`${arg}: binary file, not a scenario`);
      return 1;
    }
    const target = loaded.path;
    const text = loaded.text;
    const settings = cliSettings(values, io);
    const acrnTree = settings.acrnTree;
    // An explicit board that is missing is an error below (boardFor would skip it).
    const boardPath = settings.boardFile ?? boardFor({ scenarioPath: target, text, acrnTree });
    let board: XmlDocument | undefined;
    if (boardPath) {
      try {
        board = parseXml(readFileSync(boardPath, 'utf8'));
      } catch (e) {
        io.err(`${values.board ?? boardPath}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
        return 1;
      }
    }
    const lines = new LineIndex(text);
    const where = (off: number): string => {
      const p = lines.positionAt(off);
      return `${arg}:${p.line + 1}:${p.character + 1}`;
    };

    try {
      if (action === 'status') {
        const st = nvmxStatus(text, { board });
        if (json) {
          io.out(JSON.stringify({ file: arg, board: boardPath ?? null, ...st, steps: st.steps.map((s) => ({ ...s, line: lines.positionAt(s.start).line + 1, column: lines.positionAt(s.start).character + 1 })), sharing: st.sharing.map(({ conflicts: _c, ...s }) => s) }, null, 2));
          return 0;
        }
        io.out(`${arg}: ${st.dialect}; nested virtualization ${st.enabled ? 'ON' : 'off'}${st.complete ? ', every recipe step satisfied' : ''}${boardPath ? ` (board ${path.relative(io.cwd, boardPath) || boardPath})` : ' (no board file: pass --board for the pCPU checks)'}`);
        for (const s of st.steps) {
          const mark = s.notApplicable ? '[-]' : s.satisfied ? '[x]' : '[ ]';
          io.out(`${mark} ${s.title}: ${s.detail}`);
          io.out(`    ${where(s.start)} (${s.recipe})`);
        }
        io.out('L1 hypervisor: KVM only, 64-bit, with EPT for L2 guests; QEMU launches the L2 guests (recipe: Restrictions and Constraints)');
        return 0;
      }

      const choice: SharingChoice = values['remove-sharing-vms'] ? 'remove' : values['repin-sharing-vms'] ? 'repin' : 'keep';
      const plan: Plan = action === 'enable' ? planEnable(text, { board, defaultChoice: choice }) : planDisable(text, { board });
      if (json) {
        io.out(JSON.stringify({ file: arg, board: boardPath ?? null, action, dialect: plan.dialect, changes: plan.changes, kept: plan.kept, problems: plan.problems, sharing: plan.sharing.map(({ conflicts: _c, ...s }) => s), diff: createTwoFilesPatch(arg, arg, text, plan.result), written: !values['dry-run'] && plan.edits.length > 0 }, null, 2));
      } else {
        for (const c of plan.changes) io.out(`- ${c}`);
        for (const k of plan.kept) io.out(`= ${k}`);
        for (const p of plan.problems) io.err(`${arg}: warning: ${p}`);
        if (action === 'enable' && choice === 'keep' && plan.sharing.length) io.err(`${arg}: note: pass --remove-sharing-vms or --repin-sharing-vms to resolve the CPU sharing`);
      }
      if (plan.edits.length === 0) {
        if (!json) io.out(`${arg}: nothing to change (nested virtualization already ${action === 'enable' ? 'enabled' : 'disabled'})`);
      } else if (values['dry-run']) {
        if (!json) io.out(createTwoFilesPatch(arg, arg, text, plan.result, undefined, undefined, { context: 3 }).replace(/^Index: [^\n]*\n=+\n/, '').trimEnd());
      } else {
        writeAtomic(target, plan.result);
        if (!json) io.out(`${arg}: ${plan.edits.length} edit(s) written`);
      }
      // Re-validate the result: the recipe's rules (and ACRN's schema checks the analysis runs).
      const after = analyzeText(plan.result, { board, acrnTree, uri: target, caches: createAnalysisCaches() });
      const errors = after.findings.filter((f) => f.severity === 'error');
      if (!json) {
        const al = new LineIndex(plan.result);
        for (const f of after.findings.filter((x) => x.source === 'nvmx')) io.err(formatFindingText(arg, al, f));
        if (errors.length) io.err(`${arg}: ${errors.length} error(s) remain after ${action}`);
      }
      if (!plan.edits.length && plan.problems.length && action === 'enable' && !plan.sharing.length) return 1;
      return errors.some((f) => f.source === 'nvmx') ? 1 : 0;
    } catch (e) {
      io.err(`${arg}: ${(e as Error).message}`);
      return 1;
    }
  },
};
