/**
 * The demo retries when apt's lock is held (issue 11): scripts/lib/apt-retry.sh against a fake
 * apt-get that reports the lock a few times, one that fails otherwise, and a lock never released.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const LIB = path.join(__dirname, '..', '..', 'scripts', 'lib', 'apt-retry.sh');

function run(fakeBody: string, env: Record<string, string> = {}): { code: number | null; out: string; err: string; dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-apt-'));
  const fake = path.join(dir, 'apt-get');
  writeFileSync(fake, `#!/bin/bash\nn=$(cat "${dir}/n" 2>/dev/null || echo 0); echo $((n+1)) > "${dir}/n"\n${fakeBody}\n`);
  chmodSync(fake, 0o755);
  const r = spawnSync('bash', ['-c', `set -euo pipefail; . ${LIB}; apt_retry ${fake} install x; echo "done after $(cat ${dir}/n)"`], { encoding: 'utf8', env: { ...process.env, ACRN_NEST_APT_LOCK_POLL_S: '0', ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr, dir };
}

test('apt lock held twice, then free: waited for (said once), then installed', () => {
  const r = run('if [ "$n" -lt 2 ]; then echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 123 (unattended-upgr)" >&2; exit 100; fi; echo installed');
  try {
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /done after 3/);
    assert.equal(r.out.match(/apt's lock is held by another process/g)?.length, 1);
  } finally {
    rmSync(r.dir, { recursive: true, force: true });
  }
});

test('another apt failure is not retried; a lock never released gives up after the limit', () => {
  const bad = run('echo "E: Unable to locate package nope" >&2; exit 100');
  const held = run('echo "E: Could not get lock /var/lib/dpkg/lock" >&2; exit 100', { ACRN_NEST_APT_LOCK_WAIT_S: '3' });
  try {
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /Unable to locate package nope/);
    assert.doesNotMatch(bad.out, /done after/);
    assert.notEqual(held.code, 0);
    assert.match(held.err, /still held after 3 s: giving up/);
  } finally {
    rmSync(bad.dir, { recursive: true, force: true });
    rmSync(held.dir, { recursive: true, force: true });
  }
});
