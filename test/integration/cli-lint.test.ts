/**
 * `acrn-nest lint` as a user runs it: the bundled CLI (dist/cli.js) as a child process, over every
 * XML file ACRN ships for every version in ../shared/acrn-data.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, TAGS, dataFiles, hasAcrnData } from '../unit/helpers';

const CLI = path.join(REPO, 'dist', 'cli.js');

before(() => {
  execFileSync(process.execPath, [path.join(REPO, 'scripts', 'build.mjs')], { cwd: REPO, stdio: 'inherit' });
});

function lint(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, 'lint', ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

interface JsonResult {
  file: string;
  dialect: string | null;
  findings: { severity: string; code: string; line: number; column: number; message: string }[];
}

for (const tag of TAGS) {
  test(`every official ${tag} file: right dialect, no well-formedness error`, { skip: !hasAcrnData() && 'no ../shared/acrn-data' }, () => {
    const files = dataFiles(tag);
    assert.ok(files.length > 5, `${tag} has data files`);
    const r = lint(['--format', 'json', ...files]);
    assert.ok(r.code === 0 || r.code === 1, r.err);
    const results = JSON.parse(r.out) as JsonResult[];
    assert.equal(results.length, files.length);
    for (const res of results) {
      // Well-formedness only: schema and rule findings are the conformance run's business.
      const errors = res.findings.filter((f) => f.severity === 'error' && (f.code.startsWith('xml/') || f.code === 'binary-file' || f.code === 'io'));
      assert.deepEqual(errors, [], `${res.file}`);
      assert.ok(res.dialect, `${res.file}: dialect named`);
      const isBoard = readFileSync(path.join(path.dirname(res.file), path.basename(path.dirname(res.file)) + '.xml')) && path.basename(res.file, '.xml') === path.basename(path.dirname(res.file));
      if (isBoard) assert.equal(res.dialect, 'ACRN board', res.file);
      else if (/launch config/.test(res.dialect!)) assert.ok(tag.startsWith('v2'), `${res.file}: launch configs exist only in v2`);
      else assert.equal(res.dialect, tag.startsWith('v3') ? 'ACRN v3.x scenario' : `ACRN ${tag} scenario`, res.file);
    }
  });
}

test('text output is FILE:LINE:COL: severity: MESSAGE [CODE], exit 1 on errors', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-lint-'));
  const f = path.join(dir, 'broken.xml');
  writeFileSync(f, '<acrn-config board="x" scenario="y">\n  <hv>\n    <FEATURES>\n      <SCHEDULER>SCHED_NOOP</SCHEDULR>\n    </FEATURES>\n  </hv>\n  <vm id="0"><guest_flags/></vm>\n</acrn-config>\n');
  const r = lint([f]);
  assert.equal(r.code, 1);
  const lines = r.out.trim().split('\n');
  for (const l of lines) assert.match(l, /^.+:\d+:\d+: (error|warning|info|hint): .+ \[[\w/.-]+\]$/);
  assert.ok(lines.some((l) => l.startsWith(`${f}:4:30: error:`) && l.includes('[xml/unexpected-end-tag]')), r.out);
});

test('a truncated official scenario reports the line where it breaks', { skip: !hasAcrnData() && 'no ../shared/acrn-data' }, () => {
  const src = dataFiles('v2.6').find((f) => f.endsWith('nuc7i7dnb/industry.xml'))!;
  const text = readFileSync(src, 'utf8');
  const lineCount = 60;
  const cut = text.split('\n').slice(0, lineCount).join('\n') + '\n    <os_con';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-lint-'));
  const f = path.join(dir, 'truncated.xml');
  writeFileSync(f, cut);
  const r = lint(['--format', 'json', f]);
  assert.equal(r.code, 1);
  const [res] = JSON.parse(r.out) as JsonResult[];
  const eof = res!.findings.find((x) => x.code === 'xml/eof-in-element');
  assert.ok(eof, r.out);
  assert.equal(eof.line, lineCount + 1);
});

test('bad input: empty, binary, invalid UTF-8, missing file, not ACRN', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-lint-'));
  const empty = path.join(dir, 'empty.xml');
  writeFileSync(empty, '');
  const bin = path.join(dir, 'bin.xml');
  writeFileSync(bin, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2, 3]));
  const utf = path.join(dir, 'latin1.xml');
  writeFileSync(utf, Buffer.concat([Buffer.from('<acrn-config board="a" scenario="b">\n  <hv><DEBUG_OPTIONS><RELEASE>n</RELEASE></DEBUG_OPTIONS></hv>\n  <!-- caf'), Buffer.from([0xe9]), Buffer.from(' -->\n</acrn-config>\n')]));
  const other = path.join(dir, 'pom.xml');
  writeFileSync(other, '<project><modelVersion>4.0.0</modelVersion></project>');
  const r = lint(['--format', 'json', empty, bin, utf, path.join(dir, 'missing.xml'), other]);
  assert.equal(r.code, 1);
  const res = JSON.parse(r.out) as (JsonResult & { error?: string })[];
  assert.deepEqual(res[0]!.findings.map((f) => f.code), ['not-acrn']);
  assert.deepEqual(res[1]!.findings.map((f) => f.code), ['binary-file']);
  const bad = res[2]!.findings.find((f) => f.code === 'xml/invalid-utf8')!;
  assert.equal(bad.line, 3);
  assert.equal(bad.column, 11);
  assert.equal(res[2]!.dialect, 'ACRN v2.5 scenario');
  assert.equal(res[3]!.error, 'no such file');
  assert.deepEqual(res[4]!.findings.map((f) => f.code), ['not-acrn']);
});

test('a 20 MB XML file: a clear message, quickly', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-lint-'));
  const big = path.join(dir, 'big.xml');
  const vm = '  <vm id="1"><vm_type>POST_STD_VM</vm_type><name>big</name></vm>\n';
  writeFileSync(big, '<acrn-config board="a" scenario="b">\n' + vm.repeat(Math.ceil((20 * 1024 * 1024) / vm.length)) + '</acrn-config>\n');
  const r = lint(['--format', 'json', big]);
  assert.equal(r.code, 0, r.err);
  const [res] = JSON.parse(r.out) as JsonResult[];
  assert.equal(res!.findings[0]!.code, 'file-too-large');
  assert.match(res!.findings[0]!.message, /20\.\d MB/);
  const r2 = lint(['--format', 'json', '--max-file-mb', '50', big]);
  assert.equal(r2.code, 0, r2.err);
  assert.equal((JSON.parse(r2.out) as JsonResult[])[0]!.dialect, 'ACRN v2.5 scenario');
});

test('a reader that stops early (acrn-nest --help | head -1): its line, then a quiet end with the SIGPIPE status, no stack trace', () => {
  // The pipe closes after the first line; the CLI's later writes fail with EPIPE (it crashed on
  // that unhandled 'error' event before). pipefail gives the CLI's own status.
  const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" --help | head -1`], { encoding: 'utf8' });
  assert.match(r.stdout, /^acrn-nest \S+: /);
  assert.equal(r.stdout.split('\n').filter(Boolean).length, 1);
  assert.equal(r.stderr, '', 'nothing on stderr');
  assert.ok(r.status === 141 || r.status === 0, `SIGPIPE's status (or 0 when the output fit before head closed): ${r.status}`);
});
