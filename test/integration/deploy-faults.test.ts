/**
 * Deploy faults and the reboot path, through THE BOARD SIMULATOR (test/support/sim): the connection cut
 * before, during and after the upload, during update-grub and during the reboot wait, and a bad
 * image that falls back. Whatever happens the board keeps a bootable previous image and entry,
 * never has a partial image under the real name, and the error names the step and the host. Also
 * the full happy path: reboot, new boot id, /dev/acrn_hsm, grub-set-default, and the hypervisor
 * console answering vm_list from the deployed scenario.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { generateEd25519 } from '../../hv-core/ssh-target/keys';
import type { FaultTrigger } from '../support/sim/board-simulator';
import { BAD_IMAGE_MARKER, BoardSimulator } from '../support/sim/board-simulator';
import type { DeployOptions } from '../../hv-core/deploy';
import { deploy, DeployError, DEPLOY_LOCK, scenarioInfo } from '../../hv-core/deploy';
import { loadFile } from '../../hv-core/files';
import { errorCode, ErrorCodes } from '../../hv-core/errors';
import { ConnectError, SshConnection, parseTarget, resolveTarget } from '../../hv-core/ssh-target';
import type { ResolvedTarget } from '../../hv-core/ssh-target';
import { acrnTree, hasAcrnData } from '../unit/helpers';
import { removeDir } from './sshd';
import { writeMultiboot2Header } from '../../hv-core/deploy/grub';

let work: string;
let sim: BoardSimulator;
let target: ResolvedTarget;
let n = 0;

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function image(size: number, bad = false): Buffer {
  const b = randomBytes(size);
  writeMultiboot2Header(b);
  if (bad) b.write(BAD_IMAGE_MARKER, 1000);
  return b;
}

function local(data: Buffer): string {
  const f = path.join(work, `img-${n++}.bin`);
  writeFileSync(f, data);
  return f;
}

async function startBoard(opts: { sudoPassword?: string; user?: string } = {}): Promise<void> {
  const dir = mkdtempSync(path.join(work, 'board-'));
  const keys = generateEd25519();
  writeFileSync(path.join(dir, 'id_ed25519'), keys.private, { mode: 0o600 });
  sim = await BoardSimulator.start({ dir, authorizedKeys: [keys.public], rebootDelayMs: 300, ...opts });
  writeFileSync(path.join(dir, 'known_hosts'), `[127.0.0.1]:${sim.port} ${sim.hostKeyPub}\n`);
  target = resolveTarget(parseTarget({ name: 'sim', host: '127.0.0.1', port: sim.port, user: sim.user, identityFile: path.join(dir, 'id_ed25519'), knownHostsFile: path.join(dir, 'known_hosts') }, path.join(dir, 'target.json')), { sshConfigText: '', homeDir: dir });
}

function opts(img: Buffer, extra: Partial<DeployOptions> = {}): DeployOptions {
  return { target, image: local(img), connect: { agent: false }, rebootTimeoutMs: 20_000, commandTimeoutMs: 10_000, ...extra };
}

/** What must hold after ANY deploy, failed or not. */
function assertBootable(expectImage: Buffer | undefined): void {
  const boot = sim.boardPath('/boot/acrn');
  const names = existsSync(boot) ? readdirSync(boot) : [];
  assert.deepEqual(names.filter((x) => x.includes('.tmp')), [], 'no temp file left in /boot/acrn');
  if (expectImage) assert.equal(sha(sim.readFile('/boot/acrn/acrn.bin')), sha(expectImage), 'the real name holds a whole, known image');
  const saved = sim.grubEnv().saved_entry;
  const entry = sim.menu().find((e) => e.id === (saved || 'ubuntu'));
  assert.ok(entry, `the saved default "${saved}" exists in grub.cfg`);
  if (entry.image) assert.ok(sim.imageIsGood(entry.image), `the default entry boots a good image (${entry.image})`);
}

describe('deploy through the board simulator', () => {
  before(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-faults-'));
  });
  beforeEach(async () => {
    await sim?.stop();
    await startBoard();
  });
  after(async () => {
    await sim?.stop();
    removeDir(work);
  });

  test('happy path: reboot, new boot id, /dev/acrn_hsm, default set; the console answers from the scenario', async () => {
    const scenario = hasAcrnData() ? path.join(acrnTree('v3.3'), 'misc/config_tools/data/nuc11tnbi5/shared_launch_6user_vm.xml') : undefined;
    const img = image(416 * 1024);
    const before = sim.bootId;
    const steps: string[] = [];
    const r = await deploy(opts(img, { ...(scenario ? { scenario } : {}), onEvent: (e) => e.status !== 'progress' && steps.push(`${e.index}:${e.status}`) }));
    assert.deepEqual(steps.filter((s) => s.endsWith('done')), ['1:done', '2:done', '3:done', '4:done', '5:done']);
    assert.equal(r.rebooted, true);
    assert.equal(r.bootIdBefore, before);
    assert.notEqual(r.bootIdAfter, before);
    assert.equal(r.bootIdAfter, sim.bootId);
    assert.equal(sim.acrnRunning, true);
    assert.equal(sim.bootedEntry, 'acrn-nest');
    assert.ok(sim.exists('/dev/acrn_hsm'));
    assert.equal(sim.grubEnv().saved_entry, 'acrn-nest');
    assert.equal(sim.grubEnv().next_entry, undefined, 'one-shot consumed');
    assertBootable(img);
    assert.deepEqual(readdirSync(sim.boardPath('/tmp')).filter((x) => x.startsWith('acrn-nest.')), [], 'staging folder removed');
    // The sudo path: the login user is acrn; privileged commands went through sudo -n.
    assert.ok(sim.commandLog.some((l) => l.startsWith("sudo -n -- update-grub")), sim.commandLog.join('\n'));
    // Hypervisor console (raw TCP, like ser2net): vm_list from the deployed scenario.
    const out = await consoleExchange(sim.consolePort, 'vm_list');
    assert.match(out, /ACRN:\\>/);
    if (scenario) {
      const info = scenarioInfo(loadFile(scenario).text);
      const running = info.vms.filter((v) => v.kind !== 'post');
      assert.ok(running.length > 0);
      for (const v of running) assert.match(out, new RegExp(`\\s${v.id}\\s+${v.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+Running`), out);
      for (const v of info.vms.filter((x) => x.kind === 'post')) assert.ok(!out.includes(` ${v.name} `), `post-launched ${v.name} is not running`);
    }
  });

  test('bad image: the board falls back to the previous image, the default is unchanged, the error names step 5', async () => {
    const good = image(200 * 1024);
    await deploy(opts(good));
    assert.equal(sim.grubEnv().saved_entry, 'acrn-nest');
    const bad = image(200 * 1024, true);
    await assert.rejects(deploy(opts(bad)), (e: unknown) => e instanceof DeployError && e.step === 'verify' && e.message.includes(`127.0.0.1:${sim.port}`) && /acrn-nest-prev/.test(e.message));
    assert.equal(sim.bootedEntry, 'acrn-nest-prev', 'GRUB fell back to the kept previous image');
    assert.equal(sim.acrnRunning, true);
    assert.equal(sim.grubEnv().saved_entry, 'acrn-nest-prev');
    assert.equal(sha(sim.readFile('/boot/acrn/acrn.bin.prev')), sha(good));
    assertBootable(undefined);
    // The next deploy (fixed image) must not overwrite the good .prev with the bad current image.
    const fixed = image(100 * 1024);
    await deploy(opts(fixed));
    assert.equal(sim.bootedEntry, 'acrn-nest');
    assert.equal(sim.grubEnv().saved_entry, 'acrn-nest');
    assert.equal(sha(sim.readFile('/boot/acrn/acrn.bin.prev')), sha(good));
  });

  const cuts: { name: string; trigger: FaultTrigger; step: string }[] = [
    { name: 'before the upload', trigger: { kind: 'upload-open', pathIncludes: 'acrn.bin.acrn-nest.tmp' }, step: 'upload' },
    { name: 'during the upload', trigger: { kind: 'upload-bytes', bytes: 100 * 1024, pathIncludes: 'acrn.bin' }, step: 'upload' },
    { name: 'after the upload', trigger: { kind: 'after-upload' }, step: 'upload' },
    { name: 'during update-grub', trigger: { kind: 'command', name: 'update-grub' }, step: 'grub' },
  ];
  for (const c of cuts) {
    test(`connection cut ${c.name}: error names step "${c.step}" and the host; previous image and entry intact`, async () => {
      const good = image(300 * 1024);
      await deploy(opts(good));
      const bootsBefore = sim.bootCount;
      sim.cutOnce(c.trigger);
      await assert.rejects(deploy(opts(image(300 * 1024))), (e: unknown) => {
        assert.ok(e instanceof DeployError, String(e));
        assert.equal(e.step, c.step, e.message);
        assert.ok(e.message.includes(`127.0.0.1:${sim.port}`), e.message);
        return true;
      });
      assert.equal(sim.bootCount, bootsBefore, 'no reboot happened');
      assertBootable(good);
      assert.equal(sim.grubEnv().next_entry, undefined, 'no one-shot boot armed');
    });
  }

  test('connection cut during the reboot wait: the deploy reconnects and completes', async () => {
    const img = image(100 * 1024);
    sim.cutOnce({ kind: 'boot' });
    const r = await deploy(opts(img));
    assert.equal(r.defaultSet, true);
    assert.equal(sim.bootedEntry, 'acrn-nest');
    assertBootable(img);
  });

  test('the board does not come back in time: the error names step 4; GRUB still boots the old default next time', async () => {
    const good = image(100 * 1024);
    await deploy(opts(good));
    await sim.stop();
    // A board that reboots into a black hole: its port closes and stays closed.
    await startBoard();
    const old = image(100 * 1024);
    await deploy(opts(old));
    const port = sim.port;
    sim.opts.rebootDelayMs = 60_000;
    await assert.rejects(deploy(opts(image(100 * 1024), { rebootTimeoutMs: 2000 })), (e: unknown) => e instanceof DeployError && e.step === 'reboot' && /did not come back within 2 s/.test(e.message) && e.message.includes(`${port}`));
    assert.equal(sim.grubEnv().saved_entry, 'acrn-nest-prev', 'the default points at the kept image while the new one is untested');
  });

  test('cancel (AbortSignal) during the upload: step 2 fails as cancelled, temp files removed, nothing changed', async () => {
    const good = image(100 * 1024);
    await deploy(opts(good));
    const ac = new AbortController();
    await assert.rejects(
      deploy(opts(image(2 * 1024 * 1024), { signal: ac.signal, onEvent: (e) => e.step === 'upload' && e.status === 'progress' && ac.abort() })),
      (e: unknown) => e instanceof DeployError && e.step === 'upload' && /cancelled/.test(e.message),
    );
    assertBootable(good);
    assert.deepEqual(readdirSync(sim.boardPath('/tmp')).filter((x) => x.startsWith('acrn-nest.')), [], 'staging folder removed');
  });

  test('one deploy at a time: a second deploy stops at step 1 and leaves the first one\'s upload alone; the lock goes with each deploy', async () => {
    const first = image(300 * 1024);
    const tmp = `${target.bootDir}/.${target.imageName}.acrn-nest.tmp`;
    // The first deploy is caught holding the lock, with its upload in place, before update-grub.
    const hold = sim.holdOnce('update-grub');
    // While held, update-grub gives no answer: a long command timeout keeps that from failing the
    // first deploy on a slow machine; its outcome is collected at once (no unhandled rejection).
    const a = deploy(opts(first, { noReboot: true, commandTimeoutMs: 300_000 })).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    await hold.reached;
    assert.deepEqual(sim.heldLocks(), [DEPLOY_LOCK]);
    assert.equal(sha(sim.readFile(tmp)), sha(first), "the first deploy's upload is in place");
    // Refused at once (lockWaitMs 0), and after waiting a while (flock -w), with the wait said.
    await assert.rejects(deploy(opts(image(100 * 1024), { lockWaitMs: 0 })), (e: unknown) => e instanceof DeployError && e.step === 'check' && /another acrn-nest deploy to .* is in progress/.test(e.message) && e.message.includes('127.0.0.1'));
    const said: string[] = [];
    await assert.rejects(deploy(opts(image(100 * 1024), { lockWaitMs: 2000, onEvent: (e) => said.push(e.message) })), (e: unknown) => e instanceof DeployError && e.step === 'check' && /waited 2 s/.test(e.message));
    assert.ok(said.some((m) => /another deploy holds .*; waiting up to 2 s/.test(m)), said.join('\n'));
    assert.equal(sha(sim.readFile(tmp)), sha(first), "the refused deploy did not remove the first one's temp file");
    hold.release();
    const failed = await a;
    if (failed) throw new Error(`${failed.message}\nboard simulator log (last 40):\n${sim.commandLog.slice(-40).join('\n')}`);
    assert.equal(sha(sim.readFile('/boot/acrn/acrn.bin')), sha(first));
    assert.deepEqual(sim.heldLocks(), [], 'released when the first deploy ended');
    // A deploy cut by the network loses its lock with its connection: the next one is not refused.
    sim.cutOnce({ kind: 'upload-bytes', bytes: 50_000 });
    await assert.rejects(deploy(opts(image(200 * 1024))), (e: unknown) => e instanceof DeployError && e.step === 'upload' && sim.commandLog.some((l) => l.includes('every connection dropped (fault')));
    assert.deepEqual(sim.heldLocks(), []);
    const third = image(150 * 1024);
    await deploy(opts(third)).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\nboard simulator log (last 40):\n${sim.commandLog.slice(-40).join('\n')}`);
    });
    assertBootable(third);
    // The full path re-takes the lock after the reboot and releases it at the end.
    assert.equal(sim.commandLog.filter((l) => /(^|-- )flock /.test(l)).length >= 2, true);
    assert.deepEqual(sim.heldLocks(), []);
  });

  test('the saved default cannot be read while an image would be replaced: step 1 refuses, names the fix, changes nothing (defect 2)', async () => {
    const first = image(100 * 1024);
    await deploy(opts(first, { noReboot: true }));
    rmSync(sim.boardPath('/boot/grub/grubenv'));
    const broken = resolveTarget(parseTarget({ name: 'sim', host: '127.0.0.1', port: sim.port, user: sim.user, identityFile: target.identityFiles[0], knownHostsFile: target.knownHostsFiles[0], commands: { grubEditenv: ['grub-editenv-missing', '-'] } }), { sshConfigText: '', homeDir: work });
    await assert.rejects(deploy({ ...opts(image(120 * 1024), { noReboot: true }), target: broken }), (e: unknown) => e instanceof DeployError && e.step === 'check' && /saved default cannot be read/.test(e.message) && /grub-editenv \/boot\/grub\/grubenv create/.test(e.message));
    assert.equal(sha(sim.readFile('/boot/acrn/acrn.bin')), sha(first), 'the image was not replaced');
  });

  test('not enough space in /boot: step 1 fails before anything is written', async () => {
    await sim.stop();
    const dir = mkdtempSync(path.join(work, 'board-'));
    const keys = generateEd25519();
    writeFileSync(path.join(dir, 'id'), keys.private, { mode: 0o600 });
    sim = await BoardSimulator.start({ dir, authorizedKeys: [keys.public], freeKiB: 500 });
    writeFileSync(path.join(dir, 'kh'), `[127.0.0.1]:${sim.port} ${sim.hostKeyPub}\n`);
    target = resolveTarget(parseTarget({ host: '127.0.0.1', port: sim.port, user: sim.user, identityFile: path.join(dir, 'id'), knownHostsFile: path.join(dir, 'kh') }), { sshConfigText: '', homeDir: dir });
    await assert.rejects(deploy(opts(image(416 * 1024))), (e: unknown) => e instanceof DeployError && e.step === 'check' && /not enough space in \/boot\/acrn: 500 KiB free/.test(e.message));
    assert.ok(!sim.exists('/boot/acrn/acrn.bin'));
    assert.ok(!sim.commandLog.some((l) => /(^|-- )(update-grub|cp|mv)\b/.test(l) || /sha256sum -- \S*\.tmp/.test(l)), sim.commandLog.join('\n'));
  });

  test('sudo with a password: it goes only to sudo\'s stdin, never into a command line', async () => {
    await sim.stop();
    await startBoard({ sudoPassword: "pa ss'word;$(x)" });
    const img = image(50 * 1024);
    await assert.rejects(deploy(opts(img, { noReboot: true })), (e: unknown) => e instanceof DeployError && e.step === 'check' && /sudo needs a password/.test(e.message) && errorCode(e) === ErrorCodes.sudoPasswordNeeded);
    await deploy(opts(img, { noReboot: true, connect: { agent: false, sudoPassword: "pa ss'word;$(x)" } }));
    assert.equal(sha(sim.readFile('/boot/acrn/acrn.bin')), sha(img));
    assert.ok(sim.commandLog.every((l) => !l.includes('pa ss')), 'the password never appears in a command line');
    assert.ok(sim.commandLog.some((l) => l.startsWith("sudo -S -p '' -- ")));
    assert.deepEqual(readdirSync(sim.boardPath('/tmp')).filter((x) => x.startsWith('acrn-nest.')), [], 'staging folder removed');
  });
});

/** Connects to the console port, waits for the prompt, sends one command, returns what came back. */
async function consoleExchange(port: number, command: string): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    let sent = false;
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`console: no answer to ${command}: ${JSON.stringify(buf)}`));
    }, 5000);
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      if (!sent && buf.includes('ACRN:\\>')) {
        sent = true;
        buf = '';
        s.write(command + '\r\n');
      } else if (sent && buf.includes('ACRN:\\>')) {
        clearTimeout(timer);
        s.destroy();
        resolve(buf);
      }
    });
    s.on('error', reject);
  });
}

test('a peer that drops the TCP connection before the handshake gives a ConnectError, never an unhandled error', async () => {
  const srv = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-drop-'));
  const keys = generateEd25519();
  writeFileSync(path.join(dir, 'id'), keys.private, { mode: 0o600 });
  const t = resolveTarget(parseTarget({ host: '127.0.0.1', port, user: 'acrn', identityFile: path.join(dir, 'id'), knownHostsFile: path.join(dir, 'kh') }), { sshConfigText: '', homeDir: dir });
  try {
    for (let i = 0; i < 5; i++) await assert.rejects(SshConnection.connect(t, { agent: false, readyTimeoutMs: 3000 }), (e: unknown) => e instanceof ConnectError && e.message.includes(`127.0.0.1:${port}`));
  } finally {
    srv.close();
    removeDir(dir);
  }
});
