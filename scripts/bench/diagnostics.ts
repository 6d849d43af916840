/**
 * Schema diagnostics speed, on the largest official v3.3 scenario and its board:
 *  - in-server structure + type diagnostics (parse + schema walk), warm;
 *  - with every assertion and the board: a full evaluation (outcome cache cleared), after a
 *    one-value edit (incremental), and unchanged;
 *  - `acrn-nest lint` as a whole process vs ACRN's validator.py on the same scenario and board, on
 *    a first run and on a run answered from lint's result cache, next to Node's own start time
 *    (an ACRN checkout from $ACRN_TREE or /tmp/acrn-v3.3 and Python's lxml, xmlschema and
 *    elementpath are needed for the baseline; otherwise the ratio is reported as not measured).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
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

function wall(cmd: string, args: string[], cwd: string, n: number, env: NodeJS.ProcessEnv = process.env): { ms: number; status: number | null; out: string } {
  const ms: number[] = [];
  let last = { status: null as number | null, out: '' };
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env });
    ms.push(performance.now() - t0);
    last = { status: r.status, out: `${r.stdout}${r.stderr}` };
  }
  return { ms: median(ms), ...last };
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

  // 3. Whole process: acrn-nest lint vs ACRN's validator.py, the runs interleaved so that the
  // machine's load falls on all of them alike. Two lint figures: a first run (nothing cached), and
  // the same file again (answered from lint's result cache). Node's own start is measured too:
  // no Node CLI can be faster than `node -e 0`.
  const cli = path.join(REPO, 'dist', 'cli.js');
  if (!existsSync(cli)) {
    report({ figure: 'acrn-nest lint vs validator.py', value: 'not measured', baseline: 'dist/cli.js missing (npm run build)' });
    return;
  }
  const candidates = [process.env.ACRN_TREE, '/tmp/acrn-v3.3'].filter((x): x is string => Boolean(x));
  const acrn = candidates.find((d) => existsSync(path.join(d, 'misc', 'config_tools', 'scenario_config', 'validator.py')));
  const py = '/usr/bin/python3';
  const hasPy = existsSync(py) && spawnSync(py, ['-c', 'import lxml, xmlschema, elementpath'], { encoding: 'utf8' }).status === 0;
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-bench-cache-'));
  const lintArgs = [cli, 'lint', '--acrn-tree', tree, '--board', boardFile, file];
  const cachedEnv: NodeJS.ProcessEnv = { ...process.env, ACRN_NEST_CACHE_DIR: cacheDir };
  const primed = spawnSync(process.execPath, lintArgs, { cwd: REPO, encoding: 'utf8', env: cachedEnv });
  // Where the machine sets NODE_EXTRA_CA_CERTS, Node parses that CA bundle at every start: the
  // floor and the cached lint are measured without it too, to show what that costs (lint makes no
  // TLS connection).
  const extraCa = process.env.NODE_EXTRA_CA_CERTS;
  const noCaEnv: NodeJS.ProcessEnv = { ...cachedEnv };
  delete noCaEnv.NODE_EXTRA_CA_CERTS;
  const runs: Record<'node' | 'cold' | 'cached' | 'validator' | 'nodeNoCa' | 'cachedNoCa', number[]> = { node: [], cold: [], cached: [], validator: [], nodeNoCa: [], cachedNoCa: [] };
  const n = 5;
  for (let i = 0; i < n; i++) {
    runs.node.push(wall(process.execPath, ['-e', '0'], REPO, 1).ms);
    runs.cold.push(wall(process.execPath, [...lintArgs, '--no-cache'], REPO, 1).ms);
    runs.cached.push(wall(process.execPath, lintArgs, REPO, 1, cachedEnv).ms);
    if (extraCa) {
      runs.nodeNoCa.push(wall(process.execPath, ['-e', '0'], REPO, 1, noCaEnv).ms);
      runs.cachedNoCa.push(wall(process.execPath, lintArgs, REPO, 1, noCaEnv).ms);
    }
    if (acrn && hasPy) runs.validator.push(wall(py, ['validator.py', boardFile, file], path.join(acrn, 'misc', 'config_tools', 'scenario_config'), 1).ms);
  }
  rmSync(cacheDir, { recursive: true, force: true });
  const cold = median(runs.cold);
  const cached = median(runs.cached);
  const floor = median(runs.node);
  report({ figure: `Node's own start, \`node -e 0\` (median of ${n}; ${extraCa ? `NODE_EXTRA_CA_CERTS=${extraCa} is set here` : 'NODE_EXTRA_CA_CERTS not set'})`, value: `${floor.toFixed(0)} ms` });
  report({ figure: `acrn-nest lint, whole process, first run: nothing cached (median of ${n})`, value: `${cold.toFixed(0)} ms` });
  report({ figure: `acrn-nest lint, whole process, same file again: answered from the lint cache (median of ${n}${primed.status === null ? '; priming run failed' : ''})`, value: `${cached.toFixed(0)} ms` });
  if (extraCa) {
    report({ figure: `the same two without NODE_EXTRA_CA_CERTS: node -e 0 / lint from the cache (median of ${n})`, value: `${median(runs.nodeNoCa).toFixed(0)} ms / ${median(runs.cachedNoCa).toFixed(0)} ms` });
  }
  if (!acrn || !hasPy) {
    report({ figure: 'validator.py, whole process', value: 'not measured', baseline: !acrn ? 'no ACRN checkout ($ACRN_TREE or /tmp/acrn-v3.3)' : 'Python lxml/xmlschema/elementpath not importable', ratio: 'not measured' });
    return;
  }
  const v = median(runs.validator);
  report({ figure: `ACRN validator.py, whole process (median of ${n})`, value: `${v.toFixed(0)} ms`, baseline: acrn });
  const rc = v / cold;
  const rh = v / cached;
  report({ figure: 'acrn-nest lint speed-up over validator.py, first run', value: `${rc.toFixed(1)}x`, ratio: `${rc.toFixed(1)}x`, target: '>= 20x', ok: rc >= 20 });
  report({ figure: 'acrn-nest lint speed-up over validator.py, from the cache', value: `${rh.toFixed(1)}x`, ratio: `${rh.toFixed(1)}x`, target: '>= 20x', ok: rh >= 20 });
  if (extraCa) {
    const r = v / median(runs.cachedNoCa);
    report({ figure: 'speed-up from the cache, without NODE_EXTRA_CA_CERTS', value: `${r.toFixed(1)}x`, ratio: `${r.toFixed(1)}x`, target: '>= 20x', ok: r >= 20 });
  }
  report({ figure: "20x leaves validator.py / 20 for the whole process; Node's own start takes", value: `${(v / 20).toFixed(0)} ms budget, ${floor.toFixed(0)} ms for node -e 0`, ratio: `${((100 * floor) / (v / 20)).toFixed(0)}% of the budget` });
}
