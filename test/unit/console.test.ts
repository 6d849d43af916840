/** Consoles and L2 without network: ring history, session events, rendering, ACRN shell facts, QEMU argv, config and doctor parsing. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { ACRN_PROMPT, hypervisorBanner, parseVmList, vmConsoleEscape } from '../../hv-core/console/acrnShell';
import { parseConsoleConfig } from '../../hv-core/console/config';
import type { RemoteHost, RemoteProcess } from '../../hv-core/console/remote';
import { AcrnLogSource } from '../../hv-core/console/remoteSources';
import { CrlfNormalizer, statusLine } from '../../hv-core/console/render';
import { RingBuffer } from '../../hv-core/console/ring';
import { ConsoleSession } from '../../hv-core/console/session';
import type { ConsoleLink, ConsoleSource } from '../../hv-core/console/source';
import { ConsoleError, duplexLink } from '../../hv-core/console/source';
import { parseNestTarget } from '../../hv-core/console/targetFile';
import { parseProbe, serviceVmChecks } from '../../hv-core/doctor';
import { L2SpecError, buildQemuArgs, macFor, qemuOptValue } from '../../hv-core/l2/qemu';

describe('RingBuffer', () => {
  it('keeps the last capacity bytes in order across wrap-around and oversized chunks', () => {
    const r = new RingBuffer(8);
    r.push(Buffer.from('abc'));
    r.push(Buffer.from('defgh'));
    assert.equal(r.contents().toString(), 'abcdefgh');
    r.push(Buffer.from('ij'));
    assert.equal(r.contents().toString(), 'cdefghij');
    r.push(Buffer.from('0123456789xyz'));
    assert.equal(r.contents().toString(), '56789xyz');
    assert.equal(r.size, 8);
    assert.equal(r.total, 23);
    r.clear();
    assert.equal(r.contents().length, 0);
    assert.throws(() => new RingBuffer(0), /positive integer/);
  });
});

/** An in-memory console: each connect() gives a fresh pair of streams the test drives. */
class MemSource implements ConsoleSource {
  readonly kind = 'tcp' as const;
  readonly label = 'mem console';
  links: PassThrough[] = [];
  failNext: string[] = [];
  constructor(readonly readOnly = false) {}
  async connect(): Promise<ConsoleLink> {
    const f = this.failNext.shift();
    if (f) throw new ConsoleError(f);
    const s = new PassThrough();
    this.links.push(s);
    return duplexLink(s, this.readOnly);
  }
}

describe('ConsoleSession', () => {
  it('reconnects after a drop with a timed reconnected event, stamps lines when asked, keeps history', async () => {
    const src = new MemSource();
    const clock = new Date(2026, 0, 2, 3, 4, 5, 6);
    const s = new ConsoleSession(src, { backoff: { initialMs: 1, maxMs: 2 }, now: () => clock, timestamps: true });
    const events: string[] = [];
    const data: string[] = [];
    s.on('status', (e) => events.push(e.type));
    s.on('data', (d) => data.push(d.toString()));
    await s.start();
    const reconnected = new Promise<void>((r) => s.on('status', (e) => e.type === 'reconnected' && r()));
    src.failNext.push('board is rebooting');
    src.links[0]!.write('line one\nline ');
    await new Promise((r) => setImmediate(r));
    src.links[0]!.end();
    await reconnected;
    src.links[1]!.write('two\n');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(events, ['connecting', 'connected', 'disconnected', 'connecting', 'error', 'retry', 'connecting', 'reconnected']);
    assert.equal(data.join(''), '[03:04:05.006] line one\n[03:04:05.006] line two\n');
    assert.equal(s.history.contents().toString(), 'line one\nline two\n');
    await s.close();
    assert.equal(s.state, 'closed');
  });

  it('refuses input to a read-only log and while disconnected; a first failure rejects start()', async () => {
    const ro = new ConsoleSession(new MemSource(true));
    await ro.start();
    assert.throws(() => ro.send('help\r'), /read-only log, not a shell/);
    await ro.close();
    const src = new MemSource();
    src.failNext.push('tcp console x:1: cannot connect: connection refused');
    const s = new ConsoleSession(src);
    await assert.rejects(s.start(), /connection refused/);
    assert.throws(() => s.send('x'), /not connected/);
  });

  it('logs output and events to a file, and stops when asked', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-log-'));
    const file = path.join(dir, 'console.log');
    const src = new MemSource();
    const s = new ConsoleSession(src);
    await s.setLogFile(file);
    assert.equal(s.logFile, file);
    await s.start();
    const got = new Promise((r) => s.once('data', r));
    src.links[0]!.write('ACRN:\\>vm_list\r\n');
    await got;
    await s.setLogFile(undefined);
    src.links[0]!.write('not logged\r\n');
    await s.close();
    const text = readFileSync(file, 'utf8');
    assert.match(text, /connected: connected to mem console/);
    assert.match(text, /ACRN:\\>vm_list/);
    assert.doesNotMatch(text, /not logged/);
    await assert.rejects(s.setLogFile(path.join(dir, 'no', 'such', 'dir.log')), /cannot log to .*ENOENT/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders events as dimmed lines with the time; CRLF normalisation across chunks', () => {
    const l = statusLine({ type: 'reconnected', time: new Date(2026, 0, 1, 12, 0, 1, 2), message: 'reconnected to tcp a:1' })!;
    assert.equal(l, '\r\n\x1b[2m[acrn-nest 12:00:01.002] reconnected to tcp a:1\x1b[0m\r\n');
    const n = new CrlfNormalizer();
    assert.equal(Buffer.concat([n.push(Buffer.from('a\nb\r')), n.push(Buffer.from('\nc\n'))]).toString(), 'a\r\nb\r\nc\r\n');
  });
});

describe('the hypervisor log over SSH on a host without sh', () => {
  it('is a permanent error that says what to set (no endless retries of "sh: command not found")', { timeout: 10_000 }, async () => {
    // A host whose sshd has no sh, as the demo's board simulator answers an unknown script.
    const spawned: string[] = [];
    const host = {
      label: 'sim-board',
      exec: () => Promise.reject(new Error('not used')),
      spawn: (script: string): Promise<RemoteProcess> => {
        spawned.push(script);
        const p = Object.assign(new PassThrough(), { stderr: new PassThrough() });
        setImmediate(() => {
          p.stderr.write('acrn-nest board simulator: sh: command not found (the simulator implements: sudo cat)\n');
          setImmediate(() => p.emit('close'));
        });
        return Promise.resolve(p);
      },
    } as unknown as RemoteHost;
    const session = new ConsoleSession(new AcrnLogSource(() => Promise.resolve(host), { hostLabel: 'sim-board' }), { retryFirstConnect: true, backoff: { initialMs: 1, maxMs: 2 } });
    const err = await session.start().then(() => undefined, (e: unknown) => e as ConsoleError);
    assert.ok(err instanceof ConsoleError && err.permanent, String(err));
    assert.match(err.message, /hypervisor log on sim-board: the host has no POSIX shell to run this console's script \(acrn-nest board simulator: sh: command not found .*\); give the target a console of its own \(its "console" setting: serial, ssh-serial or tcp\)/);
    assert.equal(spawned.length, 1, 'tried once, not again and again');
  });
});

describe('ACRN shell facts', () => {
  it('parses vm_list of v2 (with UUID) and v3, names with spaces', () => {
    const v2 = 'ACRN:\\>vm_list\r\nVM_UUID                          VM_ID VM_NAME                          VM_STATE\r\n================================ ===== ================================ ========\r\ndbbbd4347a574216a12c2201f1ab0240   0   ACRN SOS VM                      Running \r\nACRN:\\>';
    assert.deepEqual(parseVmList(v2), [{ id: 0, name: 'ACRN SOS VM', state: 'Running', uuid: 'dbbbd4347a574216a12c2201f1ab0240' }]);
    const v3 = '\r\nVM_ID VM_NAME                          VM_STATE\r\n===== ================================ ========\r\n  0   ACRN_Service_VM                  Running \r\n  1   POST_STD_VM1                     Created \r\n';
    assert.deepEqual(parseVmList(v3).map((v) => [v.id, v.name, v.state]), [[0, 'ACRN_Service_VM', 'Running'], [1, 'POST_STD_VM1', 'Created']]);
  });

  it('the vm_console escape depends on the version (v3.3 added BREAK + e) and the banner says so', () => {
    assert.deepEqual([...vmConsoleEscape('2.7')], [0]);
    assert.deepEqual([...vmConsoleEscape('v3.2')], [0]);
    assert.deepEqual([...vmConsoleEscape('3.3')], [0, 0x65]);
    const b = hypervisorBanner('nuc', 'serial /dev/ttyUSB0 115200 8N1', false).join('\n');
    assert.ok(b.includes(ACRN_PROMPT) && /vm_console/.test(b) && /Ctrl\+Space/.test(b));
    assert.match(hypervisorBanner('nuc', 'acrnlog', true).join('\n'), /LOG .*not the hypervisor shell: input is not sent/s);
  });
});

describe('QEMU command line (the recipe)', () => {
  const paths = { dir: '/r/g', pidfile: '/r/g/pid', serial: '/r/g,x/serial.sock', qmp: '/r/g/qmp.sock', log: '/r/g/qemu.log', spec: '/r/g/spec.json' };
  it('KVM by default: -enable-kvm -cpu host, virtio disk, tap + virtio-net, no graphics, sockets, detached', () => {
    const a = buildQemuArgs({ name: 'ubuntu', disk: '/root/ubuntu-20.04.qcow2' }, paths);
    const s = a.join(' ');
    assert.equal(a[0], 'qemu-system-x86_64');
    assert.match(s, /-enable-kvm -cpu host -m 2G -smp 2/);
    assert.match(s, /-drive format=qcow2,file=\/root\/ubuntu-20\.04\.qcow2,if=virtio/);
    assert.match(s, new RegExp(`-netdev tap,id=net0 -device virtio-net-pci,netdev=net0,mac=${macFor('ubuntu')}`));
    assert.match(s, /-display none -serial unix:\/r\/g,,x\/serial\.sock,server=on,wait=off -monitor none -qmp unix:\/r\/g\/qmp\.sock,server=on,wait=off -pidfile \/r\/g\/pid/);
    assert.ok(a.includes('-daemonize') && !a.includes('-accel'));
  });
  it('TCG only when asked: -accel tcg and no -cpu host; kernel boot; bad specs are refused with the field', () => {
    const a = buildQemuArgs({ name: 't', kernel: '/boot/vmlinuz', append: 'console=ttyS0', accel: 'tcg', net: { type: 'none' }, memory: '256M', smp: 1 }, paths);
    assert.ok(a.includes('tcg') && !a.includes('-enable-kvm') && !a.includes('host'));
    assert.deepEqual(a.slice(a.indexOf('-kernel'), a.indexOf('-kernel') + 4), ['-kernel', '/boot/vmlinuz', '-append', 'console=ttyS0']);
    assert.throws(() => buildQemuArgs({ name: 'a b', disk: '/x' }, paths), (e: Error) => e instanceof L2SpecError && e.field === 'name');
    assert.throws(() => buildQemuArgs({ name: 'a' }, paths), /give a disk image/);
    assert.throws(() => buildQemuArgs({ name: 'a', disk: '/x', memory: 'lots' }, paths), /memory: "lots" is not a size/);
    assert.throws(() => qemuOptValue('a\nb'), /line breaks/);
  });
});

describe('console settings and the target file', () => {
  it('validates each console type, naming the field', () => {
    assert.deepEqual(parseConsoleConfig({ type: 'serial', path: '/dev/ttyUSB0' }), { type: 'serial', path: '/dev/ttyUSB0' });
    assert.deepEqual(parseConsoleConfig({ type: 'tcp', host: 'ts', port: 7001 }), { type: 'tcp', host: 'ts', port: 7001 });
    assert.throws(() => parseConsoleConfig({ type: 'telnet' }, 'nuc.json'), /nuc\.json: field "console\.type": must be one of serial, ssh-serial, tcp, acrnlog/);
    assert.throws(() => parseConsoleConfig({ type: 'serial', path: '/dev/x', baud: 'fast' }, 'f'), /field "console\.baud": must be an integer/);
    assert.throws(() => parseConsoleConfig({ type: 'ssh-serial', path: 'ttyUSB0' }, 'f'), /console\.path": must be an absolute device path/);
    assert.throws(() => parseConsoleConfig({ type: 'acrnlog', port: 1 }, 'f'), /console\.port": not a field of a acrnlog console/);
  });
  it('a target file with console and l2 fields is accepted by hv-core/ssh-target too', () => {
    const t = parseNestTarget({ host: 'nuc', user: 'root', console: { type: 'acrnlog' }, l2: { accel: 'tcg', runDir: '~/vms' } }, 'nuc.json');
    assert.equal(t.target.host, 'nuc');
    assert.deepEqual(t.console, { type: 'acrnlog' });
    assert.deepEqual(t.l2, { accel: 'tcg', runDir: '~/vms' });
    assert.throws(() => parseNestTarget({ host: 'nuc', l2: { accel: 'fast' } }, 'nuc.json'), /field "l2\.accel": must be "kvm" or "tcg"/);
  });
});

describe('doctor checks from a probe', () => {
  it('a Service VM ready for nested virtualization passes; a plain host fails with fixes citing the recipe', () => {
    const good = parseProbe('vmx=4\ncpus=4\nkvm=yes\nkvmaccess=yes\nhsm=acrn_hsm\nkernel=5.10.115-acrn-service-vm\nuser=root\nqemu=/usr/bin/qemu-system-x86_64\nconfigfile=/boot/config-5.10\nconfig:CONFIG_KVM=y\nconfig:CONFIG_KVM_INTEL=y\nconfig:CONFIG_ACRN_GUEST=y\n');
    assert.deepEqual(serviceVmChecks(good).filter((c) => c.status !== 'ok'), []);
    const bad = serviceVmChecks(parseProbe('vmx=0\nkvm=no\nhsm=no\nkernel=6.1\nuser=me\nqemu=\nconfigfile=/proc/config.gz\nconfig:CONFIG_KVM=m\nconfig:CONFIG_KVM_INTEL=n\n'));
    const by = (id: string) => bad.find((c) => c.id === id)!;
    assert.equal(by('acrn').status, 'fail');
    assert.equal(by('vmx').status, 'fail');
    assert.match(by('vmx').recipe!, /Service OS VM configuration/);
    assert.equal(by('CONFIG_KVM').status, 'warn');
    assert.equal(by('CONFIG_KVM_INTEL').status, 'fail');
    assert.match(by('CONFIG_ACRN_GUEST').detail, /not set/);
    assert.match(by('CONFIG_ACRN_GUEST').recipe!, /Prepare for Service VM Kernel/);
    assert.equal(by('kvm').status, 'fail');
    assert.match(by('qemu').fix!, /apt-get install qemu-system-x86/);
  });

  it("deploy's lock: flock and a writable /run/lock, or a warning saying which is missing", () => {
    const base = 'vmx=1\nkvm=yes\nkvmaccess=yes\nhsm=acrn_hsm\nkernel=5.10\nuser=root\nqemu=/usr/bin/qemu-system-x86_64\n';
    const lock = (line: string) => serviceVmChecks(parseProbe(base + line)).find((c) => c.id === 'deploy-lock');
    assert.equal(lock('deploylock=yes\n')!.status, 'ok');
    const noFlock = lock('deploylock=no:noflock:runlock\n')!;
    assert.equal(noFlock.status, 'warn');
    assert.match(noFlock.detail, /^flock is not installed: two deploys/);
    assert.match(noFlock.fix!, /util-linux/);
    const noDir = lock('deploylock=no:flock:norunlock\n')!;
    assert.match(noDir.detail, /^\/run\/lock is missing or not writable/);
    assert.match(noDir.fix!, /Create \/run\/lock/);
    assert.equal(lock(''), undefined, 'an older probe output: no check');
  });
});
