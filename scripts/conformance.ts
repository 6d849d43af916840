/**
 * `npm run conformance -- --acrn-tree DIR [--json] [--all-checkers]`: lints every official
 * scenario of an ACRN tree (misc/config_tools/data/<board>/*.xml that are scenarios; boards and
 * launch files are skipped) with that tree's own schema and board, the way `acrn-nest lint` and
 * the language server do, and prints a summary. Exit status 1 on any error that is not a
 * finding ACRN's own validator also reports for that file (test/fixtures/conformance-known.json,
 * generated with ACRN's tools, see README "Schema"), 2 on a usage error.
 *
 * Only the schema layer's findings (xml, schema, assert, datacheck) count unless --all-checkers.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeText } from '../hv-core/scenario/analyze';
import { loadFile } from '../hv-core/files';
import type { Finding } from '../hv-core/findings';
import { setAssertTrace } from '../hv-core/schema/asserts';
import { isAcrnTree } from '../hv-core/schema/tree';
import { LineIndex } from '../hv-core/xml/positions';

interface Known {
  /** Path relative to the tree, e.g. misc/config_tools/data/whl-ipc-i5/shared_launch_1user_vm_hardrt.xml. */
  file: string;
  /** Tree version label the entry is for (v3.0, v3.3). */
  tag: string;
  code: string;
  xpath?: string;
  acrn: string;
}

const SCHEMA_SOURCES = new Set(['xml', 'schema', 'assert', 'datacheck']);

function scenarios(tree: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = path.join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.xml')) out.push(p);
    }
  };
  walk(path.join(tree, 'misc', 'config_tools', 'data'));
  return out;
}

function main(): number {
  let values;
  try {
    ({ values } = parseArgs({ args: process.argv.slice(2), options: { 'acrn-tree': { type: 'string' }, json: { type: 'boolean', default: false }, 'all-checkers': { type: 'boolean', default: false }, known: { type: 'string' } } }));
  } catch (e) {
    console.error(`conformance: ${(e as Error).message}`);
    return 2;
  }
  const tree = values['acrn-tree'];
  if (!tree || !isAcrnTree(tree)) {
    console.error('usage: npm run conformance -- --acrn-tree DIR   (DIR holds misc/config_tools/schema/config.xsd)');
    return 2;
  }
  const root = path.resolve(tree);
  const tag = path.basename(root);
  const knownFile = values.known ?? path.resolve(__dirname, '..', 'test', 'fixtures', 'conformance-known.json');
  const known: Known[] = existsSync(knownFile) ? (JSON.parse(readFileSync(knownFile, 'utf8')) as { entries: Known[] }).entries : [];
  const trace = { errors: [] as { assert: string; message: string }[] };
  setAssertTrace(trace);
  let files = 0;
  let errors = 0;
  let unexpected = 0;
  let warnings = 0;
  let knownHits = 0;
  const t0 = performance.now();
  let slowest = { file: '', ms: 0 };
  const report: unknown[] = [];
  for (const file of scenarios(root)) {
    const loaded = loadFile(file);
    if (loaded.binary) continue;
    const t1 = performance.now();
    // A correctness run: no time budget (a loaded CI machine must not turn into skipped checks).
    const a = analyzeText(loaded.text, { acrnTree: root, uri: file, budgetMs: Number.POSITIVE_INFINITY });
    const ms = performance.now() - t1;
    if (a.dialect?.kind !== 'scenario') continue;
    files++;
    if (ms > slowest.ms) slowest = { file, ms };
    const rel = path.relative(root, file);
    const lines = new LineIndex(loaded.text);
    const counted = a.findings.filter((f) => values['all-checkers'] || SCHEMA_SOURCES.has(f.source));
    const isKnown = (f: Finding): Known | undefined => {
      const xpath = (f.data as { xpath?: string } | undefined)?.xpath;
      return known.find((k) => k.file === rel && (k.tag === tag || tag === '') && f.code.startsWith(k.code) && (k.xpath === undefined || k.xpath === xpath));
    };
    for (const f of counted) {
      if (f.severity === 'warning') warnings++;
      if (f.severity !== 'error' && f.severity !== 'warning') continue;
      const k = isKnown(f);
      if (f.severity === 'error') {
        errors++;
        if (k) knownHits++;
        else unexpected++;
      }
      const pos = lines.positionAt(f.start);
      const line = `${rel}:${pos.line + 1}:${pos.character + 1}: ${f.severity}: ${f.message} [${f.code}]${k ? ' (ACRN reports it too)' : ''}`;
      if (values.json) report.push({ file: rel, line: pos.line + 1, severity: f.severity, code: f.code, message: f.message, known: Boolean(k) });
      else console.log(line);
    }
  }
  const total = performance.now() - t0;
  if (values.json) console.log(JSON.stringify({ tree: root, files, errors, unexpected, warnings, knownHits, findings: report }, null, 2));
  else {
    console.log(`${tag}: ${files} official scenarios, ${errors} errors (${knownHits} also reported by ACRN's validator, ${unexpected} unexpected), ${warnings} warnings, ${total.toFixed(0)} ms (slowest ${path.relative(root, slowest.file)} ${slowest.ms.toFixed(0)} ms)`);
    if (trace.errors.length) console.log(`${tag}: ${trace.errors.length} assertion evaluation problems, first: ${trace.errors[0]!.assert}: ${trace.errors[0]!.message}`);
  }
  return unexpected > 0 ? 1 : 0;
}

process.exitCode = main();
