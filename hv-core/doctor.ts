/**
 * The nested-virtualization preflight (`acrn-nest doctor`): what the recipe
 * (nvmx_virtualization.rst) needs on the Service VM, probed in one SSH command, and in the
 * scenario (the NVMX engine's recipe checklist, hv-core/nvmx). Every failed check says how to fix
 * it and cites the recipe step.
 */
import type { RemoteHost } from './console/remote.js';
import { nvmxStatus } from './nvmx/engine.js';
import type { XmlDocument } from './xml/model.js';

export type CheckStatus = 'ok' | 'fail' | 'warn' | 'skip';

export interface DoctorCheck {
  id: string;
  /** "Service VM" or "scenario". */
  where: string;
  title: string;
  status: CheckStatus;
  detail: string;
  /** How to fix it (failed and warned checks). */
  fix?: string;
  /** The recipe step it comes from. */
  recipe?: string;
}

const R = 'nvmx_virtualization.rst';
export const RECIPE_STEPS = {
  kernel: `${R}: "Prepare for Service VM Kernel and rootfs" (CONFIG_KVM=y, CONFIG_KVM_INTEL=y, CONFIG_ACRN_GUEST=y)`,
  qemu: `${R}: "Prepare for Launch Scripts" (install QEMU on the Service VM)`,
  service: `${R}: "Service OS VM configuration" (steps 1-2: NVMX_ENABLED / nested_virtualization_support, LAPIC passthrough)`,
  launch: `${R}: "Launch a Nested Guest VM" (-enable-kvm -cpu host)`,
} as const;

/** The probe: one POSIX sh script printing key=value lines (no sudo needed). */
export const PROBE_SCRIPT = [
  `echo "vmx=$(grep -c -w vmx /proc/cpuinfo 2>/dev/null || echo 0)"`,
  `echo "cpus=$(grep -c '^processor' /proc/cpuinfo 2>/dev/null || echo 0)"`,
  `if [ -c /dev/kvm ]; then echo kvm=yes; if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then echo kvmaccess=yes; else echo kvmaccess=no; fi; else echo kvm=no; fi`,
  `if [ -e /dev/acrn_hsm ]; then echo hsm=acrn_hsm; elif [ -e /dev/acrn_vhm ]; then echo hsm=acrn_vhm; else echo hsm=no; fi`,
  `echo "kernel=$(uname -r)"`,
  `echo "user=$(id -un)"`,
  `q=$(command -v qemu-system-x86_64 2>/dev/null) && echo "qemu=$q" && echo "qemuversion=$(qemu-system-x86_64 --version 2>/dev/null | head -n1)" || echo qemu=`,
  `cfg=; if [ -r /proc/config.gz ]; then cfg=/proc/config.gz; elif [ -r "/boot/config-$(uname -r)" ]; then cfg="/boot/config-$(uname -r)"; fi`,
  `echo "configfile=$cfg"`,
  `if command -v flock >/dev/null 2>&1 && [ -d /run/lock ] && [ -w /run/lock ]; then echo deploylock=yes; else echo "deploylock=no:$(command -v flock >/dev/null 2>&1 && echo flock || echo noflock):$([ -d /run/lock ] && [ -w /run/lock ] && echo runlock || echo norunlock)"; fi`,
  `if [ "$cfg" = /proc/config.gz ]; then (zcat /proc/config.gz 2>/dev/null || gzip -dc /proc/config.gz); elif [ -n "$cfg" ]; then cat "$cfg"; fi | grep -E '^(# )?CONFIG_(KVM|KVM_INTEL|ACRN_GUEST|ACRN_HSM)( is not set|=)' | sed 's/^# \\(CONFIG_[A-Z_]*\\) is not set/\\1=n/; s/^/config:/'`,
].join('\n');

export interface Probe {
  vmx: boolean;
  kvm: boolean;
  kvmAccess: boolean;
  hsm: string | undefined;
  kernel: string;
  user: string;
  qemu: string | undefined;
  qemuVersion: string | undefined;
  configFile: string | undefined;
  config: Record<string, string>;
  /** flock and a writable /run/lock (acrn-nest deploy's one-at-a-time lock): yes, why not, or not probed. */
  deployLock: { ok: boolean; flock: boolean; runLock: boolean } | undefined;
}

export function parseProbe(out: string): Probe {
  const kv: Record<string, string> = {};
  const config: Record<string, string> = {};
  for (const line of out.split('\n')) {
    if (line.startsWith('config:')) {
      const m = /^config:(CONFIG_[A-Z0-9_]+)=(.*)$/.exec(line);
      if (m) config[m[1]!] = m[2]!;
      continue;
    }
    const i = line.indexOf('=');
    if (i > 0) kv[line.slice(0, i)] = line.slice(i + 1);
  }
  return {
    vmx: Number(kv.vmx ?? 0) > 0,
    kvm: kv.kvm === 'yes',
    kvmAccess: kv.kvmaccess === 'yes',
    hsm: kv.hsm && kv.hsm !== 'no' ? `/dev/${kv.hsm}` : undefined,
    kernel: kv.kernel ?? '?',
    user: kv.user ?? '?',
    qemu: kv.qemu || undefined,
    qemuVersion: kv.qemuversion || undefined,
    configFile: kv.configfile || undefined,
    config,
    deployLock: kv.deploylock === undefined ? undefined : kv.deploylock === 'yes' ? { ok: true, flock: true, runLock: true } : { ok: false, flock: kv.deploylock.includes(':flock:'), runLock: kv.deploylock.endsWith(':runlock') },
  };
}

/** Turns a probe into checks (pure: unit-tested with recorded probes). */
export function serviceVmChecks(p: Probe): DoctorCheck[] {
  const where = 'Service VM';
  const out: DoctorCheck[] = [];
  out.push(
    p.hsm
      ? { id: 'acrn', where, title: 'running on ACRN', status: 'ok', detail: `${p.hsm} exists (kernel ${p.kernel})` }
      : { id: 'acrn', where, title: 'running on ACRN', status: 'fail', detail: `no /dev/acrn_hsm: kernel ${p.kernel} is not running as ACRN's Service VM`, fix: 'Boot the ACRN entry in GRUB (acrn-nest deploy sets it up) with a Service VM kernel built from acrn-kernel (CONFIG_ACRN_HSM=y).', recipe: RECIPE_STEPS.kernel },
  );
  out.push(
    p.vmx
      ? { id: 'vmx', where, title: 'vmx CPU flag visible', status: 'ok', detail: 'vmx in /proc/cpuinfo' }
      : { id: 'vmx', where, title: 'vmx CPU flag visible', status: 'fail', detail: 'no vmx flag in /proc/cpuinfo: the hypervisor does not expose VMX to the Service VM', fix: 'Enable nested virtualization in the scenario (v2: NVMX_ENABLED=y and GUEST_FLAG_NVMX_ENABLED on the Service VM; v3: nested_virtualization_support=y), rebuild and deploy ACRN. `acrn-nest doctor --scenario FILE` checks the scenario.', recipe: RECIPE_STEPS.service },
  );
  const cfgLabel = p.configFile ?? 'the kernel config';
  for (const [name, what] of [
    ['CONFIG_KVM', 'KVM'],
    ['CONFIG_KVM_INTEL', 'KVM for Intel VMX'],
    ['CONFIG_ACRN_GUEST', 'ACRN guest support'],
  ] as const) {
    const v = p.config[name];
    if (!p.configFile) {
      out.push({ id: name, where, title: `${name}=y`, status: 'warn', detail: 'neither /proc/config.gz nor /boot/config-$(uname -r) is readable: cannot check', fix: 'Install the kernel config next to the kernel (/boot/config-<version>) or build with CONFIG_IKCONFIG_PROC=y.', recipe: RECIPE_STEPS.kernel });
    } else if (v === 'y') {
      out.push({ id: name, where, title: `${name}=y`, status: 'ok', detail: `${name}=y in ${cfgLabel}` });
    } else if (v === 'm') {
      out.push({ id: name, where, title: `${name}=y`, status: 'warn', detail: `${name}=m (a module) in ${cfgLabel}; the recipe builds it in`, fix: `Load the module (modprobe ${name === 'CONFIG_KVM_INTEL' ? 'kvm_intel' : 'kvm'}) or rebuild the Service VM kernel with ${name}=y.`, recipe: RECIPE_STEPS.kernel });
    } else {
      out.push({ id: name, where, title: `${name}=y`, status: 'fail', detail: `${name} is ${v ? v : 'not set'} in ${cfgLabel} (${what} missing)`, fix: `Rebuild the Service VM kernel (acrn-kernel) with ${name}=y and install it.`, recipe: RECIPE_STEPS.kernel });
    }
  }
  if (!p.kvm) {
    out.push({ id: 'kvm', where, title: '/dev/kvm present', status: 'fail', detail: '/dev/kvm is missing: KVM (the L1 hypervisor) is not available', fix: !p.vmx ? 'First make VMX visible (see the vmx check), then KVM can load.' : 'Build the kernel with CONFIG_KVM=y and CONFIG_KVM_INTEL=y (or modprobe kvm_intel).', recipe: RECIPE_STEPS.kernel });
  } else if (!p.kvmAccess) {
    out.push({ id: 'kvm', where, title: '/dev/kvm present', status: 'warn', detail: `/dev/kvm exists but ${p.user} cannot open it`, fix: `Add ${p.user} to the kvm group (usermod -aG kvm ${p.user}) and log in again.`, recipe: RECIPE_STEPS.launch });
  } else {
    out.push({ id: 'kvm', where, title: '/dev/kvm present', status: 'ok', detail: `/dev/kvm usable by ${p.user}` });
  }
  out.push(
    p.qemu
      ? { id: 'qemu', where, title: 'qemu-system-x86_64 installed', status: 'ok', detail: `${p.qemu}${p.qemuVersion ? ` (${p.qemuVersion})` : ''}` }
      : { id: 'qemu', where, title: 'qemu-system-x86_64 installed', status: 'fail', detail: 'qemu-system-x86_64 is not on the PATH', fix: 'sudo apt-get install qemu-system-x86 (the recipe lists qemu-kvm qemu virt-manager virt-viewer libvirt-bin).', recipe: RECIPE_STEPS.qemu },
  );
  const l = p.deployLock;
  if (l) {
    const title = 'one deploy at a time (flock, /run/lock)';
    out.push(
      l.ok
        ? { id: 'deploy-lock', where, title, status: 'ok', detail: 'flock and a writable /run/lock: acrn-nest deploy serializes deploys to this board' }
        : { id: 'deploy-lock', where, title, status: 'warn', detail: `${l.flock ? '' : 'flock is not installed'}${!l.flock && !l.runLock ? '; ' : ''}${l.runLock ? '' : '/run/lock is missing or not writable'}: two deploys to this board at once are not kept apart`, fix: l.flock ? 'Create /run/lock (mode 1777), as Debian and Ubuntu do.' : 'sudo apt-get install util-linux (it provides flock).' },
    );
  }
  return out;
}

export async function probeServiceVm(host: RemoteHost): Promise<DoctorCheck[]> {
  const r = await host.exec(PROBE_SCRIPT);
  if (r.code !== 0 && !r.stdout.includes('vmx=')) {
    // A target with no POSIX shell (the demo's board simulator): say what it is, not "sh: command not found".
    if (r.code === 127 && !r.stdout.trim()) throw new Error(`${host.label} has no POSIX shell to run the doctor's probe (${r.stderr.trim().split('\n')[0]}): Doctor checks a real Service VM (a Linux with sh, /proc and /dev/kvm). The demo's board simulator is not one: it supports Build and Deploy and the hypervisor console, not Doctor or L2 guests.`);
    throw new Error(`${host.label}: the probe failed (exit ${String(r.code)}): ${r.stderr.trim()}`);
  }
  return serviceVmChecks(parseProbe(r.stdout));
}

/** The scenario's part: the NVMX engine's recipe checklist (hv-core/nvmx), as doctor checks. */
export function scenarioChecks(text: string, opts: { board?: XmlDocument; file?: string } = {}): DoctorCheck[] {
  const where = opts.file ? `scenario ${opts.file}` : 'scenario';
  let st;
  try {
    st = nvmxStatus(text, opts.board ? { board: opts.board } : {});
  } catch (e) {
    return [{ id: 'scenario', where, title: 'scenario readable', status: 'fail', detail: (e as Error).message, fix: 'Run `acrn-nest lint` on the scenario and fix the errors it reports.' }];
  }
  const out: DoctorCheck[] = [
    st.enabled
      ? { id: 'nested-enabled', where, title: 'nested virtualization enabled', status: 'ok', detail: `${st.dialect}` }
      : { id: 'nested-enabled', where, title: 'nested virtualization enabled', status: 'fail', detail: `${st.dialect}: nested virtualization is off`, fix: "Switch it on with acrn-nest's NVMX wizard in VS Code, which makes the recipe's edits (or edit the settings listed below by hand).", recipe: RECIPE_STEPS.service },
  ];
  for (const s of st.steps) {
    if (s.notApplicable) continue;
    out.push(s.satisfied ? { id: s.id, where, title: s.title, status: 'ok', detail: s.detail } : { id: s.id, where, title: s.title, status: 'fail', detail: s.detail, fix: `Set it as the recipe says (the NVMX wizard makes this edit).`, recipe: s.recipe });
  }
  return out;
}

/** Text report: one line per check, failed ones with their fix and recipe step. */
export function formatChecks(checks: DoctorCheck[]): string[] {
  const mark: Record<CheckStatus, string> = { ok: 'ok  ', fail: 'FAIL', warn: 'warn', skip: 'skip' };
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${mark[c.status]}  ${c.where}: ${c.title} — ${c.detail}`);
    if (c.status === 'fail' || c.status === 'warn') {
      if (c.fix) lines.push(`      fix: ${c.fix}`);
      if (c.recipe) lines.push(`      see: ${c.recipe}`);
    }
  }
  return lines;
}
