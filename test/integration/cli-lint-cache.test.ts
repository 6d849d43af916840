/**
 * `acrn-nest lint`'s result cache, through the bundled CLI as a user runs it: an unchanged file is
 * answered from the cache without loading the checkers, and a change to any input (the scenario,
 * the board, a schema file, an option, the tool) is seen.
 *
 * A hit is made visible by "poisoning" the entry: its messages are rewritten on disk, and a run
 * that prints the rewritten messages was answered from the cache. lint's start-up snapshot is off
 * here (cli-lint-startup.test.ts tests it): these runs analyze in their own process.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, acrnTree, hasAcrnData } from '../unit/helpers';

const CLI = path.join(REPO, 'dist', 'cli.js');
const skip = !hasAcrnData() && 'no ../shared/acrn-data';

before(() => {
  execFileSync(process.execPath, [path.join(REPO, 'scripts', 'build.mjs')], { cwd: REPO, stdio: 'inherit' });
});

/** A private ACRN tree (schema + one board folder) we may edit, and a private cache. */
function workspace(): { tree: string; scenario: string; board: string; cache: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'acrn-lint-cache-'));
  const tree = path.join(root, 'acrn');
  const src = acrnTree('v3.3');
  cpSync(path.join(src, 'misc', 'config_tools', 'schema'), path.join(tree, 'misc', 'config_tools', 'schema'), { recursive: true });
  const data = path.join(tree, 'misc', 'config_tools', 'data', 'nuc11tnbi5');
  mkdirSync(data, { recursive: true });
  for (const f of ['nuc11tnbi5.xml', 'shared_launch_6user_vm.xml']) cpSync(path.join(src, 'misc', 'config_tools', 'data', 'nuc11tnbi5', f), path.join(data, f));
  return { tree, scenario: path.join(data, 'shared_launch_6user_vm.xml'), board: path.join(data, 'nuc11tnbi5.xml'), cache: path.join(root, 'cache') };
}

interface Run {
  code: number;
  out: string;
  err: string;
  /** Files of dist/cli/ this run loaded (from a preload that lists require.cache at exit). */
  loaded: string[];
}

const PRELOAD = path.join(mkdtempSync(path.join(os.tmpdir(), 'acrn-lint-preload-')), 'loaded.js');
writeFileSync(PRELOAD, `process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(Object.keys(require.cache)) + '\\n'));\n`);

function lint(args: string[], cache: string): Run {
  const r = spawnSync(process.execPath, ['--require', PRELOAD, CLI, 'lint', ...args], { encoding: 'utf8', env: { ...process.env, ACRN_NEST_CACHE_DIR: cache, ACRN_NEST_STARTUP_SNAPSHOT: 'off' } });
  const m = /^LOADED (.*)$/m.exec(r.stderr);
  const loaded = m ? (JSON.parse(m[1]!) as string[]).filter((f) => f.startsWith(path.join(REPO, 'dist'))).map((f) => path.relative(path.join(REPO, 'dist'), f)) : [];
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr.replace(/^LOADED .*\n?/m, ''), loaded };
}

function entries(cache: string): string[] {
  const dir = path.join(cache, 'lint');
  return existsSync(dir) ? readdirSync(dir).map((n) => path.join(dir, n)) : [];
}

/** Rewrites every cached message, so a run that prints them was answered from the cache. */
function poison(cache: string): void {
  const files = entries(cache);
  assert.equal(files.length, 1, 'one cache entry per linted file');
  const e = JSON.parse(readFileSync(files[0]!, 'utf8')) as { findings: { message: string }[] };
  assert.ok(e.findings.length > 0);
  for (const f of e.findings) f.message = 'SERVED-FROM-CACHE';
  writeFileSync(files[0]!, JSON.stringify(e));
}

const POISON = /SERVED-FROM-CACHE/;

test('an unchanged file is answered from the cache, byte for byte, without loading the checkers', { skip }, () => {
  const w = workspace();
  const args = ['--format', 'json', '--acrn-tree', w.tree, '--board', w.board, w.scenario];
  const cold = lint(args, w.cache);
  assert.ok(cold.code === 0 || cold.code === 1, cold.err);
  assert.ok(cold.loaded.includes(path.join('cli', 'analyze.js')), `a cold run loads the checkers: ${cold.loaded.join(' ')}`);
  assert.equal(entries(w.cache).length, 1);
  const warm = lint(args, w.cache);
  assert.equal(warm.out, cold.out);
  assert.equal(warm.code, cold.code);
  assert.deepEqual(warm.loaded.sort(), ['cli.js', path.join('cli', 'lint.js')], 'a cache hit loads the CLI and the lint command only');
  poison(w.cache);
  assert.match(lint(args, w.cache).out, POISON);
});

test('any changed input is seen: scenario, board, schema file, option; --no-cache bypasses', { skip }, () => {
  const w = workspace();
  const args = ['--acrn-tree', w.tree, '--board', w.board, w.scenario];
  const first = lint(args, w.cache);
  assert.ok(first.code === 0 || first.code === 1, first.err);

  const changes: [string, () => void][] = [
    ['the scenario', () => writeFileSync(w.scenario, readFileSync(w.scenario, 'utf8').replace('</acrn-config>', '<!-- edited -->\n</acrn-config>'))],
    ['the board (mtime only)', () => utimesSync(w.board, new Date(), new Date(Date.now() + 5000))],
    ['a datachecks file', () => appendFileSync(path.join(w.tree, 'misc', 'config_tools', 'schema', 'checks', 'vm_types.xsd'), '\n<!-- edited -->\n')],
    ['config.xsd', () => appendFileSync(path.join(w.tree, 'misc', 'config_tools', 'schema', 'config.xsd'), '\n<!-- edited -->\n')],
  ];
  for (const [what, change] of changes) {
    poison(w.cache);
    assert.match(lint(args, w.cache).out, POISON, `before changing ${what}, the entry is used`);
    change();
    const r = lint(args, w.cache);
    assert.doesNotMatch(r.out, POISON, `after changing ${what}, the file is analyzed again`);
    assert.equal(r.out.replace(/\s+$/, ''), lint(['--no-cache', ...args], w.cache).out.replace(/\s+$/, ''), `after changing ${what}: same as an uncached run`);
  }
  // --format and --quiet change only how findings print: the same entry serves them. An option
  // that changes findings (the size limit) is part of the key.
  poison(w.cache);
  assert.match(lint(['--format', 'json', '--quiet', ...args], w.cache).out, POISON);
  assert.doesNotMatch(lint(['--max-file-mb', '0.001', ...args], w.cache).out, POISON);
  assert.match(lint(['--no-cache', ...args], w.cache).out, /ACRN v3\.x scenario/);
  assert.doesNotMatch(lint(['--no-cache', ...args], w.cache).out, POISON);
});

test('a board found from the scenario (no --board) is part of the key too', { skip }, () => {
  const w = workspace();
  const args = ['--acrn-tree', w.tree, w.scenario];
  lint(args, w.cache);
  poison(w.cache);
  assert.match(lint(args, w.cache).out, POISON);
  utimesSync(w.board, new Date(), new Date(Date.now() + 5000));
  assert.doesNotMatch(lint(args, w.cache).out, POISON, 'the sibling board changed');
});

test('a cache that cannot be written is ignored: the same findings, the same exit status', { skip }, () => {
  const w = workspace();
  writeFileSync(w.cache, 'not a directory');
  const args = ['--format', 'json', '--acrn-tree', w.tree, '--board', w.board, w.scenario];
  const r = lint(args, w.cache);
  const ref = lint(['--no-cache', ...args], w.cache);
  assert.equal(r.code, ref.code);
  assert.equal(r.out, ref.out);
  assert.equal(r.err, '');
});
