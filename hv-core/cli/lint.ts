import path from 'node:path';
import { parseArgs } from 'node:util';
import type { AssertCaches, Finding, XmlDocument } from '../engine.js';
import { DEFAULT_MAX_FILE_MB, LineIndex, boardFor, createAnalysisCaches, findAcrnTree, loadAnalyzer, loadFile, parseXml, sortFindings } from '../engine.js';
import { formatAcrnNotes, formatFindingText, toJsonFinding } from './format.js';
import type { CliIO, CliRun } from './io.js';
import { UsageError } from './io.js';
import type { CachedLint, LintInputs } from './lintCache.js';
import { defaultCacheDir, LintCache, lintKey } from './lintCache.js';
import { cliSettings, sharedOptions } from './settings.js';
import { blobPath, buildSnapshot, bundleDir, jobsFor, lintInSnapshot, runningInSnapshot, snapshotKey, snapshotMode, splitRuns } from './startup.js';

/**
 * The document as far as its root start tag: all the cache key needs (the `board=` attribute),
 * without parsing a whole file the analysis may not need. Falls back to a full parse when the
 * prefix does not give the root.
 */
function rootStartTag(text: string): XmlDocument {
  const at = text.indexOf('<acrn-config');
  const end = at >= 0 ? text.indexOf('>', at) : -1;
  if (end > 0) {
    const head = parseXml(text.slice(0, end + 1));
    if (head.root?.name === 'acrn-config') return head;
  }
  return parseXml(text);
}

/** The analysis of one file, as lint prints it (before the file-level findings of loadFile). */
async function analyze(text: string, file: string, opts: { board?: XmlDocument; acrnTree?: string; maxFileMB?: number; budgetMs?: number; caches: AssertCaches }): Promise<CachedLint> {
  // Loaded here, not at the top: a lint answered from the cache never loads the checkers.
  const { analyzeText } = await loadAnalyzer();
  const a = analyzeText(text, { ...opts, uri: file });
  const findings = [...a.findings];
  if (a.dialect && a.doc?.root) {
    findings.push({ severity: 'info', source: 'acrn-nest', code: 'dialect', start: a.doc.root.nameStart, end: a.doc.root.nameEnd, message: `${a.dialect.label} (${a.dialect.evidence})` });
  } else if (a.skipped && !a.findings.length) {
    findings.push({ severity: 'info', source: 'acrn-nest', code: 'not-acrn', start: 0, end: 0, message: `Skipped: ${a.skipped}` });
  }
  return { dialect: a.dialect?.label, findings };
}

/** lint's time budget for ACRN's checks per file (ms), unless --budget-ms says otherwise. */
export const LINT_BUDGET_MS = 30_000;

export const lintCommand: CliRun = {
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals, tokens } = parseArgs({
      args: argv,
      allowPositionals: true,
      tokens: true,
      options: {
        ...sharedOptions('acrn-tree', 'board'),
        format: { type: 'string', default: 'text' },
        quiet: { type: 'boolean', short: 'q', default: false },
        'max-file-mb': { type: 'string' },
        'budget-ms': { type: 'string' },
        'no-cache': { type: 'boolean', default: false },
        'cache-dir': { type: 'string' },
        jobs: { type: 'string' },
      },
    });
    if (positionals.length === 0) throw new UsageError('no FILE given');
    const format = values.format;
    if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not '${format}'`);
    // --jobs here is lint's own (processes), not the build's make -j that settings know.
    const settings = cliSettings({ ...values, jobs: undefined }, io);
    // What ACRN's assertions remember from one file to the next (boards, outcomes).
    const caches = createAnalysisCaches();
    const acrnTree = settings.acrnTree;
    // The board is read now (a missing one is an error before any file is linted) and parsed
    // only when a file is not answered from the cache.
    const boardFile = settings.boardFile ? loadFile(settings.boardFile) : undefined;
    let board: XmlDocument | undefined;
    const boardDoc = (): XmlDocument | undefined => (boardFile ? (board ??= parseXml(boardFile.text)) : undefined);
    const maxFileMB = values['max-file-mb'] ? Number(values['max-file-mb']) : undefined;
    // A batch tool gets a longer budget than the editor (schema/checker.ts DEFAULT_BUDGET_MS).
    const budgetMs = values['budget-ms'] !== undefined ? Number(values['budget-ms']) : LINT_BUDGET_MS;
    if (budgetMs !== undefined && !(budgetMs >= 0)) throw new UsageError(`--budget-ms must be a number of milliseconds, not '${values['budget-ms']}'`);
    const jobs = values.jobs !== undefined ? Number(values.jobs) : undefined;
    if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1)) throw new UsageError(`--jobs must be a whole number of processes (1 or more), not '${values.jobs}'`);
    const cache = values['no-cache'] ? undefined : new LintCache(values['cache-dir'] ? path.resolve(io.cwd, values['cache-dir']) : defaultCacheDir(io.env));

    // First what the cache answers: lint hands over to its start-up snapshot (startup.ts) only
    // when some file needs an analysis.
    interface Plan {
      arg: string;
      file: string;
      loaded?: ReturnType<typeof loadFile>;
      error?: string;
      inputs?: LintInputs;
      key: string;
      result?: CachedLint;
    }
    const plans: Plan[] = positionals.map((arg) => {
      const file = path.resolve(io.cwd, arg);
      let loaded;
      try {
        loaded = loadFile(file);
      } catch (e) {
        return { arg, file, key: '', error: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message };
      }
      const plan: Plan = { arg, file, loaded, key: '' };
      // A file over the size limit gets one finding, at once: nothing to cache (and not parsed).
      if (!loaded.binary && cache && loaded.text.length <= (maxFileMB ?? DEFAULT_MAX_FILE_MB) * 1024 * 1024) {
        // The tree and board the analysis will use, found the same way it finds them.
        const tree = findAcrnTree(acrnTree, file);
        const boardPath = boardFile ? boardFile.path : boardFor({ scenarioPath: file, doc: rootStartTag(loaded.text), acrnTree: tree });
        const inputs: LintInputs = { file, text: loaded.text, tree, board: boardPath, options: { acrnTree: acrnTree ?? null, explicitBoard: Boolean(boardFile), maxFileMB: maxFileMB ?? null, budgetMs } };
        plan.inputs = inputs;
        plan.key = lintKey(inputs);
        plan.result = cache.get(inputs, plan.key);
      }
      return plan;
    });
    const toAnalyze = plans.filter((p) => p.loaded && !p.loaded.binary && !p.result);
    const mode = snapshotMode(io.env);
    const dist = cache && mode !== 'off' && toAnalyze.length && !runningInSnapshot() ? bundleDir(__dirname) : undefined;
    const snapshot = dist && cache ? { dir: dist, key: snapshotKey(dist) } : undefined;
    if (snapshot && cache) {
      // Each child gets these options and a run of the files (in order; the output is joined).
      const drop = new Set(tokens.filter((t) => t.kind === 'positional' || t.kind === 'option-terminator').map((t) => t.index));
      const options = argv.filter((_, i) => !drop.has(i));
      const n = jobsFor(plans.length, jobs);
      const runs = splitRuns(plans, n, (p) => (p.loaded && !p.result ? 4096 + p.loaded.text.length : 1)).map((r) => [...options, '--', ...r.map((p) => p.arg)]);
      const code = await lintInSnapshot(runs, blobPath(cache.dir, snapshot.key), io, format === 'json');
      if (code !== undefined) return code;
    }

    let errors = 0;
    const json: unknown[] = [];
    for (const plan of plans) {
      const { arg, file, loaded } = plan;
      if (!loaded) {
        if (format === 'json') json.push({ file: arg, error: plan.error, findings: [] });
        else io.out(`${arg}:1:1: error: ${plan.error} [io]`);
        errors++;
        continue;
      }
      const findings: Finding[] = [...loaded.findings];
      let dialectLabel: string | undefined;
      if (!loaded.binary) {
        let result = plan.result;
        if (!result) {
          result = await analyze(loaded.text, file, { board: boardDoc(), acrnTree, maxFileMB, budgetMs, caches });
          // A result cut short by the time budget is not the file's answer: never cached.
          if (cache && plan.inputs && !result.findings.some((f) => f.code === 'schema/budget')) cache.put(plan.inputs, plan.key, result);
        }
        findings.push(...result.findings);
        dialectLabel = result.dialect;
      }
      sortFindings(findings);
      const lines = new LineIndex(loaded.text);
      errors += findings.filter((f) => f.severity === 'error').length;
      if (format === 'json') {
        json.push({ file: arg, resolvedFile: loaded.path === file ? undefined : loaded.path, dialect: dialectLabel ?? null, findings: findings.map((f) => toJsonFinding(lines, f)) });
      } else {
        for (const f of findings) {
          if (values.quiet && (f.severity === 'info' || f.severity === 'hint')) continue;
          io.out(formatFindingText(arg, lines, f));
          for (const n of formatAcrnNotes(arg, lines, f)) io.out(n);
        }
      }
    }
    if (format === 'json') io.out(JSON.stringify(json, null, 2));
    // No snapshot for this Node and build yet: one, warmed with the files just analyzed.
    if (snapshot && cache) {
      const warm = { files: toAnalyze.slice(0, 40).map((p) => p.file), acrnTree, board: boardFile?.path };
      await buildSnapshot(snapshot.dir, cache.dir, snapshot.key, warm, mode === 'sync');
    }
    return errors > 0 ? 1 : 0;
  },
};
