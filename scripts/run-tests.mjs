#!/usr/bin/env node
// Runs node's test runner (with tsx for TypeScript) over every *.test.ts under the given folders.
//   node scripts/run-tests.mjs test/unit [test/integration ... | a/file.test.ts] [--only PATTERN]
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';

const args = process.argv.slice(2);
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? args.splice(onlyIdx, 2)[1] : undefined;
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts') && (!only || p.includes(only))) files.push(p);
  }
}
// A folder is searched; a test file is taken as it is (node scripts/run-tests.mjs test/e2e/build.test.ts).
for (const d of args.length ? args : ['test/unit']) {
  if (statSync(d).isDirectory()) walk(d);
  else if (!only || d.includes(only)) files.push(d);
}
if (files.length === 0) {
  console.error(`no test files under ${args.join(' ')}`);
  process.exit(1);
}
// --test-force-exit: a test file whose tests are done is ended even if a stray handle would keep it
// alive (a hang must not eat CI's time). The watchdog bounds a whole stage the same way.
// The CLI's lint cache goes to a folder of this run, not the user's ~/.cache (a test that wants its
// own sets ACRN_NEST_CACHE_DIR itself).
const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-test-cache-'));
const env = { ...process.env, ACRN_NEST_CACHE_DIR: cacheDir };
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-force-exit', '--test-reporter=spec', '--test-concurrency=1', ...files], { stdio: 'inherit', detached: true, env });
const limitS = Number(process.env.ACRN_NEST_TEST_STAGE_TIMEOUT_S ?? 1500);
const watchdog = setTimeout(() => {
  console.error(`\nrun-tests: ${args.join(' ')} still running after ${limitS} s: stopping it`);
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}, limitS * 1000);
watchdog.unref();
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => {
  try {
    process.kill(-child.pid, sig);
  } catch {
    /* gone */
  }
});
child.on('exit', (code, signal) => {
  rmSync(cacheDir, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
