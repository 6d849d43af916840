/**
 * The QEMU command line for an L2 guest, from the recipe (nvmx_virtualization.rst, "Launch a
 * Nested Guest VM"): `-enable-kvm -cpu host`, memory, vCPUs, a raw or qcow2 disk on virtio,
 * tap networking with virtio-net, no graphics. Detached (`-daemonize`, `-pidfile`) so it outlives
 * the SSH session and VS Code, with its serial console on a Unix socket and QMP beside it.
 *
 * QEMU refuses `-nographic` together with `-daemonize`, so the recipe's `-nographic` becomes what
 * it means here: `-display none` (no graphics), the serial port on the socket, no monitor on
 * stdio (QMP on its own socket instead).
 */
import { createHash } from 'node:crypto';

export type Accel = 'kvm' | 'tcg';

export type L2Net =
  | { type: 'tap'; ifname?: string; script?: string; downscript?: string; mac?: string }
  | { type: 'user'; mac?: string }
  | { type: 'none' };

export interface L2Spec {
  name: string;
  /** A disk image on the Service VM (raw or qcow2), or a kernel to boot directly. */
  disk?: string;
  diskFormat?: 'raw' | 'qcow2';
  kernel?: string;
  initrd?: string;
  append?: string;
  /** QEMU size syntax: 2G, 512M. Default 2G (the recipe's). */
  memory?: string;
  /** Default 2 (the recipe's). */
  smp?: number;
  /** Default kvm; tcg only when asked for (never chosen silently). */
  accel?: Accel;
  /** Default tap (the recipe's). */
  net?: L2Net;
  /** Default qemu-system-x86_64. */
  qemu?: string;
  extraArgs?: string[];
}

/** Where a guest's files live on the Service VM. */
export interface L2Paths {
  dir: string;
  pidfile: string;
  serial: string;
  qmp: string;
  log: string;
  spec: string;
}

export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class L2SpecError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'L2SpecError';
  }
}

export function checkName(name: string): string {
  if (!NAME_RE.test(name)) throw new L2SpecError('name', `"${name}" is not a guest name: use letters, digits, '.', '_' or '-' (at most 64, starting with a letter or digit)`);
  return name;
}

/** Escapes a value inside a QEMU -opt key=value list: commas are doubled. */
export function qemuOptValue(v: string): string {
  if (/[\r\n\0]/.test(v)) throw new L2SpecError('path', `QEMU option values cannot hold line breaks or NUL: ${JSON.stringify(v)}`);
  return v.replace(/,/g, ',,');
}

/** A stable, locally administered MAC for a guest name (QEMU's 52:54:00 prefix). */
export function macFor(name: string): string {
  const h = createHash('sha256').update(name).digest();
  return ['52', '54', '00', h[0]!, h[1]!, h[2]!].map((x) => (typeof x === 'number' ? x.toString(16).padStart(2, '0') : x)).join(':');
}

/** Guesses the disk format from the file name; raw unless it ends in .qcow2 / .qcow. */
export function diskFormatOf(file: string): 'raw' | 'qcow2' {
  return /\.qcow2?$/i.test(file) ? 'qcow2' : 'raw';
}

export function validateSpec(spec: L2Spec): void {
  checkName(spec.name);
  if (!spec.disk && !spec.kernel) throw new L2SpecError('disk', 'give a disk image (--disk) or a kernel (--kernel)');
  if (spec.append !== undefined && !spec.kernel) throw new L2SpecError('append', 'a kernel command line needs --kernel');
  if (spec.memory !== undefined && !/^[1-9]\d*[KMGT]?$/i.test(spec.memory)) throw new L2SpecError('memory', `"${spec.memory}" is not a size like 2G or 512M`);
  if (spec.smp !== undefined && (!Number.isInteger(spec.smp) || spec.smp < 1 || spec.smp > 256)) throw new L2SpecError('smp', `must be an integer 1..256, not ${spec.smp}`);
  if (spec.accel !== undefined && spec.accel !== 'kvm' && spec.accel !== 'tcg') throw new L2SpecError('accel', `must be kvm or tcg, not "${String(spec.accel)}"`);
  const mac = spec.net && spec.net.type !== 'none' ? spec.net.mac : undefined;
  if (mac && !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) throw new L2SpecError('net.mac', `"${mac}" is not a MAC address`);
  if (spec.net?.type === 'tap' && spec.net.ifname && !/^[A-Za-z0-9_.-]{1,15}$/.test(spec.net.ifname)) throw new L2SpecError('net.ifname', `"${spec.net.ifname}" is not an interface name`);
  for (const [f, v] of [['disk', spec.disk], ['kernel', spec.kernel], ['initrd', spec.initrd]] as const) {
    if (v !== undefined && (v === '' || /[\r\n\0]/.test(v))) throw new L2SpecError(f, 'must be a path without line breaks');
  }
}

/**
 * The argv (program first) that launches the guest detached. Every element is one argument:
 * the launcher quotes each for the remote shell.
 */
export function buildQemuArgs(spec: L2Spec, paths: L2Paths): string[] {
  validateSpec(spec);
  const accel = spec.accel ?? 'kvm';
  const a: string[] = [spec.qemu ?? 'qemu-system-x86_64', '-name', `guest=${qemuOptValue(spec.name)}`];
  if (accel === 'kvm') a.push('-enable-kvm', '-cpu', 'host');
  else a.push('-accel', 'tcg');
  a.push('-m', spec.memory ?? '2G', '-smp', String(spec.smp ?? 2));
  if (spec.disk) {
    const fmt = spec.diskFormat ?? diskFormatOf(spec.disk);
    a.push('-drive', `format=${fmt},file=${qemuOptValue(spec.disk)},if=virtio`);
  }
  if (spec.kernel) {
    a.push('-kernel', spec.kernel);
    if (spec.initrd) a.push('-initrd', spec.initrd);
    if (spec.append !== undefined) a.push('-append', spec.append);
  }
  const net = spec.net ?? { type: 'tap' };
  if (net.type === 'tap') {
    let nd = 'tap,id=net0';
    if (net.ifname) nd += `,ifname=${net.ifname}`;
    if (net.script) nd += `,script=${qemuOptValue(net.script)}`;
    if (net.downscript) nd += `,downscript=${qemuOptValue(net.downscript)}`;
    a.push('-netdev', nd, '-device', `virtio-net-pci,netdev=net0,mac=${net.mac ?? macFor(spec.name)}`);
  } else if (net.type === 'user') {
    a.push('-netdev', 'user,id=net0', '-device', `virtio-net-pci,netdev=net0,mac=${net.mac ?? macFor(spec.name)}`);
  } else {
    a.push('-nic', 'none');
  }
  a.push(
    '-display', 'none',
    '-serial', `unix:${qemuOptValue(paths.serial)},server=on,wait=off`,
    '-monitor', 'none',
    '-qmp', `unix:${qemuOptValue(paths.qmp)},server=on,wait=off`,
    '-pidfile', paths.pidfile,
    '-D', paths.log,
    '-daemonize',
  );
  if (spec.extraArgs) a.push(...spec.extraArgs);
  return a;
}
