/**
 * Schema diagnostics speed, on the largest official v3.3 scenario and its board:
 *  - in-server structure + type diagnostics (parse + schema walk), warm;
 *  - with every assertion and the board: a full evaluation (outcome cache cleared), after a
 *    one-value edit (incremental), and unchanged;
 *  - `acrn-nest lint` as a whole process vs ACRN's validator.py on nuc11tnbi5's shared.xml and
 *    board: a first run cold (nothing cached) and warm (lint's start-up snapshot there), a run
 *    answered from lint's result cache, next to Node's own start time; and a batch of every
 *    official v3.3 scenario in one lint call vs validator.py file by file (an ACRN checkout from
 *    $ACRN_TREE or /tmp/acrn-v3.3 and Python's lxml, xmlschema and elementpath are needed for the
 *    baseline; otherwise the ratio is reported as not measured).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Report } from '../bench';
import { median } from '../bench';
import { analyzeText } from '../../hv-core/scenario/analyze';
import type { AnalysisContext } from '../../hv-core/scenario/analyze';
import { detectDialect } from '../../hv-core/scenario/dialect';
import { checkSchema } from '../../hv-core/schema/checker';
import { clearDatacheckCache, lastDatacheckStats } from '../../hv-core/schema/asserts';
import { findBoardFile } from '../../hv-core/schema/tree';
import { parseXml } from '../../hv-core/xml/parser';
import { LineIndex } from '../../hv-core/xml/positions';
import { acrnTree, dataFiles, REPO } from '../../test/unit/helpers';

export const title = 'Schema diagnostics (structure, types, assertions, datachecks)';

function largestScenario(): string {
  let best = '';
  let size = -1;
  for (const f of dataFiles('v3.3')) {
    const st = statSync(f);
    if (st.size > size && path.basename(f, '.xml') !== path.basename(path.dirname(f)) && readFileSync(f, 'utf8').includes('<load_order>')) {
      size = st.size;
      best = f;
    }
  }
  return best;
}

function times(fn: (i: number) => void, n: number, warm = 5): number[] {
  for (let i = 0; i < warm; i++) fn(i);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn(i);
    out.push(performance.now() - t0);
  }
  return out;
}

/** CPU time (user + sys) of a child, from GNU time where it is installed: less hurt by load. */
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const timeOut = path.join(os.tmpdir(), `acrn-nest-bench-time-${process.pid}`);
let lastCpu: number[] = [];

function wall(cmd: string, args: string[], cwd: string, n: number, env: NodeJS.ProcessEnv = process.env): { ms: number; status: number | null; out: string } {
  const ms: number[] = [];
  let last = { status: null as number | null, out: '' };
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = GNU_TIME ? spawnSync(GNU_TIME, ['-f', '%U %S', '-o', timeOut, cmd, ...args], { cwd, encoding: 'utf8', env }) : spawnSync(cmd, args, { cwd, encoding: 'utf8', env });
    ms.push(performance.now() - t0);
    if (GNU_TIME) {
      const [u, sys] = readFileSync(timeOut, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
      lastCpu.push(1000 * ((u ?? NaN) + (sys ?? NaN)));
    }
    last = { status: r.status, out: `${r.stdout}${r.stderr}` };
  }
  return { ms: median(ms), ...last };
}

/** Wall time and CPU time of runs (CPU NaN without GNU time). */
class Runs {
  readonly wall: number[] = [];
  readonly cpu: number[] = [];
  add(run: () => { ms: number }): void {
    lastCpu = [];
    this.wall.push(run().ms);
    this.cpu.push(lastCpu.reduce((a, b) => a + b, 0) || NaN);
  }
  get ms(): number {
    return median(this.wall);
  }
  get cpuMs(): number {
    return median(this.cpu);
  }
  /** "1234 ms (CPU 456 ms)" */
  text(unit: 'ms' | 's' = 'ms'): string {
    const f = (x: number): string => (unit === 's' ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);
    return `${f(this.ms)}${Number.isNaN(this.cpuMs) ? '' : ` (CPU ${f(this.cpuMs)})`}`;
  }
}

export async function run(report: Report): Promise<void> {
  const tree = acrnTree('v3.3');
  const file = largestScenario();
  const text = readFileSync(file, 'utf8');
  const boardFile = findBoardFile({ scenarioPath: file, doc: parseXml(text), acrnTree: tree });
  if (!boardFile) throw new Error(`no board for ${file}`);
  const board = parseXml(readFileSync(boardFile, 'utf8'));
  const rel = path.relative(tree, file);
  report({ figure: `scenario ${rel} (${(text.length / 1024).toFixed(1)} KB), board ${path.basename(boardFile)}`, value: '' });

  // 1. Structure and types, as the server runs them on each change (parse included).
  const structure = median(
    times(() => {
      const doc = parseXml(text);
      const dialect = detectDialect(doc)!;
      const ctx: AnalysisContext = { text, doc, dialect, lines: new LineIndex(text), options: { acrnTree: tree, board } };
      checkSchema(ctx, { structureOnly: true });
    }, 100),
  );
  report({ figure: 'structure + types, warm (median)', value: `${structure.toFixed(2)} ms`, target: '<= 10 ms', ok: structure <= 10 });

  // 2. Everything (asserts, datachecks with the board, every registered checker).
  const full = median(
    times(() => {
      clearDatacheckCache();
      analyzeText(text, { acrnTree: tree, board, uri: file });
    }, 15, 3),
  );
  report({ figure: 'all checks + board, full evaluation (median)', value: `${full.toFixed(1)} ms`, target: '<= 150 ms', ok: full <= 150 });
  const values = ['1', '2', '3', '4', '5', '6'];
  let evaluated = 0;
  const edit = median(
    times((i) => {
      // A one-value edit the user makes: a VM's vCPU affinity (re-runs the CPU checks only).
      analyzeText(text.replace(/<pcpu_id>\d+<\/pcpu_id>/, `<pcpu_id>${values[i % values.length]}</pcpu_id>`), { acrnTree: tree, board, uri: file });
      evaluated += lastDatacheckStats().evaluated;
    }, 30),
  );
  report({ figure: `all checks + board, after a one-value edit (median; ${(evaluated / 35).toFixed(1)} of 44 datachecks re-run)`, value: `${edit.toFixed(1)} ms`, target: '<= 150 ms', ok: edit <= 150 });
  const same = median(times(() => analyzeText(text, { acrnTree: tree, board, uri: file }), 30));
  report({ figure: 'all checks + board, unchanged document (median)', value: `${same.toFixed(1)} ms` });

  await wholeProcess(report, tree);
}

/** An official scenario that is a git symlink placeholder (its text is the target's name) resolved. */
function resolvePlaceholder(file: string): string {
  const t = readFileSync(file, 'utf8').trim();
  return !t.startsWith('<') && /^[\w.-]+\.xml$/.test(t) ? path.join(path.dirname(file), t) : file;
}

/** The official v3.3 scenarios (every XML of data/ but the boards), each with its board. */
function officialScenarios(): { file: string; board: string }[] {
  const out: { file: string; board: string }[] = [];
  for (const f of dataFiles('v3.3')) {
    const dir = path.dirname(f);
    const board = path.join(dir, `${path.basename(dir)}.xml`);
    if (f !== board && existsSync(board)) out.push({ file: f, board });
  }
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

/**
 * 3. Whole process: acrn-nest lint vs ACRN's validator.py, the runs interleaved so that the
 * machine's load falls on all of them alike, on nuc11tnbi5's shared.xml with its board (issue 12).
 * lint's start-up snapshot (hv-core/cli/startup.ts) and its result cache make three "first"
 * figures, each printed:
 *  - cold: nothing cached at all (a fresh cache folder, no start-up snapshot): a first run after
 *    installing acrn-nest or Node, or after a change of either;
 *  - warm start: the file was never linted (no lint cache entry) but the start-up snapshot of this
 *    Node and this acrn-nest build exists (it is built in the background after a first run);
 *  - from the cache: the same file again, unchanged.
 * Then the batch: every official v3.3 scenario in one lint call vs validator.py file by file.
 */
async function wholeProcess(report: Report, tree: string): Promise<void> {
  const cli = path.join(REPO, 'dist', 'cli.js');
  if (!existsSync(cli)) {
    report({ figure: 'acrn-nest lint vs validator.py', value: 'not measured', baseline: 'dist/cli.js missing (npm run build)' });
    return;
  }
  const data = path.join(tree, 'misc', 'config_tools', 'data', 'nuc11tnbi5');
  const file = path.join(data, 'shared.xml');
  const boardFile = path.join(data, 'nuc11tnbi5.xml');
  const candidates = [process.env.ACRN_TREE, '/tmp/acrn-v3.3'].filter((x): x is string => Boolean(x));
  const acrn = candidates.find((d) => existsSync(path.join(d, 'misc', 'config_tools', 'scenario_config', 'validator.py')));
  const py = '/usr/bin/python3';
  const hasPy = existsSync(py) && spawnSync(py, ['-c', 'import lxml, xmlschema, elementpath'], { encoding: 'utf8' }).status === 0;
  const validatorDir = acrn ? path.join(acrn, 'misc', 'config_tools', 'scenario_config') : '';
  const root = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-bench-cache-'));
  const warmDir = path.join(root, 'warm');
  const lintArgs = [cli, 'lint', '--acrn-tree', tree, '--board', boardFile, file];
  const env = (dir: string, snapshot: 'auto' | 'off' | 'sync' = 'auto'): NodeJS.ProcessEnv => ({ ...process.env, ACRN_NEST_CACHE_DIR: dir, ACRN_NEST_STARTUP_SNAPSHOT: snapshot });
  // The start-up snapshot, built once the way a first run builds it (there in the background).
  const built = wall(process.execPath, lintArgs, REPO, 1, env(warmDir, 'sync'));
  const hasBlob = existsSync(path.join(warmDir, 'startup')) && readdirSync(path.join(warmDir, 'startup')).some((n) => n.endsWith('.blob'));
  const coldDir = (i: number): string => path.join(root, `cold-${i}`);
  const noLintCache = (): void => rmSync(path.join(warmDir, 'lint'), { recursive: true, force: true });
  // Where the machine sets NODE_EXTRA_CA_CERTS, Node parses that CA bundle at every start: the
  // floor is measured without it too (lint makes no TLS connection).
  const extraCa = process.env.NODE_EXTRA_CA_CERTS;
  const noCaEnv: NodeJS.ProcessEnv = { ...process.env };
  delete noCaEnv.NODE_EXTRA_CA_CERTS;
  const runs = { node: new Runs(), nodeNoCa: new Runs(), cold: new Runs(), warm: new Runs(), cached: new Runs(), validator: new Runs() };
  const n = 5;
  for (let i = 0; i < n; i++) {
    runs.node.add(() => wall(process.execPath, ['-e', '0'], REPO, 1));
    if (extraCa) runs.nodeNoCa.add(() => wall(process.execPath, ['-e', '0'], REPO, 1, noCaEnv));
    // Cold: a fresh cache folder; the background build such a run starts is left out ('off'),
    // so that it does not load the runs after it (it is measured above, as `built`).
    runs.cold.add(() => wall(process.execPath, lintArgs, REPO, 1, env(coldDir(i), 'off')));
    noLintCache();
    runs.warm.add(() => wall(process.execPath, lintArgs, REPO, 1, env(warmDir)));
    runs.cached.add(() => wall(process.execPath, lintArgs, REPO, 1, env(warmDir)));
    if (acrn && hasPy) runs.validator.add(() => wall(py, ['validator.py', boardFile, resolvePlaceholder(file)], validatorDir, 1));
  }
  const floor = runs.node.ms;
  report({ figure: `lint figures: ${path.relative(tree, file)} with board ${path.basename(boardFile)}`, value: '' });
  report({ figure: `Node's own start, \`node -e 0\` (median of ${n}; ${extraCa ? `NODE_EXTRA_CA_CERTS=${extraCa} is set here` : 'NODE_EXTRA_CA_CERTS not set'})`, value: runs.node.text() });
  if (extraCa) report({ figure: `\`node -e 0\` without NODE_EXTRA_CA_CERTS (median of ${n})`, value: runs.nodeNoCa.text() });
  report({ figure: `acrn-nest lint, first run, cold: no lint cache, no start-up snapshot (median of ${n})`, value: runs.cold.text() });
  report({ figure: `acrn-nest lint, first run, warm start: no lint cache entry, start-up snapshot there (median of ${n}${hasBlob ? '' : '; NO SNAPSHOT WAS BUILT'})`, value: runs.warm.text() });
  report({ figure: 'building the start-up snapshot (once per Node and acrn-nest build; after a first run, in the background)', value: `${built.ms.toFixed(0)} ms` });
  report({ figure: `acrn-nest lint, same file again: answered from the lint cache (median of ${n})`, value: runs.cached.text() });
  const batch = officialScenarios();
  if (!acrn || !hasPy) {
    rmSync(root, { recursive: true, force: true });
    report({ figure: 'validator.py, whole process', value: 'not measured', baseline: !acrn ? 'no ACRN checkout ($ACRN_TREE or /tmp/acrn-v3.3)' : 'Python lxml/xmlschema/elementpath not importable', ratio: 'not measured' });
    return;
  }
  const v = runs.validator.ms;
  report({ figure: `ACRN validator.py, whole process (median of ${n})`, value: runs.validator.text(), baseline: acrn });
  // The target is on wall time; the CPU ratio beside it is what the machine's load hurts less.
  const ratio = (name: string, r: Runs, target?: number): void => {
    const x = v / r.ms;
    const cpu = runs.validator.cpuMs / r.cpuMs;
    report({ figure: `acrn-nest lint speed-up over validator.py, ${name}`, value: `${x.toFixed(1)}x`, ratio: `${x.toFixed(1)}x${Number.isNaN(cpu) ? '' : ` (CPU ${cpu.toFixed(1)}x)`}`, ...(target ? { target: `>= ${target}x`, ok: x >= target } : {}) });
  };
  ratio('first run, cold', runs.cold, 10);
  ratio('first run, warm start', runs.warm, 10);
  ratio('from the lint cache', runs.cached);
  report({ figure: "10x leaves validator.py / 10 for the whole process; Node's own start takes", value: `${(v / 10).toFixed(0)} ms budget, ${floor.toFixed(0)} ms for node -e 0`, ratio: `${((100 * floor) / (v / 10)).toFixed(0)}% of the budget` });

  // The batch: one lint call over every official scenario (lint finds each one's board) vs
  // validator.py once per file. validator.py takes seconds a file: a sample of one file in five,
  // spread over the boards, is timed and scaled to all of them (per-file mean x count).
  const files = batch.map((b) => b.file);
  const batchArgs = [cli, 'lint', '--acrn-tree', tree, ...files];
  const sample = batch.filter((_, i) => i % 5 === 2);
  const nb = 3;
  const b = { cold: new Runs(), warm: new Runs(), warm2: new Runs(), validator: new Runs() };
  for (let i = 0; i < nb; i++) {
    b.cold.add(() => wall(process.execPath, batchArgs, REPO, 1, env(path.join(root, `batch-cold-${i}`), 'off')));
    noLintCache();
    b.warm.add(() => wall(process.execPath, batchArgs, REPO, 1, env(warmDir)));
    noLintCache();
    b.warm2.add(() => wall(process.execPath, [...batchArgs.slice(0, 2), '--jobs', '2', ...batchArgs.slice(2)], REPO, 1, env(warmDir)));
    // Sum of the sample's runs, scaled: wall and CPU alike.
    b.validator.add(() => {
      let ms = 0;
      for (const s of sample) ms += wall(py, ['validator.py', s.board, resolvePlaceholder(s.file)], validatorDir, 1).ms;
      lastCpu = [(lastCpu.reduce((x, y) => x + y, 0) / sample.length) * batch.length];
      return { ms: (ms / sample.length) * batch.length };
    });
  }
  rmSync(root, { recursive: true, force: true });
  rmSync(timeOut, { force: true });
  report({ figure: `batch: all ${batch.length} official v3.3 scenarios`, value: '' });
  report({ figure: `validator.py file by file (${sample.length} of ${batch.length} files timed, scaled per file; median of ${nb})`, value: b.validator.text('s'), baseline: acrn });
  for (const [name, r, target] of [
    ['one acrn-nest lint call, cold (no lint cache, no snapshot)', b.cold, 50],
    ['one acrn-nest lint call, warm start (snapshot, no lint cache)', b.warm, 50],
    ['the same with --jobs 2 (two snapshot processes)', b.warm2, undefined],
  ] as const) {
    const x = b.validator.ms / r.ms;
    const cpu = b.validator.cpuMs / r.cpuMs;
    report({ figure: `${name} (median of ${nb})`, value: r.text('s'), ratio: `${x.toFixed(1)}x${Number.isNaN(cpu) ? '' : ` (CPU ${cpu.toFixed(1)}x)`}`, ...(target ? { target: `>= ${target}x`, ok: x >= target } : {}) });
  }
}
