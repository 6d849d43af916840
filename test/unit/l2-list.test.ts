/**
 * L2 run dir hygiene (issue 11, defect 5): a directory that is not ours (a name no guest can have,
 * or a folder without pid/spec.json) must not make `l2 list`, stop-all or the Nested view fail.
 * The manager's real script runs in a real /bin/sh against a temporary run dir.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { L2Manager } from '../../hv-core/l2/manager';
import type { RemoteHost } from '../../hv-core/ssh-target/remoteHost';

function localHost(): RemoteHost {
  return {
    label: 'local-sh',
    alive: true,
    exec: (command) => {
      const r = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
      return Promise.resolve({ code: r.status, stdout: r.stdout, stderr: r.stderr });
    },
    spawn: () => Promise.reject(new Error('not used')),
    openUnixSocket: () => Promise.reject(new Error('not used')),
    onClose: () => undefined,
    close: () => undefined,
  };
}

test('l2 list: a stray long-named directory and a foreign folder are skipped and named, guests still listed', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-l2-'));
  try {
    mkdirSync(path.join(dir, 'guest1'));
    writeFileSync(path.join(dir, 'guest1', 'spec.json'), JSON.stringify({ name: 'guest1', memory: '1G' }));
    const long = 'x'.repeat(100);
    mkdirSync(path.join(dir, long));
    mkdirSync(path.join(dir, 'lost+found'));
    mkdirSync(path.join(dir, 'backup'));
    const m = new L2Manager(localHost(), { runDir: dir });
    const list = await m.list();
    assert.deepEqual(list.map((g) => g.name), ['guest1']);
    assert.equal(list[0]!.spec?.memory, '1G');
    const scan = await m.scan();
    assert.deepEqual(scan.skipped.map((s) => s.name).sort(), ['backup', 'lost+found', long].sort());
    assert.ok(scan.skipped.every((s) => s.why.includes(dir)), 'each skipped entry says where it is');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
