/**
 * Issue 11 defect 3: "Launch L2 Guest…" checks the target before asking anything. A real /bin/sh
 * without QEMU on PATH, and a target without a shell (what the demo's board simulator answers),
 * each give the reason up front.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { checkL2Ready } from '../../hv-core/l2/ready';
import type { RemoteHost } from '../../hv-core/ssh-target/remoteHost';

function host(exec: RemoteHost['exec']): RemoteHost {
  return { label: 'acrn@board:22', alive: true, exec, spawn: () => Promise.reject(new Error('no')), openUnixSocket: () => Promise.reject(new Error('no')), onClose: () => undefined, close: () => undefined };
}

const sh = host((command) => {
  const r = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8', env: { PATH: '/nonexistent-bin' } });
  return Promise.resolve({ code: r.status, stdout: r.stdout, stderr: r.stderr });
});

test('a Service VM without QEMU: named before any question', async () => {
  const r = await checkL2Ready(sh, 'kvm', 'qemu-system-x86_64');
  assert.equal(r.shell, true);
  assert.equal(r.qemu, false);
  assert.equal(r.ok, false);
  assert.match(r.problems.join('\n'), /qemu-system-x86_64 is not installed on acrn@board:22 \(Debian\/Ubuntu: sudo apt install qemu-system-x86\)/);
});

test('a shell with the QEMU binary and /dev/kvm: ready', async () => {
  const r = await checkL2Ready(sh, 'tcg', 'true');
  assert.equal(r.qemu, true);
  assert.equal(r.ok, true, r.problems.join('\n'));
});

test('a target without a shell (the board simulator): says it cannot run L2 guests, and why', async () => {
  const sim = host(() => Promise.resolve({ code: 127, stdout: '', stderr: 'board-simulator: echo: command not found (the simulator implements: sudo test stat)\n' }));
  const r = await checkL2Ready(sim);
  assert.equal(r.ok, false);
  assert.equal(r.shell, false);
  assert.match(r.problems[0]!, /has no POSIX shell to run QEMU from \(board-simulator: echo: command not found/);
  assert.match(r.problems[0]!, /board simulator is not one: it supports Build and Deploy and the hypervisor console, not L2 guests or Doctor/);
});

test('Doctor against a target without a shell says what it is instead of "command not found"', async () => {
  const { probeServiceVm } = await import('../../hv-core/doctor.js');
  const sim = host(() => Promise.resolve({ code: 127, stdout: '', stderr: 'board-simulator: set: command not found (the simulator implements: sudo test stat)\n' }));
  await assert.rejects(probeServiceVm(sim), /has no POSIX shell to run the doctor's probe \(board-simulator: set: command not found[\s\S]*not Doctor or L2 guests/);
});
