/**
 * The virtual board's accelerator (hv-core/boardvm/accel.ts): KVM only where a probe boot proves
 * it works. The probe is real QEMU booting a real Debian kernel alone (the test kernel the L2
 * tests use, the same package the board image holds): under TCG it must reach its root mount
 * (the probe's "yes" is reachable), and on a host whose /dev/kvm opens but whose CPU has neither
 * VMX nor SVM (this machine kind) the KVM probe must fail within its timeout (its "no" is right).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { REPO } from '../unit/helpers';
import { chooseAccel, cpuHasVirtualization, probeBoot } from '../../hv-core/boardvm/accel';

function testKernel(): string | undefined {
  const dir = path.join(REPO, '.e2e', 'kernel', 'root', 'boot');
  const k = existsSync(dir) ? readdirSync(dir).find((f) => f.startsWith('vmlinuz-')) : undefined;
  return k ? path.join(dir, k) : undefined;
}

const kernel = testKernel();
const qemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;
const skip = !qemu ? 'qemu-system-x86_64 missing (apt install qemu-system-x86)' : !kernel ? 'no test kernel in .e2e/kernel (bash scripts/fetch-test-kernel.sh; scripts/install-deps.sh does it)' : false;

test('cpuHasVirtualization reads the vmx / svm flag of /proc/cpuinfo', () => {
  assert.equal(cpuHasVirtualization('processor\t: 0\nflags\t\t: fpu vme de pse vmx sse\n'), true);
  assert.equal(cpuHasVirtualization('flags\t\t: fpu svm lm\n'), true);
  assert.equal(cpuHasVirtualization('flags\t\t: fpu vme de pse sse2 lm hypervisor\n'), false);
  assert.equal(cpuHasVirtualization('model name : vmx-ish marketing\nflags : fpu\n'), false);
});

test('ACRN_NEST_VM_ACCEL: tcg is taken as said, a wrong value is an error naming the choices', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'accel-'));
  assert.deepEqual(await chooseAccel(dir, { ACRN_NEST_VM_ACCEL: 'tcg' }), { accel: 'tcg', why: 'ACRN_NEST_VM_ACCEL=tcg', probed: false });
  await assert.rejects(chooseAccel(dir, { ACRN_NEST_VM_ACCEL: 'hvf' }), /must be tcg, kvm or auto/);
});

test('the probe boot under TCG reaches the kernel\'s root mount (its yes is reachable)', { skip }, async () => {
  const r = await probeBoot(kernel!, 'tcg', 240_000);
  assert.equal(r.ok, true, r.detail);
});

const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
const kvmHere = existsSync('/dev/kvm');
test('on this host: /dev/kvm without VMX/SVM is refused, and a forced KVM probe boot fails within its timeout', { skip: skip || (!kvmHere ? 'no /dev/kvm here' : cpuHasVirtualization(cpuinfo) ? 'this CPU has VMX or SVM: KVM may work here' : false) }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'accel-'));
  const auto = await chooseAccel(dir, {});
  assert.equal(auto.accel, 'tcg');
  assert.equal(auto.probed, false, 'decided without a probe boot');
  assert.match(auto.why, /neither VMX nor SVM/);
  const t0 = Date.now();
  const r = await probeBoot(kernel!, 'kvm', 20_000);
  assert.equal(r.ok, false, 'KVM without VMX/SVM does not run the kernel to its root mount');
  assert.match(r.detail, /did not get to its root mount within 20 s|QEMU stopped/);
  assert.ok(Date.now() - t0 < 40_000, 'the probe is bounded by its timeout');
});
