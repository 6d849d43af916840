/**
 * The virtual board: a Debian VM that behaves like the NUC's Service VM because it is one (real
 * GRUB 2 on UEFI, real kernel and initramfs, OpenSSH, util-linux flock, sudo, a real serial port,
 * /boot on ext4 so GRUB's save_env works), booted by QEMU. Used to rehearse a deploy before
 * touching the board, by the tests of everything about booting, and as a LAVA device.
 *
 * The image is built once from Debian packages (`image.sh`, no loop devices, no mounts) and cached
 * by the hash of its recipe under `~/.cache/acrn-nest/board-vm/<key>/`: the disk (read-only once
 * made), OVMF's variables, the login key, the host key and the saved state of the booted guest
 * (a QEMU migration stream taken right after its first boot ran the real update-grub). `start`
 * puts a qcow2 overlay on that disk in DIR and resumes the saved guest, so it answers on SSH in
 * seconds; `power-cycle` is a real reset through OVMF, GRUB and whatever entry GRUB picks.
 *
 * DIR holds: disk.qcow2 (overlay), vars.fd, qmp.sock, serial.log (everything the serial port
 * printed since start), qemu.pid, vm.json (ports, layout, hypervisor), target.json, known_hosts,
 * id_ed25519 and, with the Xen stand-in, standin.bin.
 *
 * Layouts (how GRUB is configured, applied over SSH at start; the real update-grub then runs):
 *  - ubuntu: GRUB_DEFAULT=0, as Ubuntu ships it;
 *  - saved:  GRUB_DEFAULT=saved;
 *  - gsg:    as ACRN's getting-started guide leaves a board: ACRN's own grub-acrn files (from the
 *            ACRN tree's debian/grub) installed as the package installs them, GRUB_DEFAULT as
 *            acrn.cfg sets it. With the Xen stand-in, /boot/acrn.bin is the stand-in and
 *            25_linux_acrn lists it (the kernel's config is marked CONFIG_ACRN_HSM=m: a stand-in
 *            measure, Debian's kernel has no HSM driver). Measured with real GRUB: acrn.cfg's
 *            GRUB_DEFAULT="<OS> with ACRN hypervisor" names no entry (the entries are titled
 *            "<OS> with ACRN hypervisor, with Linux <v> (ACRN <v>)"), so GRUB boots entry 0, the
 *            plain kernel; `status` says so.
 *
 * ACRN itself needs VMX, which TCG does not emulate; where the host has none, the success path
 * uses Debian's Xen as a stand-in multiboot2 hypervisor (`--hypervisor xen-standin`), named as
 * such everywhere. It gets the same multiboot2 command line as ACRN would; Xen hands what follows
 * ` -- ` to its dom0, as ACRN appends its command line to the Service VM's.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { utils as sshUtils } from 'ssh2';
import { QmpClient } from '../l2/qmp.js';
import { SshConnection } from '../ssh-target/connection.js';
import { resolveTarget } from '../ssh-target/resolve.js';
import type { ResolvedTarget } from '../ssh-target/target.js';
import { shq } from '../ssh-target/quote.js';
import { defaultBoot, parseGrubCfg, parseGrubEnv } from '../deploy/grubcfg.js';
import { chooseAccel } from './accel.js';

export const LAYOUTS = ['ubuntu', 'gsg', 'saved'] as const;
export type Layout = (typeof LAYOUTS)[number];
export const VM_HYPERVISORS = ['acrn', 'xen-standin'] as const;
export type VmHypervisor = (typeof VM_HYPERVISORS)[number];

/** The root file system's UUID (fixed by image.sh). */
export const ROOT_UUID = '5e1ec7ed-acd0-4b1e-9a7e-0000000000b0';
/** Where Debian's Xen lives on the machine that runs QEMU (package xen-hypervisor-4.17-amd64). */
export const XEN_IMAGE = '/boot/xen-4.17-amd64.gz';
/** The stand-in's "running on the hypervisor" probe (Xen's sysfs node; ACRN's is /dev/acrn_hsm). */
export const STANDIN_PROBE = '/sys/hypervisor/type';
/** Multiboot2 command line of the stand-in: Xen's own options, then ` -- ` and the dom0 kernel's. */
export const STANDIN_CMDLINE = `console=com1 com1=115200,8n1 dom0_mem=768M -- root=UUID=${ROOT_UUID} ro console=hvc0 net.ifnames=0 quiet systemd.show_status=false`;
const MEMORY_MIB = 1536;
/**
 * TCG with a 64 MiB translation cache, not QEMU's default 1 GiB. Measured here: with the default,
 * a guest that had run a while (the cache full of the Linux guest's translated code) and was then
 * reset spent many minutes in OVMF's PEI phase copying memory byte by byte over pages that held
 * translated code (about 7 KB/s, every write invalidating translations; nothing on the serial
 * port), so a reboot or power cycle never came back within 15 minutes; with 64 MiB the same
 * deploy's reboot reached GRUB and Xen in about a minute.
 */
const TCG_ACCEL = 'tcg,tb-size=64';
/** Bump when the provisioning below (not image.sh) changes: part of the cache key. */
const PROVISION_VERSION = 'v1';

/** image.sh: beside this file in the sources, in dist/boardvm/ once bundled (scripts/build.mjs copies it). */
function findImageScript(): string {
  for (const c of [path.join(__dirname, 'image.sh'), path.join(__dirname, 'boardvm', 'image.sh'), path.join(__dirname, '..', 'boardvm', 'image.sh')]) {
    if (existsSync(c)) return c;
  }
  throw new Error(`internal: image.sh not found near ${__dirname}`);
}
let scriptText: string | undefined;
function imageScriptText(): string {
  return (scriptText ??= readFileSync(findImageScript(), 'utf8'));
}

export class BoardVmError extends Error {
  constructor(
    readonly code: 'missing-tool' | 'not-running' | 'already-running' | 'build-failed' | 'boot-timeout' | 'bad-option' | 'qemu-failed',
    message: string,
  ) {
    super(message);
    this.name = 'BoardVmError';
  }
}

export interface VmState {
  pid: number;
  sshPort: number;
  serialPort: number;
  layout: Layout;
  hypervisor: VmHypervisor;
  accel: 'kvm' | 'tcg';
  /** Why that accelerator (accel.ts chooseAccel). */
  accelWhy?: string;
  /** QEMU's -cpu (StartOptions.cpu). */
  cpu?: string;
  /** Added devices (StartOptions.devices). */
  devices?: BoardDevice[];
  /** Virtual CPUs (StartOptions.cpus). */
  cpus?: number;
  imageKey: string;
  startedAt: string;
}

export interface BoardVmOptions {
  /** Image cache; default $ACRN_NEST_VM_CACHE, $XDG_CACHE_HOME/acrn-nest/board-vm or ~/.cache/acrn-nest/board-vm. */
  cacheDir?: string;
  log?: (line: string) => void;
}

export interface StartOptions extends BoardVmOptions {
  layout?: Layout;
  hypervisor?: VmHypervisor;
  /** ACRN tree with debian/grub (the gsg layout's files). */
  acrnTree?: string;
  /** SSH wait after resuming; default 120 s (400 s for a cold boot under TCG). */
  timeoutMs?: number;
  /**
   * QEMU's -cpu; default qemu64, the CPU the image was built and saved with. Another one (e.g.
   * `qemu64,vendor=GenuineIntel` for ACRN's board inspector, which refuses a non-Intel vendor) is
   * what the guest sees from its next reboot on: the resumed guest keeps the view its kernel took at
   * the image's first boot. Not part of the image key.
   */
  cpu?: string;
  /**
   * Devices a real board has and the plain virtual board lacks, from BOARD_DEVICES (what ACRN's
   * board inspector reads; it crashes without them). With any, the board boots cold (see cpus).
   * Not part of the image key.
   */
  devices?: BoardDevice[];
  /**
   * Virtual CPUs (`-smp N`); default 1, as the image was saved. ACRN's board inspector needs two
   * (its legacy parser reads /sys/devices/system/cpu/possible as a range "0-N" and crashes on a
   * lone "0"). The saved guest has one: with more, the board boots cold from the image's disk
   * instead of resuming (a minute or two under TCG). Not part of the image key.
   */
  cpus?: number;
}

export const DEFAULT_CPU = 'qemu64';

/**
 * Devices `start` can add, each with its QEMU -device value and what it gives the guest. The PCI
 * ones sit at fixed slots above the plain board's: QEMU creates the `-drive if=virtio` disk after
 * every -device, so an added device without an address would take the disk's slot, and the
 * firmware's boot entry (in the saved vars.fd) would name an empty one (OVMF then tries PXE and
 * ends in its shell).
 */
export const BOARD_DEVICES = {
  'intel-iommu': { device: 'intel-iommu', gives: 'an Intel IOMMU: the DMAR ACPI table (/sys/firmware/acpi/tables/DMAR)' },
  VGA: { device: 'VGA,addr=0x10', gives: 'a display adapter: the DRM class (/sys/class/drm)' },
  'qemu-xhci': { device: 'qemu-xhci,addr=0x11', gives: 'a USB 3 controller: the USB bus (/sys/bus/usb/devices)' },
} as const;
export type BoardDevice = keyof typeof BOARD_DEVICES;
/** What ACRN's board inspector needs of the virtual board (docs/board-vm.md). */
export const INSPECTABLE_BOARD: Pick<StartOptions, 'cpu' | 'cpus' | 'devices'> = { cpu: 'qemu64,vendor=GenuineIntel', cpus: 2, devices: ['intel-iommu', 'VGA', 'qemu-xhci'] };
/** A -cpu value: a model and its `,prop=value` options, nothing QEMU would read as another option. */
const CPU_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*(,[A-Za-z0-9_.-]+(=[A-Za-z0-9_.-]+)?)*$/;

export function defaultCacheDir(): string {
  if (process.env.ACRN_NEST_VM_CACHE) return process.env.ACRN_NEST_VM_CACHE;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'acrn-nest', 'board-vm');
}

/** Host tools the image build and the VM need, with the Debian package of each. */
export const HOST_TOOLS: [string, string][] = [
  ['qemu-system-x86_64', 'qemu-system-x86'],
  ['qemu-img', 'qemu-utils'],
  ['mmdebstrap', 'mmdebstrap'],
  ['mkfs.ext4', 'e2fsprogs'],
  ['mkfs.vfat', 'dosfstools'],
  ['mcopy', 'mtools'],
  ['sfdisk', 'fdisk'],
  ['grub-mkimage', 'grub-common'],
];
export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

function which(prog: string): boolean {
  for (const d of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    if (d && existsSync(path.join(d, prog))) return true;
  }
  return false;
}

export function missingHostTools(hypervisor: VmHypervisor): string[] {
  const miss = HOST_TOOLS.filter(([p]) => !which(p)).map(([p, pkg]) => `${p} (apt install ${pkg})`);
  if (!existsSync(OVMF_CODE)) miss.push(`${OVMF_CODE} (apt install ovmf)`);
  if (hypervisor === 'xen-standin' && !existsSync(XEN_IMAGE)) miss.push(`${XEN_IMAGE} (apt install xen-hypervisor-4.17-amd64)`);
  return miss;
}

/** The cache key: the recipe, the provisioning and the machine QEMU emulates. */
export function imageKey(): string {
  return createHash('sha256').update(imageScriptText()).update(PROVISION_VERSION).update(machineArgs('X', 'X').join(' ')).digest('hex').slice(0, 16);
}

/** QEMU's machine: the same for provisioning and every start (the saved state needs that). */
export function machineArgs(disk: string, vars: string, cpu = DEFAULT_CPU, devices: readonly BoardDevice[] = [], cpus = 1): string[] {
  return [
    '-machine', 'q35', '-cpu', cpu, '-m', String(MEMORY_MIB), '-smp', String(cpus),
    '-display', 'none', '-no-user-config', '-nodefaults',
    // The IOMMU (not a PCI device) before the PCI devices, as QEMU wants it.
    ...(devices.includes('intel-iommu') ? ['-device', BOARD_DEVICES['intel-iommu'].device] : []),
    '-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`,
    '-drive', `if=pflash,format=raw,file=${vars}`,
    '-drive', `file=${disk},if=virtio,format=qcow2,cache=unsafe`,
    '-device', 'virtio-net-pci,netdev=n0',
    // Added PCI devices at their own slots (BOARD_DEVICES): the disk and the NIC keep theirs.
    ...devices.filter((d) => d !== 'intel-iommu').flatMap((d) => ['-device', BOARD_DEVICES[d].device]),
  ];
}

function run(cmd: string, args: string[], opts: { log?: (l: string) => void; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      for (const l of d.toString().split('\n')) if (l.trim()) opts.log?.(l);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited with ${code}: ${(err || out).trim().split('\n').slice(-8).join('\n')}`))));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class BoardVm {
  readonly dir: string;
  readonly cacheRoot: string;
  private readonly log: (line: string) => void;

  constructor(dir: string, opts: BoardVmOptions = {}) {
    this.dir = path.resolve(dir);
    this.cacheRoot = opts.cacheDir ?? defaultCacheDir();
    this.log = opts.log ?? (() => undefined);
  }

  get file(): Record<'disk' | 'vars' | 'qmp' | 'serialLog' | 'pid' | 'state' | 'target' | 'knownHosts' | 'key' | 'standin', string> {
    const j = (f: string): string => path.join(this.dir, f);
    return { disk: j('disk.qcow2'), vars: j('vars.fd'), qmp: j('qmp.sock'), serialLog: j('serial.log'), pid: j('qemu.pid'), state: j('vm.json'), target: j('target.json'), knownHosts: j('known_hosts'), key: j('id_ed25519'), standin: j('standin.bin') };
  }

  /** The cached image folder for the current recipe (built when missing). */
  imageDir(): string {
    return path.join(this.cacheRoot, imageKey());
  }

  state(): VmState | undefined {
    try {
      const s = JSON.parse(readFileSync(this.file.state, 'utf8')) as VmState;
      return pidAlive(s.pid) ? s : undefined;
    } catch {
      return undefined;
    }
  }

  /** Image builds under way in this process, by image folder: two starts at once share one build. */
  private static readonly building = new Map<string, Promise<string>>();

  /** Builds the cached image when it is missing: image.sh, then one boot that runs update-grub, then the saved state. */
  async ensureImage(): Promise<string> {
    const dir = this.imageDir();
    if (existsSync(path.join(dir, 'state.mig')) && existsSync(path.join(dir, 'base.qcow2'))) return dir;
    let build = BoardVm.building.get(dir);
    if (!build) {
      build = this.buildImage(dir).finally(() => BoardVm.building.delete(dir));
      BoardVm.building.set(dir, build);
    }
    return build;
  }

  /**
   * The build itself, in a temp folder of this process renamed into place at the end (another
   * process building at the same time only costs time: the last rename wins, and a VM running from
   * the first keeps its files open).
   */
  private async buildImage(dir: string): Promise<string> {
    const missing = missingHostTools('acrn');
    if (missing.length) throw new BoardVmError('missing-tool', `the virtual board needs: ${missing.join(', ')}`);
    mkdirSync(this.cacheRoot, { recursive: true });
    const tmp = path.join(this.cacheRoot, `.${imageKey()}.${process.pid}.tmp`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const t0 = Date.now();
    try {
      const keys = sshUtils.generateKeyPairSync('ed25519', { comment: 'acrn-nest board-vm' });
      writeFileSync(path.join(tmp, 'id_ed25519'), keys.private, { mode: 0o600 });
      writeFileSync(path.join(tmp, 'id_ed25519.pub'), keys.public + '\n');
      const script = path.join(tmp, 'image.sh');
      writeFileSync(script, imageScriptText(), { mode: 0o755 });
      this.log(`building the virtual board's image in ${dir} (Debian packages; a few minutes, once)`);
      await run('bash', [script, tmp, path.join(tmp, 'id_ed25519.pub')], { log: this.log });
      copyFileSync(OVMF_VARS, path.join(tmp, 'vars.fd'));
      // First boot: the real update-grub inside, then the booted guest is saved.
      const sshPort = await freePort();
      const qemu = await this.spawnQemu({ disk: path.join(tmp, 'base.qcow2'), vars: path.join(tmp, 'vars.fd'), qmp: path.join(tmp, 'qmp.sock'), pid: path.join(tmp, 'qemu.pid'), serialLog: path.join(tmp, 'serial.log'), sshPort, serial: undefined, incoming: undefined });
      try {
        const target = this.rootTarget(sshPort, path.join(tmp, 'id_ed25519'), path.join(tmp, 'known_hosts'), readFileSync(path.join(tmp, 'host_ed25519.pub'), 'utf8'));
        const conn = await waitForSsh(target, 300_000, () => serialTail(path.join(tmp, 'serial.log'), 0));
        try {
          await conn.run(['sh', '-c', 'update-grub 2>&1 && grub-editenv - unset next_entry && sync'], { timeoutMs: 180_000 });
        } finally {
          conn.close();
        }
        this.log('first boot done (update-grub ran); saving the booted guest');
        await saveState(qemu.qmp, path.join(tmp, 'state.mig'));
      } finally {
        await qemu.quit();
      }
      chmodSync(path.join(tmp, 'base.qcow2'), 0o444);
      writeFileSync(path.join(tmp, 'info.json'), JSON.stringify({ key: imageKey(), builtAt: new Date().toISOString(), buildSeconds: Math.round((Date.now() - t0) / 1000) }, null, 2));
      for (const f of ['image.sh', 'qmp.sock', 'qemu.pid']) rmSync(path.join(tmp, f), { force: true });
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
      this.log(`image ready in ${Math.round((Date.now() - t0) / 1000)} s`);
      return dir;
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      if (e instanceof BoardVmError) throw e;
      throw new BoardVmError('build-failed', `building the virtual board's image failed: ${(e as Error).message}`);
    }
  }

  private rootTarget(port: number, key: string, knownHosts: string, hostKeyPub: string): ResolvedTarget {
    writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostKeyPub.trim().split(/\s+/).slice(0, 2).join(' ')}\n`);
    return resolveTarget({ host: '127.0.0.1', port, user: 'root', identityFile: [key], knownHostsFile: knownHosts, sudo: false }, { sshConfigText: '' });
  }

  private async spawnQemu(o: { disk: string; vars: string; qmp: string; pid: string; serialLog: string; sshPort: number; serial: number | undefined; incoming: string | undefined; accel?: 'kvm' | 'tcg'; cpu?: string; devices?: readonly BoardDevice[]; cpus?: number }): Promise<{ qmp: QmpClient; quit: () => Promise<void> }> {
    rmSync(o.qmp, { force: true });
    const serialDev = o.serial !== undefined
      ? `socket,id=ser0,host=127.0.0.1,port=${o.serial},server=on,wait=off,telnet=off,logfile=${o.serialLog},logappend=on`
      : `file,id=ser0,path=${o.serialLog},append=on`;
    const args = [
      '-name', 'acrn-nest-board-vm', '-accel', (o.accel ?? 'tcg') === 'tcg' ? TCG_ACCEL : 'kvm',
      ...machineArgs(o.disk, o.vars, o.cpu, o.devices, o.cpus),
      '-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${o.sshPort}-:22`,
      '-chardev', serialDev, '-serial', 'chardev:ser0',
      '-qmp', `unix:${o.qmp},server=on,wait=off`,
      '-pidfile', o.pid, '-daemonize',
      ...(o.incoming ? ['-incoming', `exec:cat ${shq(o.incoming)}`] : []),
    ];
    await run('qemu-system-x86_64', args).catch((e: Error) => {
      throw new BoardVmError('qemu-failed', `QEMU did not start: ${e.message}`);
    });
    const qmp = await connectQmp(o.qmp);
    const pid = Number(readFileSync(o.pid, 'utf8').trim());
    return {
      qmp,
      quit: async () => {
        await qmp.execute('quit').catch(() => undefined);
        qmp.close();
        await waitPidGone(pid, 10_000);
      },
    };
  }

  /**
   * Starts the VM in DIR from the cached image (built if needed), applies the layout, waits for
   * SSH and writes DIR/target.json; returns its path.
   */
  async start(o: StartOptions = {}): Promise<string> {
    const layout = o.layout ?? 'ubuntu';
    const hypervisor = o.hypervisor ?? 'xen-standin';
    if (!LAYOUTS.includes(layout)) throw new BoardVmError('bad-option', `unknown layout "${layout}" (ubuntu, gsg, saved)`);
    if (!VM_HYPERVISORS.includes(hypervisor)) throw new BoardVmError('bad-option', `unknown hypervisor "${hypervisor}" (acrn, xen-standin)`);
    if (o.cpus !== undefined && !(Number.isInteger(o.cpus) && o.cpus >= 1 && o.cpus <= 8)) throw new BoardVmError('bad-option', `bad CPU count ${o.cpus}: 1 to 8`);
    const bad = (o.devices ?? []).filter((d) => !Object.hasOwn(BOARD_DEVICES, d));
    if (bad.length) throw new BoardVmError('bad-option', `unknown device ${bad.join(', ')} (${Object.keys(BOARD_DEVICES).join(', ')})`);
    if (o.cpu !== undefined && !CPU_RE.test(o.cpu)) throw new BoardVmError('bad-option', `bad CPU "${o.cpu}": a QEMU -cpu model with ,prop=value options (e.g. qemu64,vendor=GenuineIntel)`);
    const running = this.state();
    if (running) throw new BoardVmError('already-running', `a virtual board already runs in ${this.dir} (pid ${running.pid}); stop it first: acrn-nest board-vm stop --dir ${this.dir}`);
    const missing = missingHostTools(hypervisor);
    if (missing.length) throw new BoardVmError('missing-tool', `the virtual board needs: ${missing.join(', ')}`);
    let grubFiles: string | undefined;
    if (layout === 'gsg') {
      grubFiles = o.acrnTree ? path.join(o.acrnTree, 'debian', 'grub') : undefined;
      if (!grubFiles || !existsSync(path.join(grubFiles, '25_linux_acrn'))) {
        throw new BoardVmError('bad-option', `the gsg layout installs ACRN's own GRUB files: give --acrn-tree DIR, an ACRN v3 tree with debian/grub/25_linux_acrn${grubFiles ? ` (not found in ${grubFiles})` : ''}`);
      }
    }
    const img = await this.ensureImage();
    mkdirSync(this.dir, { recursive: true });
    const f = this.file;
    for (const p of [f.disk, f.serialLog]) rmSync(p, { force: true });
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', path.join(img, 'base.qcow2'), f.disk]);
    copyFileSync(path.join(img, 'vars.fd'), f.vars);
    copyFileSync(path.join(img, 'id_ed25519'), f.key);
    chmodSync(f.key, 0o600);
    const hostKey = readFileSync(path.join(img, 'host_ed25519.pub'), 'utf8');
    const sshPort = await freePort();
    const serialPort = await freePort();
    const verdict = await chooseAccel(img).catch((e: Error) => {
      throw new BoardVmError('bad-option', e.message);
    });
    this.log(verdict.why);
    const t0 = Date.now();
    // The saved guest was made under TCG and resumes only there; under KVM the board boots cold
    // from the same disk (update-grub already ran on it), which KVM does in seconds.
    const kvm = verdict.accel === 'kvm';
    // The saved guest has one CPU and no added device: a machine with more CPUs cannot take its
    // state (QEMU quits on the migration stream), so such a board boots cold too (a minute or two
    // under TCG); so does one with added devices, which the saved firmware and kernel never saw.
    const cold = kvm || (o.cpus ?? 1) !== 1 || (o.devices?.length ?? 0) > 0;
    const qemu = await this.spawnQemu({ disk: f.disk, vars: f.vars, qmp: f.qmp, pid: f.pid, serialLog: f.serialLog, sshPort, serial: serialPort, incoming: cold ? undefined : path.join(img, 'state.mig'), accel: verdict.accel, ...(o.cpu ? { cpu: o.cpu } : {}), ...(o.devices?.length ? { devices: o.devices } : {}), ...(o.cpus ? { cpus: o.cpus } : {}) });
    try {
      // The guest was saved paused: once the state is in, let it run.
      if (!cold) {
        await waitIncoming(qemu.qmp);
        await qemu.qmp.execute('cont');
      }
    } catch (e) {
      await qemu.quit();
      throw new BoardVmError('qemu-failed', `resuming the saved guest failed: ${(e as Error).message}`);
    } finally {
      qemu.qmp.close();
    }
    const pid = Number(readFileSync(f.pid, 'utf8').trim());
    const state: VmState = { pid, sshPort, serialPort, layout, hypervisor, accel: verdict.accel, accelWhy: verdict.why, cpu: o.cpu ?? DEFAULT_CPU, devices: [...(o.devices ?? [])], cpus: o.cpus ?? 1, imageKey: imageKey(), startedAt: new Date().toISOString() };
    writeFileSync(f.state, JSON.stringify(state, null, 2) + '\n');
    try {
      const root = this.rootTarget(sshPort, f.key, f.knownHosts, hostKey);
      const conn = await waitForSsh(root, o.timeoutMs ?? (cold && !kvm ? 400_000 : 120_000), () => serialTail(f.serialLog, 0));
      this.log(`${kvm ? 'booted under KVM' : cold ? 'booted cold (other CPUs or devices than the saved guest\'s)' : 'resumed the booted guest'}; SSH answers after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      try {
        // The guest's clock stood still while it was saved.
        await conn.run(['date', '-s', `@${Math.floor(Date.now() / 1000)}`]);
        if (hypervisor === 'xen-standin') {
          const xen = gunzipSync(readFileSync(XEN_IMAGE));
          writeFileSync(f.standin, xen);
          if (layout === 'gsg') await conn.upload(xen, '/boot/acrn.bin', { mode: 0o644 });
        }
        // The login user's sudo needs no password on the virtual board (LAVA and scripts run it
        // unattended); deploys with a sudo password are tested against the simulator.
        await conn.upload(Buffer.from('acrn ALL=(ALL) NOPASSWD:ALL\n'), '/etc/sudoers.d/acrn-nest-board-vm', { mode: 0o440 });
        await applyLayout(conn, layout, hypervisor, grubFiles);
      } finally {
        conn.close();
      }
      this.writeTargetFile(state, hostKey);
      this.log(`virtual board up (${layout} layout, ${hypervisor === 'xen-standin' ? 'Xen stand-in for ACRN' : 'ACRN'}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return f.target;
    } catch (e) {
      await this.stop().catch(() => undefined);
      throw e;
    }
  }

  private writeTargetFile(s: VmState, hostKey: string): void {
    const f = this.file;
    writeFileSync(f.knownHosts, `[127.0.0.1]:${s.sshPort} ${hostKey.trim().split(/\s+/).slice(0, 2).join(' ')}\n`);
    const target: Record<string, unknown> = {
      name: 'board-vm',
      host: '127.0.0.1',
      port: s.sshPort,
      user: 'acrn',
      identityFile: 'id_ed25519',
      knownHostsFile: 'known_hosts',
      sudo: true,
      kernel: '/boot/vmlinuz',
      // The Service VM's initramfs (Debian's kernel has virtio_blk as a module).
      modules: [{ path: '/boot/initrd.img', tag: 'Linux_initrd' }],
      console: { type: 'tcp', host: '127.0.0.1', port: s.serialPort },
    };
    if (s.hypervisor === 'xen-standin') {
      target.cmdline = STANDIN_CMDLINE;
      target.hypervisorProbe = STANDIN_PROBE;
    }
    writeFileSync(f.target, JSON.stringify(target, null, 2) + '\n');
  }

  private async qmp(): Promise<QmpClient> {
    if (!this.state()) throw new BoardVmError('not-running', `no virtual board runs in ${this.dir}: start one with acrn-nest board-vm start --dir ${this.dir}`);
    return connectQmp(this.file.qmp);
  }

  /** A power cycle (QMP system_reset), then waits until SSH answers again. */
  async powerCycle(o: { timeoutMs?: number } = {}): Promise<{ seconds: number; serial: string }> {
    const s = this.state();
    const q = await this.qmp();
    const from = existsSync(this.file.serialLog) ? statSync(this.file.serialLog).size : 0;
    const t0 = Date.now();
    try {
      await q.execute('system_reset');
    } finally {
      q.close();
    }
    const target = this.rootTarget(s!.sshPort, this.file.key, path.join(this.dir, 'known_hosts.root'), readFileSync(path.join(this.imageDir(), 'host_ed25519.pub'), 'utf8'));
    try {
      const conn = await waitForSsh(target, o.timeoutMs ?? 240_000, () => serialTail(this.file.serialLog, from));
      conn.close();
    } catch (e) {
      if (e instanceof BoardVmError && e.code === 'boot-timeout') throw new BoardVmError('boot-timeout', `after the power cycle, ${e.message}`);
      throw e;
    }
    return { seconds: (Date.now() - t0) / 1000, serial: serialTail(this.file.serialLog, from) };
  }

  /** Cuts or restores the network cable (QMP set_link). */
  async setLink(up: boolean): Promise<void> {
    const q = await this.qmp();
    try {
      await q.execute('set_link', { name: 'n0', up });
    } finally {
      q.close();
    }
  }

  async stop(): Promise<boolean> {
    const s = this.state();
    if (!s) {
      rmSync(this.file.state, { force: true });
      return false;
    }
    try {
      const q = await connectQmp(this.file.qmp);
      await q.execute('quit').catch(() => undefined);
      q.close();
    } catch {
      process.kill(s.pid, 'SIGTERM');
    }
    await waitPidGone(s.pid, 10_000);
    if (pidAlive(s.pid)) process.kill(s.pid, 'SIGKILL');
    rmSync(this.file.state, { force: true });
    return true;
  }

  /** What runs: the VM, and (over SSH) which kernel command line and hypervisor the guest booted. */
  async status(): Promise<{ running: boolean; state?: VmState; booted?: { cmdline: string; hypervisor: string; defaultEntry: string } }> {
    const s = this.state();
    if (!s) return { running: false };
    const root = this.rootTarget(s.sshPort, this.file.key, path.join(this.dir, 'known_hosts.root'), readFileSync(path.join(this.imageDir(), 'host_ed25519.pub'), 'utf8'));
    try {
      const conn = await SshConnection.connect(root, { readyTimeoutMs: 5000, agent: false });
      try {
        const r = await conn.run(['sh', '-c', 'cat /proc/cmdline; cat /sys/hypervisor/type 2>/dev/null || { test -e /dev/acrn_hsm && echo acrn; } || echo none']);
        const [cmdline = '', hv = ''] = r.stdout.split('\n');
        const [cfg, env] = await Promise.all([conn.run(['cat', '/boot/grub/grub.cfg']), conn.run(['grub-editenv', '-', 'list'])]);
        const d = defaultBoot(parseGrubCfg(cfg.stdout), parseGrubEnv(env.stdout));
        const what = `${d.entry ? `"${d.entry.title}"${d.entry.image ? ` (${d.entry.image})` : ''}` : 'no entry'}${d.fellBack ? ` (GRUB_DEFAULT ${JSON.stringify(d.expr)} names no entry: GRUB falls back to the first)` : ''}${d.nextEntry ? `; the next boot only: "${d.nextEntry}"` : ''}`;
        return { running: true, state: s, booted: { cmdline, hypervisor: hv === 'xen' ? 'xen (stand-in for ACRN)' : hv, defaultEntry: what } };
      } finally {
        conn.close();
      }
    } catch {
      return { running: true, state: s };
    }
  }
}

/** The layout's GRUB configuration, then the real update-grub. Runs as root on the VM. */
async function applyLayout(conn: SshConnection, layout: Layout, hypervisor: VmHypervisor, grubFiles: string | undefined): Promise<void> {
  // update-grub under TCG takes seconds on a quiet machine, minutes on a loaded one.
  const sh = async (script: string): Promise<void> => {
    await conn.run(['sh', '-c', script], { timeoutMs: 900_000 });
  };
  // Kernel and systemd messages on an emulated UART cost boot time under TCG: the board's Linux
  // entries boot quietly (the login prompt still shows on the serial port).
  await conn.upload(Buffer.from('# acrn-nest board-vm: quiet boots (an emulated serial port is slow)\nGRUB_CMDLINE_LINUX_DEFAULT="quiet systemd.show_status=false"\n'), '/etc/default/grub.d/zz-board-vm.cfg', { mode: 0o644 });
  if (layout === 'saved') await sh(`sed -i 's/^GRUB_DEFAULT=.*/GRUB_DEFAULT=saved/' /etc/default/grub`);
  if (layout === 'gsg' && grubFiles) {
    await conn.upload(readFileSync(path.join(grubFiles, '25_linux_acrn')), '/etc/grub.d/25_linux_acrn', { mode: 0o755 });
    if (existsSync(path.join(grubFiles, '20_acrn-board-inspector'))) await conn.upload(readFileSync(path.join(grubFiles, '20_acrn-board-inspector')), '/etc/grub.d/20_acrn-board-inspector', { mode: 0o755 });
    await sh('mkdir -p /etc/default/grub.d /usr/share/acrn');
    await conn.upload(readFileSync(path.join(grubFiles, 'acrn.cfg')), '/etc/default/grub.d/acrn.cfg', { mode: 0o644 });
    // What the acrn-hypervisor package installs beside them: the scenario its entries read.
    await conn.upload(Buffer.from(GSG_SCENARIO), '/usr/share/acrn/scenario.xml', { mode: 0o644 });
    if (hypervisor === 'xen-standin') {
      await conn.upload(Buffer.from(`# acrn-nest board-vm: the Xen stand-in's own options, then dom0's (Xen passes what follows " -- ").\nexport GRUB_CMDLINE_ACRN="console=com1 com1=115200,8n1 dom0_mem=768M -- console=hvc0 quiet systemd.show_status=false"\n`), '/etc/default/grub.d/zz-acrn-nest-standin.cfg', { mode: 0o644 });
      await sh(`grep -q '^CONFIG_ACRN_HSM=' /boot/config-$(uname -r) || printf '# acrn-nest board-vm stand-in: lets 25_linux_acrn list this kernel (Debian has no HSM driver)\\nCONFIG_ACRN_HSM=m\\n' >> /boot/config-$(uname -r)`);
    }
  }
  await sh('update-grub >/dev/null 2>&1 || update-grub');
}

/** A minimal scenario for grub-acrn's 25_linux_acrn: a Service VM whose kernel is tagged Linux_bzImage. */
const GSG_SCENARIO = `<?xml version="1.0" encoding="utf-8"?>
<acrn-config>
  <vm id="0">
    <load_order>SERVICE_VM</load_order>
    <name>ACRN_Service_VM</name>
    <os_config>
      <kern_mod>Linux_bzImage</kern_mod>
    </os_config>
  </vm>
</acrn-config>
`;

async function connectQmp(sock: string, timeoutMs = 10_000): Promise<QmpClient> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const s = await new Promise<net.Socket>((resolve, reject) => {
        const c = net.createConnection(sock);
        c.once('connect', () => resolve(c));
        c.once('error', reject);
      });
      const q = new QmpClient(s);
      await q.handshake();
      return q;
    } catch (e) {
      if (Date.now() > deadline) throw new BoardVmError('qemu-failed', `QEMU's QMP socket ${sock} does not answer: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function waitPidGone(pid: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/** Saves the running guest (RAM and devices) to a file: QEMU's migration to exec:cat. */
async function saveState(q: QmpClient, file: string): Promise<void> {
  await q.execute('stop');
  await q.execute('migrate', { uri: `exec:cat > ${shq(file)}` });
  for (;;) {
    const r = (await q.execute('query-migrate')) as { status?: string; 'error-desc'?: string };
    if (r.status === 'completed') return;
    if (r.status === 'failed' || r.status === 'cancelled') throw new Error(`saving the guest failed: ${r['error-desc'] ?? r.status}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** Waits until an incoming migration (the saved guest) is loaded. */
async function waitIncoming(q: QmpClient): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const m = (await q.execute('query-migrate')) as { status?: string; 'error-desc'?: string };
    if (m.status === 'completed') return;
    if (m.status === 'failed') throw new Error(m['error-desc'] ?? 'the incoming migration failed');
    const st = (await q.execute('query-status')) as { status?: string };
    if (st.status === 'paused' || st.status === 'running') {
      if (m.status === undefined || m.status === 'none') return;
    }
    if (Date.now() > deadline) throw new Error(`the saved state did not load within 120 s (migration ${m.status ?? '?'}, VM ${st.status ?? '?'})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The last lines the serial port printed since byte `from` of the log (ANSI colours removed). */
export function serialTail(file: string, from: number, lines = 15): string {
  try {
    const size = statSync(file).size;
    const start = Math.max(from, size - 64 * 1024);
    const fd = openSync(file, 'r');
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    closeSync(fd);
    // eslint-disable-next-line no-control-regex
    const text = buf.toString('latin1').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
    return text.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim()).slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Polls SSH (backoff 0.2 s .. 2 s) until a login succeeds; on timeout, a boot-timeout error that
 * quotes what the serial port showed.
 */
export async function waitForSsh(target: ResolvedTarget, timeoutMs: number, serial: () => string): Promise<SshConnection> {
  const t0 = Date.now();
  let delay = 200;
  let last = '';
  for (;;) {
    const left = timeoutMs - (Date.now() - t0);
    if (left <= 0) {
      const tail = serial();
      throw new BoardVmError('boot-timeout', `SSH did not answer within ${Math.round(timeoutMs / 1000)} s (last error: ${last}).${tail ? ` The serial port showed:\n${tail}` : ' The serial port showed nothing.'}`);
    }
    try {
      return await SshConnection.connect(target, { readyTimeoutMs: Math.max(1000, Math.min(8000, left)), agent: false });
    } catch (e) {
      last = (e as Error).message;
      await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, left))));
      delay = Math.min(2000, Math.round(delay * 1.5));
    }
  }
}

/** Runs a program and returns its stdout (for callers outside this module, e.g. the bench). */
export function execText(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile(cmd, args, (e, out) => (e ? reject(e) : resolve(out))));
}

/**
 * The `acrnNest.targets` entry for a virtual board: its target.json with the local paths made
 * absolute (settings have no file to be relative to).
 */
export function targetSettingFor(targetFile: string, name = 'board-vm'): Record<string, unknown> {
  const t = JSON.parse(readFileSync(targetFile, 'utf8')) as Record<string, unknown>;
  const dir = path.dirname(path.resolve(targetFile));
  const abs = (v: unknown): unknown => (typeof v === 'string' ? path.resolve(dir, v) : Array.isArray(v) ? v.map(abs) : v);
  return { ...t, name, identityFile: abs(t.identityFile), knownHostsFile: abs(t.knownHostsFile) };
}
