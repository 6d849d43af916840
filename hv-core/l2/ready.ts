/**
 * Can this target run L2 guests at all? Checked before "Launch L2 Guest…" asks anything (issue
 * 11): one short script over the SSH connection that needs a POSIX shell and reports QEMU and
 * /dev/kvm. A target without a shell (the demo's board simulator runs a handful of commands, no
 * sh) is named as such instead of failing after five questions with "sh: command not found".
 */
import type { RemoteHost } from '../ssh-target/remoteHost.js';
import type { Accel } from './qemu.js';

export interface L2Readiness {
  ok: boolean;
  /** The target answered the shell probe (a POSIX shell runs commands there). */
  shell: boolean;
  qemu: boolean;
  kvm: boolean;
  /** What stops a launch, each with what to do (empty when ok). */
  problems: string[];
}

const QEMU = 'qemu-system-x86_64';
const MARK = 'acrn-nest-l2-ready';

export async function checkL2Ready(host: RemoteHost, accel: Accel = 'kvm', qemu = QEMU): Promise<L2Readiness> {
  const script = `echo ${MARK}; if command -v ${qemu} >/dev/null 2>&1; then echo qemu=yes; else echo qemu=no; fi; if [ -c /dev/kvm ]; then echo kvm=yes; else echo kvm=no; fi`;
  let r;
  try {
    r = await host.exec(script, { timeoutMs: 15_000 });
  } catch (e) {
    return { ok: false, shell: false, qemu: false, kvm: false, problems: [`cannot reach ${host.label}: ${e instanceof Error ? e.message : String(e)}`] };
  }
  const lines = r.stdout.split('\n').map((l) => l.trim());
  if (!lines.includes(MARK)) {
    const why = r.stderr.trim().split('\n')[0] || `exit status ${String(r.code)}`;
    return { ok: false, shell: false, qemu: false, kvm: false, problems: [`${host.label} has no POSIX shell to run QEMU from (${why}). L2 guests need a real Service VM: a Linux with sh, ${qemu} and /dev/kvm. (The demo's board simulator is not one: it supports Build and Deploy and the hypervisor console, not L2 guests or Doctor.)`] };
  }
  const qemuOk = lines.includes('qemu=yes');
  const kvmOk = lines.includes('kvm=yes');
  const problems: string[] = [];
  if (!qemuOk) problems.push(`${qemu} is not installed on ${host.label} (Debian/Ubuntu: sudo apt install qemu-system-x86)`);
  if (!kvmOk && accel === 'kvm') problems.push(`/dev/kvm is missing on ${host.label}: KVM is not available in the Service VM (run Doctor to see why; accel "tcg" runs without it, slowly)`);
  return { ok: problems.length === 0, shell: true, qemu: qemuOk, kvm: kvmOk, problems };
}
