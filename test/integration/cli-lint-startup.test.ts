/**
 * `acrn-nest lint`'s start-up snapshot (hv-core/cli/startup.ts), through the bundled CLI as a user
 * runs it: lint answered in the snapshot prints what lint in-process prints (text, json, one
 * process or several), and a change of the tree's schema or of the board is seen by a lint in a
 * snapshot built before the change. A run in the snapshot is made visible by what the parent
 * process loads: it hands over before loading the checkers (dist/cli/analyze.js).
 */
import { after, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, acrnTree, hasAcrnData } from '../unit/helpers';

const CLI = path.join(REPO, 'dist', 'cli.js');
const skip = !hasAcrnData() && 'no ../shared/acrn-data';
const DATA = ['nuc11tnbi5.xml', 'shared_launch_6user_vm.xml', 'hybrid_launch_2user_vm.xml', 'partitioned.xml'];

before(() => {
  execFileSync(process.execPath, [path.join(REPO, 'scripts', 'build.mjs')], { cwd: REPO, stdio: 'inherit' });
});

const roots: string[] = [];
// Each workspace holds a snapshot of several MB.
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A private ACRN tree (schema + the nuc11tnbi5 folder) we may edit, and a private cache. */
function workspace(): { tree: string; data: string; board: string; scenarios: string[]; cache: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'acrn-lint-startup-'));
  roots.push(root);
  const tree = path.join(root, 'acrn');
  const src = acrnTree('v3.3');
  cpSync(path.join(src, 'misc', 'config_tools', 'schema'), path.join(tree, 'misc', 'config_tools', 'schema'), { recursive: true });
  const data = path.join(tree, 'misc', 'config_tools', 'data', 'nuc11tnbi5');
  mkdirSync(data, { recursive: true });
  for (const f of DATA) cpSync(path.join(src, 'misc', 'config_tools', 'data', 'nuc11tnbi5', f), path.join(data, f));
  return { tree, data, board: path.join(data, 'nuc11tnbi5.xml'), scenarios: DATA.slice(1).map((f) => path.join(data, f)), cache: path.join(root, 'cache') };
}

const PRELOAD = path.join(mkdtempSync(path.join(os.tmpdir(), 'acrn-lint-preload-')), 'loaded.js');
writeFileSync(PRELOAD, `process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(Object.keys(require.cache)) + '\\n'));\n`);

interface Run {
  code: number;
  out: string;
  err: string;
  /** Whether this process loaded the checkers (it did not hand over to the snapshot). */
  analyzedHere: boolean;
}

function lint(args: string[], cache: string, snapshot: 'auto' | 'off' | 'sync', extraEnv: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(process.execPath, ['--require', PRELOAD, CLI, 'lint', ...args], { encoding: 'utf8', env: { ...process.env, ...extraEnv, ACRN_NEST_CACHE_DIR: cache, ACRN_NEST_STARTUP_SNAPSHOT: snapshot } });
  const m = /^LOADED (.*)$/m.exec(r.stderr);
  const loaded = m ? (JSON.parse(m[1]!) as string[]) : [];
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr.replace(/^LOADED .*\n?/m, ''), analyzedHere: loaded.includes(path.join(REPO, 'dist', 'cli', 'analyze.js')) };
}

function blobs(cache: string): string[] {
  const dir = path.join(cache, 'startup');
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.blob')).map((n) => path.join(dir, n)) : [];
}

/** The lint cache emptied: every file needs an analysis again (the snapshot stays). */
function noLintCache(cache: string): void {
  rmSync(path.join(cache, 'lint'), { recursive: true, force: true });
}

/** Builds the snapshot (warmed with the workspace's scenarios) and checks it is there. */
function buildSnapshot(w: ReturnType<typeof workspace>, args: string[]): void {
  const first = lint(args, w.cache, 'sync');
  assert.ok(first.code === 0 || first.code === 1, first.err);
  assert.ok(first.analyzedHere, 'without a snapshot, lint analyzes in its own process');
  assert.equal(blobs(w.cache).length, 1, 'a first run builds one snapshot');
  noLintCache(w.cache);
}

test('lint in the snapshot prints what lint in-process prints: text, json, --jobs 2, exit codes', { skip, timeout: 240_000 }, () => {
  const w = workspace();
  const base = ['--acrn-tree', w.tree, '--board', w.board];
  // A missing file among them: an error line and exit status 1, in its place in the output.
  const files = [w.scenarios[0]!, path.join(w.data, 'missing.xml'), ...w.scenarios.slice(1)];
  buildSnapshot(w, [...base, ...w.scenarios]);
  for (const extra of [[], ['--format', 'json'], ['--quiet'], ['--jobs', '2'], ['--jobs', '2', '--format', 'json'], ['--jobs', '9']]) {
    const args = [...extra, ...base, ...files];
    noLintCache(w.cache);
    const here = lint(args, w.cache, 'off');
    noLintCache(w.cache);
    const there = lint(args, w.cache, 'auto');
    assert.ok(here.analyzedHere, `${extra.join(' ')}: 'off' analyzes in-process`);
    assert.ok(!there.analyzedHere, `${extra.join(' ')}: with a snapshot, lint hands over before loading the checkers`);
    assert.equal(there.out, here.out, `${extra.join(' ')}: the same output`);
    assert.equal(there.code, here.code, `${extra.join(' ')}: the same exit status`);
    assert.equal(there.code, 1);
    assert.equal(there.err, here.err);
    // What the snapshot wrote to the lint cache serves the in-process lint byte for byte.
    const cached = lint(args, w.cache, 'auto');
    assert.ok(!cached.analyzedHere, 'all from the lint cache: no analysis anywhere');
    assert.equal(cached.out, here.out);
  }
  // A usage error is found before any hand-over.
  const bad = lint(['--jobs', '0', ...base, ...files], w.cache, 'auto');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--jobs must be a whole number/);
});

test('a snapshot built before a schema change or a board change gives the new findings', { skip, timeout: 240_000 }, () => {
  const w = workspace();
  const scenario = w.scenarios[0]!;
  const args = ['--acrn-tree', w.tree, '--board', w.board, scenario];
  buildSnapshot(w, args);
  const before = lint(args, w.cache, 'auto');
  assert.ok(!before.analyzedHere);
  assert.doesNotMatch(before.out, /cpu_assignment#1/);

  // The schema: one of ACRN's assertions made to fail (its model is in the snapshot's heap).
  const xsd = path.join(w.tree, 'misc', 'config_tools', 'schema', 'checks', 'cpu_assignment.xsd');
  const text = readFileSync(xsd, 'utf8');
  const edited = text.replace('count(processors//thread[cpu_id = $cpu]) = 1', 'count(processors//thread[cpu_id = $cpu]) = 7');
  assert.notEqual(edited, text, 'the assertion to edit is in the schema');
  writeFileSync(xsd, edited);
  noLintCache(w.cache);
  const afterSchema = lint(args, w.cache, 'auto');
  assert.ok(!afterSchema.analyzedHere, 'still answered in the snapshot');
  assert.match(afterSchema.out, /warning: .*\[datacheck\/cpu_assignment#1\]/, 'the edited assertion fails');
  noLintCache(w.cache);
  assert.equal(afterSchema.out, lint(args, w.cache, 'off').out, 'after the schema change: same as in-process');
  writeFileSync(xsd, text);

  // The board: QEMU's board file in its place (fewer CPUs than the scenario pins).
  writeFileSync(w.board, readFileSync(path.join(acrnTree('v3.3'), 'misc', 'config_tools', 'data', 'qemu', 'qemu.xml')));
  noLintCache(w.cache);
  const afterBoard = lint(args, w.cache, 'auto');
  assert.ok(!afterBoard.analyzedHere);
  assert.notEqual(afterBoard.out, before.out, 'the board change changes the findings');
  noLintCache(w.cache);
  assert.equal(afterBoard.out, lint(args, w.cache, 'off').out, 'after the board change: same as in-process');
});

test('a damaged snapshot or one for other V8 flags is not used: lint analyzes in-process, the same output, and builds the right one', { skip, timeout: 240_000 }, () => {
  const w = workspace();
  const args = ['--acrn-tree', w.tree, '--board', w.board, w.scenarios[0]!];
  buildSnapshot(w, args);
  const ref = lint(args, w.cache, 'off');
  noLintCache(w.cache);
  // A damaged blob: Node refuses it before the snapshot runs; lint analyzes, and builds a new one.
  const [blob] = blobs(w.cache);
  writeFileSync(blob!, 'not a snapshot');
  const damaged = lint(args, w.cache, 'sync');
  assert.ok(damaged.analyzedHere);
  assert.equal(damaged.out, ref.out);
  assert.equal(damaged.code, ref.code);
  assert.notEqual(readFileSync(blob!, 'utf8').slice(0, 14), 'not a snapshot', 'the damaged blob is replaced');
  noLintCache(w.cache);
  assert.ok(!lint(args, w.cache, 'auto').analyzedHere, 'the rebuilt snapshot is used');
  noLintCache(w.cache);
  // Other NODE_OPTIONS: another key, so the blob is not tried (V8 would refuse it); the snapshot
  // built for them replaces it.
  const opts = { NODE_OPTIONS: '--max-semi-space-size=32' };
  const flags = lint(args, w.cache, 'sync', opts);
  assert.ok(flags.analyzedHere, 'a snapshot built under other V8 flags is not used');
  assert.equal(flags.out, ref.out);
  assert.equal(blobs(w.cache).length, 1, 'the stale snapshot is removed');
  assert.notEqual(blobs(w.cache)[0], blob);
  noLintCache(w.cache);
  const again = lint(args, w.cache, 'auto', opts);
  assert.ok(!again.analyzedHere, 'the snapshot for these flags is used');
  assert.equal(again.out, ref.out);
  // --no-cache and 'off' neither use nor build one.
  rmSync(path.join(w.cache, 'startup'), { recursive: true, force: true });
  lint(['--no-cache', ...args], w.cache, 'sync');
  lint(args, w.cache, 'off');
  assert.deepEqual(blobs(w.cache), []);
});
