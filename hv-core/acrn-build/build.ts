/**
 * The build driver: scenario + board + ACRN tree -> build/hypervisor/acrn.bin.
 *
 *  1. inputs: read the scenario and board (git symlink placeholders followed), check they are a
 *     scenario and a board of the tree's dialect family;
 *  2. tree: is it an ACRN tree, which version;
 *  3. up to date? a stamp next to the build output holds a hash of scenario, board, the tree's
 *     sources (mtime/size of hypervisor/, misc/config_tools/, Makefile, VERSION) and the make
 *     arguments; when it matches and acrn.bin is the one we built, make is not run at all;
 *  4. preflight (python3 modules, iasl, cc, make, xsltproc, xmllint);
 *  5. stage: on a build host, copy the scenario and board there; drop ACRN's cached copies in
 *     build/hypervisor (.scenario.xml/.board.xml) when the input changed, because ACRN's make
 *     only refreshes them by mtime (v3) or never (v2) and would otherwise validate a stale copy;
 *  6. make -jN BOARD=<abs> SCENARIO=<abs> hypervisor, streamed line by line, cancellable
 *     (the whole process group is killed); validator and gcc lines become findings;
 *  7. output: acrn.bin (downloaded from a build host), config.h's CONFIG_* values, a new stamp.
 *
 * Never throws for a failed build: the result carries a BuildError naming the step.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadFile } from '../files.js';
import { detectDialect, looksLikeAcrn } from '../scenario/dialect.js';
import { parseXml } from '../xml/parser.js';
import type { BuildHost, Stream } from './host.js';
import { LocalHost } from './host.js';
import type { BuildFinding, MappedFile, ParsedLine } from './parse.js';
import { BuildOutputParser, compilerFinding, validatorFindings } from './parse.js';
import type { PreflightResult } from './preflight.js';
import { preflight } from './preflight.js';
import { hasAcrnModules, pythonCandidates } from './python.js';
import type { AcrnTreeInfo, BuildStep } from './tree.js';
import { BuildError, inspectAcrnTree } from './tree.js';

export interface BuildOptions {
  /** The ACRN tree, on the build host. */
  acrnTree: string;
  /** Local scenario and board files. */
  scenario: string;
  board: string;
  /** Default: this machine. */
  host?: BuildHost;
  /** Run make even when the stamp says up to date. */
  force?: boolean;
  /** Local builds: the python3 interpreter make should run (put first in PATH as `python3`). */
  python?: string;
  /**
   * Local builds without `python`, when PATH's python3 cannot run ACRN's config tools: the other
   * interpreters to probe, in order (default: /usr/bin/python3, then python3.N on PATH and in /usr/bin).
   */
  pythonCandidates?: string[];
  /** make -j; default: the number of CPUs (local) or `nproc` (build host). */
  jobs?: number;
  /** Extra `VAR=value` make arguments, e.g. RELEASE=y. */
  makeVars?: string[];
  /** Extra environment (local builds: merged over process.env). */
  env?: NodeJS.ProcessEnv;
  skipPreflight?: boolean;
  /** Build host builds: where acrn.bin is downloaded to (default: a per-tree cache folder). */
  localOutputDir?: string;
  signal?: AbortSignal;
  onLine?: (line: string, stream: Stream) => void;
  /** Each step as it starts ("Checking the ACRN tree", ...), for progress UIs. */
  onStep?: (step: BuildStep, message: string) => void;
  /** Each finding as soon as it is known. */
  onFinding?: (f: BuildFinding) => void;
}

export interface BuildResult {
  ok: boolean;
  upToDate: boolean;
  makeRan: boolean;
  /** Local path of acrn.bin. */
  image?: string;
  /** acrn.bin on the build host (same as image for local builds). */
  hostImage?: string;
  /** config.h on the build host, and the CONFIG_* values read from it. */
  configH?: string;
  config?: Record<string, string>;
  findings: BuildFinding[];
  error?: BuildError;
  tree?: AcrnTreeInfo;
  preflight?: PreflightResult;
  /** Set when the build chose another python3 than PATH's (which, and why). */
  python?: { executable: string; reason: string };
  /** The exact make command line (argv) that ran or would run. */
  makeArgv?: string[];
  durationMs: number;
}

export const STAMP_NAME = '.acrn-nest-build.json';
const STAMP_VERSION = 1;
const TREE_INPUTS = ['Makefile', 'VERSION', 'paths.make', 'hypervisor', 'misc/config_tools'];
const VAR_ARG = /^[A-Za-z_][A-Za-z0-9_]*=[^\0\n]*$/;
/**
 * ACRN's Makefiles use BOARD/SCENARIO and the tree path unquoted, in make rules and in shell
 * recipes: a space breaks the build, and `;`, `$()`, quotes or globs would be run by make's
 * shell. Such paths are refused before make (names we choose on a build host are made safe).
 */
const MAKE_SAFE = /^[A-Za-z0-9._+@/-]+$/;

function checkMakeSafe(p: string, what: string): void {
  if (!MAKE_SAFE.test(p)) {
    const bad = [...new Set([...p].filter((c) => !/[A-Za-z0-9._+@/-]/.test(c)))].map((c) => (c === ' ' ? 'a space' : `'${c}'`)).join(', ');
    throw new BuildError('inputs', 'inputs/unsafe-path', `${what} ${p} contains ${bad}: ACRN's Makefiles use this path unquoted (in make rules and shell commands), so it would break the build or run as a command`, 'Rename it, or copy it to a path of letters, digits and . _ - + @ /.');
  }
}

/** A file name safe for ACRN's make (for inputs staged on a build host). */
function makeSafeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._+@-]/g, '_');
}

interface Stamp {
  version: number;
  key: string;
  scenarioHash: string;
  boardHash: string;
  image: { size: number; mtimeMs: number };
  scenario: string;
  board: string;
  builtAt: string;
}

function sha256(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

interface Input {
  path: string;
  bytes: Buffer;
  /** Parsed on first use (a board XML is ~200 KB; an up-to-date build never needs it). */
  readonly mapped: MappedFile;
}

const BOARD_SNIFF = /<(BIOS_INFO|BASE_BOARD_INFO|processors|CPU_PROCESSOR_INFO|PCI_DEVICE)[\s>/]/;

function readInput(file: string, what: 'scenario' | 'board'): Input {
  let loaded;
  try {
    loaded = loadFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BuildError('inputs', `inputs/${what}-missing`, `${what} file ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, what === 'board' ? 'Set acrnNest.boardFile (or --board) to your board XML (made by ACRN\'s board inspector).' : undefined);
  }
  if (loaded.binary) throw new BuildError('inputs', `inputs/${what}-binary`, `${what} file ${file} is a binary file, not XML`);
  const text = loaded.text;
  let mapped: MappedFile | undefined;
  const parse = (): MappedFile => (mapped ??= { file: loaded.path, text, doc: parseXml(text) });
  if (what === 'board') {
    // Cheap check: ACRN board XML has an acrn-config root with board data and no VMs.
    if (!looksLikeAcrn(text) || !BOARD_SNIFF.test(text) || /<vm[\s>]/.test(text)) {
      const label = detectDialect(parse().doc)?.label ?? 'not an ACRN file';
      throw new BuildError('inputs', 'inputs/not-a-board', `board file ${file} is not an ACRN board XML (${label})`, 'The board XML comes from ACRN\'s board inspector (it holds BIOS_INFO, processors, ...).');
    }
  } else {
    const dialect = detectDialect(parse().doc);
    if (dialect?.kind !== 'scenario') throw new BuildError('inputs', 'inputs/not-a-scenario', `scenario file ${file} is not an ACRN scenario (${dialect?.label ?? 'not an ACRN file'})`);
  }
  return {
    path: loaded.path,
    bytes: readFileSync(loaded.path),
    get mapped() {
      return parse();
    },
  };
}

/** `#define CONFIG_X value` lines of config.h. */
export function parseConfigH(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^#define[ \t]+(CONFIG_\w+)[ \t]*(.*)$/gm)) out[m[1]!] = m[2]!.trim().replace(/^"(.*)"$/, '$1');
  return out;
}

function defaultCacheDir(key: string): string {
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'acrn-nest', 'builds', key.slice(0, 16));
}

export async function runBuild(opts: BuildOptions): Promise<BuildResult> {
  const t0 = Date.now();
  const host = opts.host ?? new LocalHost();
  const result: BuildResult = { ok: false, upToDate: false, makeRan: false, findings: [], durationMs: 0 };
  const step = (s: BuildStep, m: string): void => opts.onStep?.(s, m);
  const addFinding = (f: BuildFinding): void => {
    result.findings.push(f);
    opts.onFinding?.(f);
  };
  let shimDir: string | undefined;
  try {
    step('inputs', 'Reading the scenario and board');
    const scenario = readInput(opts.scenario, 'scenario');
    const board = readInput(opts.board, 'board');

    step('tree', `Checking the ACRN tree on ${host.label}`);
    const tree = await inspectAcrnTree(host, opts.acrnTree);
    result.tree = tree;
    const scenFamily = detectDialect(scenario.mapped.doc)?.family;
    if (scenFamily && scenFamily !== tree.family) {
      throw new BuildError('inputs', 'inputs/dialect-mismatch', `scenario ${scenario.path} is a ${scenFamily} scenario but the ACRN tree ${tree.root} is ${tree.label}: ACRN ${tree.label} rejects it`, `Use an ACRN ${scenFamily === 'v2' ? 'v2.x' : 'v3.x'} tree for this scenario (acrnNest.acrnTree / --acrn-tree), or migrate the scenario with ACRN's configurator.`);
    }

    // Environment: local builds run with PATH as given, optionally with another python3 first.
    let env: NodeJS.ProcessEnv | undefined;
    if (host.kind === 'local') {
      env = { ...process.env, ...opts.env };
      if (opts.python) {
        if (!existsSync(opts.python)) throw new BuildError('preflight', 'preflight/python-missing', `python interpreter ${opts.python} does not exist`, 'Fix acrnNest.build.python (or --python).');
        shimDir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-py-'));
        symlinkSync(path.resolve(opts.python), path.join(shimDir, 'python3'));
        env.PATH = `${shimDir}${path.delimiter}${env.PATH ?? ''}`;
      }
      env.LC_ALL = 'C';
    } else if (opts.env) {
      env = { ...opts.env };
    }

    // Stage the inputs where make can read them.
    const outDir = `${tree.root}/build/hypervisor`;
    let scenarioOnHost = scenario.path;
    let boardOnHost = board.path;
    checkMakeSafe(tree.root, host.kind === 'remote' ? `ACRN tree on ${host.label}` : 'ACRN tree');
    // A build host gets copies; so does make here when a path has characters ACRN's Makefiles
    // cannot take (they use it unquoted): the copy's name is made safe, the findings still point
    // at the user's file.
    const stageHere = host.kind === 'local' && (!MAKE_SAFE.test(scenario.path) || !MAKE_SAFE.test(board.path));
    if (host.kind === 'remote' || stageHere) {
      step('stage', host.kind === 'remote' ? `Copying the scenario and board to ${host.label}` : 'Copying the scenario and board to a path ACRN\'s make can use');
      const inputs = `${tree.root}/build/acrn-nest-inputs`;
      // Keep the scenario's file and folder names (made safe): ACRN v3 names the scenario after them.
      const sDir = `${inputs}/scenario/${makeSafeName(path.basename(path.dirname(scenario.path)))}`;
      const bDir = `${inputs}/board`;
      await host.mkdirp(sDir);
      await host.mkdirp(bDir);
      scenarioOnHost = `${sDir}/${makeSafeName(path.basename(scenario.path))}`;
      boardOnHost = `${bDir}/${makeSafeName(path.basename(board.path))}`;
      await host.writeFile(scenarioOnHost, scenario.bytes);
      await host.writeFile(boardOnHost, board.bytes);
    }
    checkMakeSafe(scenarioOnHost, 'scenario');
    checkMakeSafe(boardOnHost, 'board');
    for (const v of opts.makeVars ?? []) {
      if (!VAR_ARG.test(v) || /^(BOARD|SCENARIO|BOARD_FILE|SCENARIO_FILE)=/.test(v)) throw new BuildError('inputs', 'inputs/make-var', `make argument "${v}" is not VAR=value (BOARD and SCENARIO are set by acrn-nest)`);
    }
    const makeArgs = [`BOARD=${boardOnHost}`, `SCENARIO=${scenarioOnHost}`, ...(opts.makeVars ?? []), 'hypervisor'];

    // Up to date?
    const treePrint = await host.fingerprint(tree.root, TREE_INPUTS);
    const scenarioHash = sha256(scenario.bytes);
    const boardHash = sha256(board.bytes);
    const key = sha256(JSON.stringify({ v: STAMP_VERSION, scenarioHash, boardHash, treePrint, makeArgs, host: host.label }));
    const stampFile = `${outDir}/${STAMP_NAME}`;
    const hostImage = `${outDir}/acrn.bin`;
    const configH = `${outDir}/include/config.h`;
    let stamp: Stamp | undefined;
    try {
      const raw = await host.readFile(stampFile);
      stamp = raw ? (JSON.parse(raw.toString('utf8')) as Stamp) : undefined;
    } catch {
      stamp = undefined;
    }
    const localImage = host.kind === 'local' ? hostImage : path.join(opts.localOutputDir ?? defaultCacheDir(sha256(host.label + tree.root)), 'acrn.bin');
    result.hostImage = hostImage;
    result.configH = configH;
    const imageStat = await host.stat(hostImage);
    if (!opts.force && stamp?.version === STAMP_VERSION && stamp.key === key && imageStat && imageStat.size === stamp.image.size && Math.floor(imageStat.mtimeMs) === Math.floor(stamp.image.mtimeMs) && (host.kind === 'local' || existsSync(localImage))) {
      step('output', 'Up to date');
      result.ok = true;
      result.upToDate = true;
      result.image = localImage;
      const cfg = await host.readFile(configH);
      if (cfg) result.config = parseConfigH(cfg.toString('utf8'));
      return result;
    }

    if (!opts.skipPreflight) {
      step('preflight', `Checking build prerequisites on ${host.label}`);
      let pre = await preflight(host, tree, { env, signal: opts.signal });
      const pyProblem = pre.problems.find((p) => p.code === 'preflight/python-module' || p.code === 'preflight/python-missing' || p.code === 'preflight/python-broken');
      if (host.kind === 'local' && !opts.python && pyProblem && env) {
        // PATH's python3 cannot run ACRN's config tools: probe the other interpreters this machine
        // has and use the first that imports every module (make runs it as python3), saying which.
        const candidates = opts.pythonCandidates ?? pythonCandidates(env.PATH);
        const probed: string[] = [];
        for (const cand of candidates) {
          probed.push(cand);
          if (!hasAcrnModules(cand)) continue;
          const shim = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-py-'));
          symlinkSync(cand, path.join(shim, 'python3'));
          const shimEnv = { ...env, PATH: `${shim}${path.delimiter}${env.PATH ?? ''}` };
          const again = await preflight(host, tree, { env: shimEnv, signal: opts.signal });
          if (again.problems.some((p) => p.code.startsWith('preflight/python'))) {
            rmSync(shim, { recursive: true, force: true });
            continue;
          }
          shimDir = shim;
          env = shimEnv;
          const was = pre.tools.python ? `${pre.tools.python.executable}` : 'python3';
          result.python = { executable: cand, reason: `PATH's python3 (${was}) ${pyProblem.code === 'preflight/python-module' ? 'lacks ACRN\'s modules' : 'does not run'}; ${cand} has ${['lxml', 'xmlschema', 'elementpath', 'defusedxml'].join(', ')}` };
          opts.onLine?.(`acrn-nest: using ${cand} as python3: ${result.python.reason} (set acrnNest.build.python / --python to choose)`, 'stdout');
          step('preflight', `Using ${cand} (PATH's python3 lacks ACRN's modules)`);
          pre = again;
          break;
        }
        if (!result.python) {
          const tried = probed.length ? ` Tried: ${probed.join(', ')} (none imports them).` : '';
          for (const p of pre.problems) if (p === pyProblem) p.hint = `${p.hint ?? ''}${tried}`.trim();
        }
      }
      result.preflight = pre;
      const errors = pre.problems.filter((p) => p.severity === 'error');
      if (errors.length > 0) {
        const first = errors[0]!;
        const more = errors.length > 1 ? `\n${errors.slice(1).map((p) => `${p.message}${p.hint ? ` (${p.hint})` : ''}`).join('\n')}` : '';
        throw new BuildError('preflight', first.code, first.message + more, first.hint);
      }
    }
    if (opts.signal?.aborted) throw new BuildError('make', 'build/cancelled', 'Build cancelled');

    // ACRN's cached copies of the inputs: refresh them when the input changed.
    if (!stamp || stamp.scenarioHash !== scenarioHash || stamp.scenario !== scenarioOnHost) await host.remove(`${outDir}/.scenario.xml`);
    if (!stamp || stamp.boardHash !== boardHash || stamp.board !== boardOnHost) await host.remove(`${outDir}/.board.xml`);
    await host.remove(stampFile);

    let jobs = opts.jobs;
    if (jobs === undefined) {
      if (host.kind === 'local') jobs = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
      else {
        const n = await host.run(['nproc'], { signal: opts.signal });
        jobs = Math.max(1, parseInt(n.stdout, 10) || 1);
      }
    }
    const argv = ['make', `-j${jobs}`, ...makeArgs];
    result.makeArgv = argv;
    step('make', `make ${makeArgs.join(' ')} (on ${host.label})`);
    const parser = new BuildOutputParser(tree.root);
    const parsed: ParsedLine[] = [];
    const tail: string[] = [];
    const onLine = (line: string, stream: Stream): void => {
      opts.onLine?.(line, stream);
      tail.push(line);
      if (tail.length > 40) tail.shift();
      const p = parser.parse(line);
      if (!p) return;
      parsed.push(p);
      if (p.kind === 'validator' || p.kind === 'validator-message') for (const f of validatorFindings(p, scenario.mapped, board.mapped)) addFinding(f);
      else if (p.kind === 'compiler') addFinding(compilerFinding(p));
    };
    result.makeRan = true;
    const run = await host.run(argv, { cwd: tree.root, env, signal: opts.signal, onLine, captureLimit: 0 });
    if (run.aborted) throw new BuildError('make', 'build/cancelled', 'Build cancelled; make was stopped');
    if (run.code !== 0) throw failureFor(run.code, run.signal, parsed, result.findings, tail, tree);

    step('output', 'Collecting the image');
    const st = await host.stat(hostImage);
    if (!st) throw new BuildError('output', 'build/no-image', `make succeeded but ${hostImage} is missing`, 'Is this an ACRN tree whose hypervisor target builds acrn.bin?');
    if (host.kind === 'remote') {
      mkdirSync(path.dirname(localImage), { recursive: true });
      await host.download(hostImage, localImage);
    }
    const cfg = await host.readFile(configH);
    if (cfg) result.config = parseConfigH(cfg.toString('utf8'));
    const newStamp: Stamp = { version: STAMP_VERSION, key, scenarioHash, boardHash, image: { size: st.size, mtimeMs: st.mtimeMs }, scenario: scenarioOnHost, board: boardOnHost, builtAt: new Date().toISOString() };
    await host.writeFile(stampFile, JSON.stringify(newStamp, null, 2) + '\n');
    result.ok = true;
    result.image = localImage;
    return result;
  } catch (e) {
    result.error = e instanceof BuildError ? e : new BuildError('make', 'build/internal', (e as Error).message ?? String(e));
    return result;
  } finally {
    if (shimDir) rmSync(shimDir, { recursive: true, force: true });
    result.durationMs = Date.now() - t0;
  }
}

function failureFor(code: number | null, signal: string | null, parsed: ParsedLine[], findings: BuildFinding[], tail: string[], tree: AcrnTreeInfo): BuildError {
  const conflict = parsed.find((p) => p.kind === 'conflict');
  if (conflict) {
    const detail = parsed.filter((p) => p.kind === 'conflict-detail').map((p) => p.message)[0];
    return new BuildError('make', 'build/config-conflict', `Configuration conflict identified: ${detail ?? 'the build folder was configured for another board or scenario'}. ACRN locks ${tree.root}/build to one board and scenario.`, `Run "make clean" in ${tree.root} (acrn-nest: Clean ACRN Build, or the CLI's --clean) and build again.`);
  }
  const missing = parsed.find((p) => p.kind === 'missing-prerequisite');
  if (missing) return new BuildError('preflight', 'build/missing-prerequisite', `ACRN's make stopped: ${missing.message}`, 'Install it on the build machine (see the Build section of the README).');
  // Count ACRN's messages (one message may name several paths, i.e. several findings).
  const validator = parsed.filter((p) => p.kind === 'validator' || p.kind === 'validator-message');
  const errs = validator.filter((p) => p.severity === 'error').length;
  const warns = validator.filter((p) => p.severity === 'warning').length;
  if (validator.length > 0) {
    return new BuildError('validate', 'build/validator', `ACRN's validator rejected the scenario: ${errs} error(s), ${warns} warning(s)${tree.family === 'v3' && errs === 0 ? ' (ACRN v3 stops on warnings too)' : ''}; see the Problems list`);
  }
  const cc = findings.filter((f) => f.source === 'gcc' && f.severity === 'error');
  if (cc.length > 0) {
    const first = cc[0]!;
    const gccHint = tree.family === 'v2' && /-Werror|\[-W/.test(first.message) ? 'ACRN v2 trees need GCC <= 11: build on an older host (acrnNest.build.host / --build-host).' : undefined;
    return new BuildError('compile', 'build/compile', `The hypervisor did not compile: ${cc.length} error(s), first ${path.relative(tree.root, first.file) || first.file}:${first.line + 1}: ${first.message}`, gccHint);
  }
  const py = parsed.filter((p) => p.kind === 'python-error').pop();
  const makeErr = parsed.filter((p) => p.kind === 'make-error').pop();
  const last = py?.message ?? makeErr?.message ?? tail.filter((l) => l.trim()).slice(-1)[0] ?? '';
  return new BuildError('make', 'build/make-failed', `make ${signal ? `was killed by ${signal}` : `exited with status ${code}`}${last ? `: ${last}` : ''}`, 'See the build log for the full output.');
}

/** `make clean` in the tree (what ACRN says to do after "Configuration conflict identified"). */
export async function cleanBuild(opts: { acrnTree: string; host?: BuildHost; env?: NodeJS.ProcessEnv; signal?: AbortSignal; onLine?: (line: string, stream: Stream) => void }): Promise<void> {
  const host = opts.host ?? new LocalHost();
  const tree = await inspectAcrnTree(host, opts.acrnTree);
  const env = host.kind === 'local' ? { ...process.env, ...opts.env } : opts.env;
  const r = await host.run(['make', 'clean'], { cwd: tree.root, env, signal: opts.signal, onLine: opts.onLine });
  if (r.aborted) throw new BuildError('clean', 'build/cancelled', 'make clean cancelled');
  // ACRN's top-level clean also cleans misc/ and doc/; what matters is that build/ is gone.
  if (r.code !== 0 && (await host.stat(`${tree.root}/build/hypervisor`))) {
    throw new BuildError('clean', 'build/clean-failed', `make clean in ${tree.root} exited with status ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-1)[0] ?? ''}`);
  }
}
