/**
 * KVM or TCG for the virtual board: KVM only where a probe boot proves it works.
 *
 * `/dev/kvm` opening is not proof: on a host whose CPU offers neither VMX nor SVM (a cloud VM
 * without nested virtualization), /dev/kvm can exist and open, and a guest under `-accel kvm` then
 * hangs in the kernel's early boot (measured: after "Probing EDD", no output for 60 s). So:
 * - no /dev/kvm, not readable and writable, or no vmx/svm flag in /proc/cpuinfo: TCG, no probe;
 * - else one probe boot of the board's own kernel alone under KVM (no disk, no initramfs): it
 *   runs to its "Unable to mount root fs" panic and QEMU exits (panic=-1, -no-reboot). The kernel
 *   reaching that panic within PROBE_TIMEOUT_MS proves KVM runs it; anything else is TCG, with
 *   the reason. The verdict is kept beside the image, keyed by the host's kernel and CPU.
 * `ACRN_NEST_VM_ACCEL=tcg|kvm` overrides (kvm still runs the probe, and fails if it does not pass).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type Accel = 'kvm' | 'tcg';

export interface AccelVerdict {
  accel: Accel;
  /** Why, in a sentence (shown by `board-vm start` and `status`). */
  why: string;
  /** True when a probe boot ran for this verdict (not read from the cache or decided without one). */
  probed: boolean;
}

export const PROBE_TIMEOUT_MS = 30_000;
/** What the kernel prints when it has run all the way to mounting its root (and there is none). */
export const PROBE_PANIC = /Kernel panic - not syncing: VFS: Unable to mount root fs/;

function hostKey(): string {
  return `${os.release()} | ${os.cpus()[0]?.model ?? '?'}`;
}

/** Hardware virtualization as the host kernel reports it: the vmx or svm CPU flag. */
export function cpuHasVirtualization(cpuinfo = safeRead('/proc/cpuinfo')): boolean {
  return /^flags\s*:.*\b(vmx|svm)\b/m.test(cpuinfo);
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

/**
 * One probe boot of `kernel` alone under `accel`: resolves whether it reached PROBE_PANIC before
 * QEMU exited, within timeoutMs, and what the serial port showed last.
 */
export function probeBoot(kernel: string, accel: Accel, timeoutMs = PROBE_TIMEOUT_MS): Promise<{ ok: boolean; detail: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-accel-'));
  const log = path.join(dir, 'serial.log');
  const args = [
    '-accel', accel, '-machine', 'q35', '-cpu', 'qemu64', '-m', '256', '-smp', '1',
    '-display', 'none', '-no-user-config', '-nodefaults', '-no-reboot',
    '-serial', `file:${log}`,
    '-kernel', kernel, '-append', 'console=ttyS0 panic=-1 loglevel=4',
  ];
  return new Promise((resolve) => {
    const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const done = (exited: boolean): void => {
      clearTimeout(timer);
      const text = safeRead(log);
      rmSync(dir, { recursive: true, force: true });
      const last = text.trim().split('\n').filter(Boolean).pop()?.trim() ?? '';
      if (PROBE_PANIC.test(text)) resolve({ ok: true, detail: 'the kernel ran to its root mount' });
      else if (!exited) resolve({ ok: false, detail: `the kernel did not get to its root mount within ${Math.round(timeoutMs / 1000)} s${last ? ` (last on its serial port: "${last.slice(0, 120)}")` : ' (nothing on its serial port)'}` });
      else resolve({ ok: false, detail: `QEMU stopped before the kernel got to its root mount${err.trim() ? `: ${err.trim().split('\n').pop()}` : ''}` });
    };
    child.on('error', (e) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolve({ ok: false, detail: `QEMU did not start: ${e.message}` });
    });
    child.on('exit', (_code, signal) => done(signal === null));
  });
}

/** KVM or TCG for the image in `imageDir` (its `vmlinuz` is the probe's kernel). */
export async function chooseAccel(imageDir: string, env: NodeJS.ProcessEnv = process.env): Promise<AccelVerdict> {
  const want = env.ACRN_NEST_VM_ACCEL;
  if (want === 'tcg') return { accel: 'tcg', why: 'ACRN_NEST_VM_ACCEL=tcg', probed: false };
  if (want && want !== 'kvm' && want !== 'auto') throw new Error(`ACRN_NEST_VM_ACCEL must be tcg, kvm or auto, not "${want}"`);
  const forced = want === 'kvm';
  const no = (why: string): AccelVerdict => {
    if (forced) throw new Error(`ACRN_NEST_VM_ACCEL=kvm, but KVM cannot be used here: ${why}`);
    return { accel: 'tcg', why: `TCG (software emulation): ${why}`, probed: false };
  };
  if (!existsSync('/dev/kvm')) return no('no /dev/kvm');
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return no('/dev/kvm is not readable and writable for this user (add it to the kvm group)');
  }
  if (!forced && !cpuHasVirtualization()) return no('the CPU offers neither VMX nor SVM (/proc/cpuinfo), so /dev/kvm cannot run a guest properly');
  const cacheFile = path.join(imageDir, 'accel.json');
  try {
    const c = JSON.parse(readFileSync(cacheFile, 'utf8')) as { host: string; verdict: AccelVerdict };
    if (c.host === hostKey() && (!forced || c.verdict.accel === 'kvm')) return { ...c.verdict, probed: false };
  } catch {
    /* no verdict yet */
  }
  const kernel = path.join(imageDir, 'vmlinuz');
  if (!existsSync(kernel)) return no(`no probe kernel in ${imageDir} (an image from before the probe: it is rebuilt with the next recipe change)`);
  const r = await probeBoot(kernel, 'kvm');
  const verdict: AccelVerdict = r.ok ? { accel: 'kvm', why: `KVM: a probe boot under KVM worked (${r.detail})`, probed: true } : { accel: 'tcg', why: `TCG (software emulation): a probe boot under KVM failed: ${r.detail}`, probed: true };
  writeFileSync(cacheFile, JSON.stringify({ host: hostKey(), verdict }, null, 2) + '\n');
  if (forced && !r.ok) throw new Error(`ACRN_NEST_VM_ACCEL=kvm, but ${verdict.why.replace(/^TCG \(software emulation\): /, '')}`);
  return verdict;
}
