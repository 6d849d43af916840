/**
 * Deploys against THE VIRTUAL BOARD (hv-core/boardvm): a real Debian 12 with real GRUB 2 on UEFI
 * (OVMF), real update-grub / grub-reboot / grub-set-default, real flock and sudo, under QEMU TCG.
 * Nothing here is simulated: what GRUB boots after a reboot or a power cycle is what real GRUB
 * picked, read back from the guest's /proc/cmdline.
 *
 * - success with the Xen stand-in (named so: ACRN needs VMX, which TCG lacks) in every layout
 *   (ubuntu GRUB_DEFAULT=0, saved, gsg with ACRN's own grub-acrn files), and a plain reboot later
 *   boots the new entry again;
 * - a real ACRN v3.3 image built here: its panic is read from the VM's serial port through
 *   `acrn-nest console`, the deploy fails (the fallback boots the package's ACRN-style default,
 *   which runs a hypervisor but not the new image: defect 1), the default's entry and image are
 *   unchanged byte for byte, and a power cycle boots them again;
 * - faults: power loss during the upload, update-grub, the reboot wait and verify; the cable cut
 *   during the upload, update-grub and the reboot wait: the board boots what it booted before;
 * - the deploy lock: a second deploy is refused; a lock file of another user is an error.
 * Each group starts its own VM from the cached snapshot (about 30 s); boots cost about a minute.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, statSync, watch, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BoardVm, missingHostTools } from '../../hv-core/boardvm/vm';
import type { DeployEvent, DeployOptions, DeployResult } from '../../hv-core/deploy';
import { deploy, DeployError, DEPLOY_LOCK } from '../../hv-core/deploy';
import { defaultBoot, parseGrubCfg, parseGrubEnv } from '../../hv-core/deploy/grubcfg';
import { SshConnection, loadTargetFile, resolveTarget, shq } from '../../hv-core/ssh-target';
import type { ResolvedTarget } from '../../hv-core/ssh-target';
import { REPO } from '../acrn-data';

const SRC = path.join(REPO, '..', 'shared', 'acrn-src', 'v3.3');
const missing = missingHostTools('xen-standin');
const skip = missing.length ? `the virtual board needs: ${missing.join(', ')} (bash scripts/install-deps.sh installs them)` : false;
const CLI = path.join(REPO, 'dist', 'cli.js');

let work: string;

function mk(name: string): string {
  return mkdtempSync(path.join(work, `${name}-`));
}

async function startVm(name: string, layout: 'ubuntu' | 'saved' | 'gsg'): Promise<{ vm: BoardVm; target: ResolvedTarget; targetFile: string }> {
  const vm = new BoardVm(mk(name));
  const targetFile = await vm.start({ layout, hypervisor: 'xen-standin', acrnTree: SRC });
  return { vm, target: resolveTarget(loadTargetFile(targetFile), { sshConfigText: '' }), targetFile };
}

/** A root shell on the VM (the image's key), for the test's own reads. */
async function rootSh(vm: BoardVm, script: string): Promise<string> {
  const s = vm.state()!;
  writeFileSync(path.join(vm.dir, 'known_hosts.test'), `[127.0.0.1]:${s.sshPort} ${readFileSync(path.join(vm.imageDir(), 'host_ed25519.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ')}\n`);
  const t = resolveTarget({ host: '127.0.0.1', port: s.sshPort, user: 'root', identityFile: [vm.file.key], knownHostsFile: path.join(vm.dir, 'known_hosts.test'), sudo: false }, { sshConfigText: '' });
  const c = await SshConnection.connect(t, { agent: false, readyTimeoutMs: 20_000 });
  try {
    return (await c.run(['sh', '-c', script], { timeoutMs: 120_000 })).stdout;
  } finally {
    c.close();
  }
}

/** What the guest booted: its kernel command line and whether it runs on the (stand-in) hypervisor. */
async function booted(vm: BoardVm): Promise<{ cmdline: string; xen: boolean }> {
  const out = await rootSh(vm, 'cat /proc/cmdline; cat /sys/hypervisor/type 2>/dev/null || true');
  const [cmdline = '', hv = ''] = out.split('\n');
  return { cmdline, xen: hv.trim() === 'xen' };
}

/** The entry a plain reboot boots, as real GRUB will read it (grub.cfg + grubenv from the guest). */
async function plainBootEntry(vm: BoardVm): Promise<{ id: string | undefined; title: string | undefined; text: string }> {
  const cfg = await rootSh(vm, 'cat /boot/grub/grub.cfg');
  const env = await rootSh(vm, 'grub-editenv - list');
  const d = defaultBoot(parseGrubCfg(cfg), parseGrubEnv(env));
  // The entry's own text in grub.cfg, to compare byte for byte.
  const start = d.entry ? cfg.indexOf(`menuentry '${d.entry.title}'`) : -1;
  const text = start >= 0 ? cfg.slice(start, cfg.indexOf('\n}', start) + 2) : '';
  return { id: d.entry?.id, title: d.entry?.title, text };
}

/** Resolves once the serial log (from byte `from`) matches: woken by the file's change events. */
function waitSerial(file: string, from: number, re: RegExp): Promise<void> {
  return new Promise((resolve) => {
    const check = (): boolean => {
      const text = readFileSync(file).subarray(from).toString('latin1');
      if (!re.test(text)) return false;
      w.close();
      resolve();
      return true;
    };
    const w = watch(file, () => void check());
    check();
  });
}

function opts(target: ResolvedTarget, image: string, extra: Partial<DeployOptions> = {}): DeployOptions {
  return { target, image, connect: { agent: false }, rebootTimeoutMs: 900_000, commandTimeoutMs: 600_000, ...extra };
}

async function deployOk(o: DeployOptions): Promise<DeployResult> {
  const log: string[] = [];
  try {
    return await deploy({ ...o, onEvent: (e) => { log.push(`${e.index} ${e.step} ${e.status}: ${e.message}`); o.onEvent?.(e); } });
  } catch (e) {
    throw new Error(`${(e as Error).message}\nevents:\n${log.join('\n')}`);
  }
}

// Two VMs at a time: each TCG guest keeps one core busy.
describe('deploy to the virtual board (real GRUB, real reboots)', { skip, concurrency: 2 }, () => {
  before(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-boardvm-'));
  });
  after(() => {
    spawnSync('rm', ['-rf', work]);
  });

  for (const layout of ['ubuntu', 'saved'] as const) {
    test(`${layout} layout: the stand-in deploys, boots, is verified and becomes what a plain reboot boots${layout === 'saved' ? '; power loss during the reboot wait and during verify leaves a verified image booting' : ''}`, async () => {
      const { vm, target } = await startVm(`ok-${layout}`, layout);
      try {
        const before = await plainBootEntry(vm);
        assert.equal(before.title, 'Debian GNU/Linux', 'a fresh board boots Debian by default');
        const r = await deployOk(opts(target, vm.file.standin));
        assert.equal(r.rebooted, true);
        assert.equal(r.defaultSet, true);
        const now = await booted(vm);
        assert.ok(now.xen, `runs on the stand-in: ${now.cmdline}`);
        assert.ok(now.cmdline.includes(`acrn_nest.image=${r.sha256.slice(0, 16)}`), now.cmdline);
        assert.equal((await plainBootEntry(vm)).id, 'acrn-nest');
        const dropin = await rootSh(vm, 'cat /etc/default/grub.d/zz-acrn-nest.cfg 2>/dev/null || echo none');
        if (layout === 'ubuntu') assert.match(dropin, /^GRUB_DEFAULT=saved$/m, 'GRUB_DEFAULT=0 became saved through our drop-in');
        else assert.equal(dropin.trim(), 'none', 'GRUB_DEFAULT=saved needs no drop-in');
        // A plain power cycle later: real GRUB boots the new entry again.
        await vm.powerCycle({ timeoutMs: 900_000 });
        const again = await booted(vm);
        assert.ok(again.xen && again.cmdline.includes('acrn_nest.entry=acrn-nest '), again.cmdline);
        if (layout === 'saved') {
          // Power loss during the reboot wait (step 4) and during verify (step 5): whatever the
          // race gives, the board runs a verified image and its default's image is whole.
          const token = (cmdline: string): string | undefined => /acrn_nest\.image=(\w+)/.exec(cmdline)?.[1];
          // Another image (the stand-in with 4 KiB of zeros after it: GRUB loads what its header says).
          const img2 = path.join(vm.dir, 'standin2.bin');
          writeFileSync(img2, Buffer.concat([readFileSync(vm.file.standin), Buffer.alloc(4096)]));
          const img3 = path.join(vm.dir, 'standin3.bin');
          writeFileSync(img3, Buffer.concat([readFileSync(vm.file.standin), Buffer.alloc(8192)]));
          const verified = new Map<string, string>([[r.sha256.slice(0, 16), r.sha256]]);
          for (const [when, image] of [['reboot', img2], ['verify', img3]] as const) {
            let reset: Promise<unknown> | undefined;
            const outcome = await deploy(opts(target, image, { connect: { agent: false, keepaliveIntervalMs: 2000 }, onEvent: (e) => {
              const hit = when === 'reboot' ? e.step === 'reboot' && e.status === 'progress' && /went down/.test(e.message) : e.step === 'verify' && e.status === 'running';
              if (!reset && hit) reset = vm.powerCycle({ timeoutMs: 900_000 });
            } })).then((r) => r, (e: unknown) => e as Error);
            assert.ok(reset, `the power was cut during ${when}`);
            await reset;
            if (!(outcome instanceof Error)) verified.set(outcome.sha256.slice(0, 16), outcome.sha256);
            else assert.ok(outcome instanceof DeployError && (outcome.step === 'reboot' || outcome.step === 'verify'), `power loss during ${when}: ${String(outcome)}`);
            // Whatever the race gave, what runs now is an image that was verified, and a plain reboot
            // boots an entry whose image is whole.
            // The entry it booted (acrn-nest, or acrn-nest-prev: the kept previous image, whose
            // entry carries no image token) and that entry's image on disk.
            const now = await booted(vm);
            const entry = /acrn_nest\.entry=([\w-]+)/.exec(now.cmdline)?.[1];
            assert.ok(now.xen && (entry === 'acrn-nest' || entry === 'acrn-nest-prev'), `after power loss during ${when} the board runs one of acrn-nest's entries on the stand-in: ${now.cmdline}`);
            const bootedSum = (await rootSh(vm, `sha256sum /boot/acrn/acrn.bin${entry === 'acrn-nest-prev' ? '.prev' : ''}`)).split(' ')[0]!;
            const t = token(now.cmdline);
            if (t) assert.equal(bootedSum.slice(0, 16), t, 'the image token names the file it booted');
            // A verified image, or (GRUB's one-shot try of acrn-nest) the whole image of this deploy.
            const attempted = createHash('sha256').update(readFileSync(image)).digest('hex');
            assert.ok([...verified.values()].includes(bootedSum) || (entry === 'acrn-nest' && bootedSum === attempted), `after power loss during ${when} the board runs a verified image (${[...verified.keys()].join(', ')}) or this deploy's whole one, not ${bootedSum.slice(0, 16)}: ${now.cmdline}`);
            const def = await plainBootEntry(vm);
            assert.ok(def.id === 'acrn-nest' || def.id === 'acrn-nest-prev', `default ${def.id}`);
            const file = def.id === 'acrn-nest' ? '/boot/acrn/acrn.bin' : '/boot/acrn/acrn.bin.prev';
            const sum = (await rootSh(vm, `sha256sum ${file}`)).split(' ')[0]!;
            assert.ok([...verified.values()].includes(sum), `the default's image ${file} (${sum.slice(0, 16)}) is one that was verified`);
          }
        }
      } finally {
        await vm.stop();
      }
    });
  }

  test('gsg layout with a real ACRN image: the panic shows on the console, the fallback to the package default is no success, nothing changed; then the stand-in succeeds', { skip: !existsSync(SRC) && `no ACRN sources at ${SRC}` }, async () => {
    // Build real ACRN v3.3 for QEMU's board with acrn-nest's own build.
    const tree = path.join(mk('tree'), 'acrn');
    cpSync(SRC, tree, { recursive: true });
    spawnSync('chmod', ['-R', 'u+w', tree]);
    const data = path.join(tree, 'misc/config_tools/data/qemu');
    // The build and the VM's start side by side (each keeps one core busy).
    const building = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, [CLI, 'build', '--acrn-tree', tree, '--board', path.join(data, 'qemu.xml'), '--scenario', path.join(data, 'shared.xml'), '--python', '/usr/bin/python3'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      c.on('close', (status) => resolve({ status, stdout, stderr }));
    });
    const [b, started] = await Promise.all([building, startVm('acrn-gsg', 'gsg')]);
    const { vm, target, targetFile } = started;
    if (b.status !== 0) await vm.stop();
    assert.equal(b.status, 0, b.stderr.slice(-4000));
    const acrnBin = b.stdout.trim().split('\n').pop()!;
    try {
      // ACRN's acrn.cfg sets GRUB_DEFAULT="Debian GNU/Linux with ACRN hypervisor", which names no
      // entry (25_linux_acrn titles its entries "..., with Linux <version> (ACRN <version>)"), so
      // real GRUB boots entry 0, the plain kernel: measured here. A guide's user who boots ACRN by
      // default names the entry by its id, as this does, after acrn.cfg in /etc/default/grub.d.
      const plain = await plainBootEntry(vm);
      assert.equal(plain.title, 'Debian GNU/Linux', "acrn.cfg's GRUB_DEFAULT names no entry: GRUB falls back to entry 0");
      const acrnEntry = parseGrubCfg(await rootSh(vm, 'cat /boot/grub/grub.cfg')).entries.find((e) => e.title.startsWith('Debian GNU/Linux with ACRN hypervisor'));
      assert.ok(acrnEntry?.id, "grub-acrn's 25_linux_acrn listed /boot/acrn.bin");
      await rootSh(vm, `printf 'GRUB_DEFAULT=%s\\n' ${shq(acrnEntry.id)} > /etc/default/grub.d/local.cfg && update-grub >/dev/null 2>&1`);
      // Now the default is grub-acrn's entry for /boot/acrn.bin (here the stand-in). Real GRUB
      // proves it below: the power cycle after ACRN's hang boots it.
      const before = await plainBootEntry(vm);
      assert.match(before.text, /multiboot2\s+\/boot\/acrn\.bin /, `the default is grub-acrn's entry for /boot/acrn.bin:\n${before.text}`);
      const imgBefore = await rootSh(vm, 'sha256sum /boot/acrn.bin');
      // Watch the serial port through the CLI, as a user would.
      const consoleOut: string[] = [];
      const cons = spawn(process.execPath, [CLI, 'console', '--target-file', targetFile, '--until', 'hardware not support', '--timeout', '600'], { stdio: ['ignore', 'pipe', 'pipe'] });
      cons.stdout.on('data', (d: Buffer) => consoleOut.push(d.toString()));
      const panicSeen = new Promise<number | null>((resolve) => cons.on('exit', resolve));
      const events: DeployEvent[] = [];
      const dep = deploy(opts(target, acrnBin, { scenario: path.join(data, 'shared.xml'), onEvent: (e) => events.push(e) })).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      assert.equal(await panicSeen, 0, `acrn-nest console saw ACRN's panic:\n${consoleOut.join('').slice(-2000)}`);
      assert.match(consoleOut.join(''), /PANIC|hardware not support/);
      // The board hangs in ACRN: a power cycle. GRUB's one-shot entry is spent, so the package's
      // default boots; it runs a hypervisor, but not the new image.
      await vm.powerCycle({ timeoutMs: 900_000 });
      const err = await dep;
      assert.ok(err instanceof DeployError, `the deploy failed: ${String(err)}`);
      assert.equal(err.step, 'verify');
      assert.match(err.message, /runs a hypervisor, but not the new image/);
      assert.match(err.message, /The default entry was not changed/);
      const after1 = await plainBootEntry(vm);
      assert.equal(after1.text, before.text, 'the default entry is byte for byte unchanged');
      assert.equal(await rootSh(vm, 'sha256sum /boot/acrn.bin'), imgBefore, 'its image is byte for byte unchanged');
      await vm.powerCycle({ timeoutMs: 900_000 });
      const again = await booted(vm);
      assert.ok(again.xen && !again.cmdline.includes('acrn_nest.'), `a second power cycle boots the package default again: ${again.cmdline}`);
      // The same board then takes the stand-in: a verified image becomes the default even here.
      const r = await deployOk(opts(target, vm.file.standin));
      assert.equal(r.defaultSet, true);
      await vm.powerCycle({ timeoutMs: 900_000 });
      const last = await booted(vm);
      assert.ok(last.cmdline.includes(`acrn_nest.image=${r.sha256.slice(0, 16)}`), last.cmdline);
    } finally {
      await vm.stop();
    }
  });

  test('faults: the cable cut during the upload, update-grub and the reboot; power loss during the upload and update-grub: the board boots what it booted before', async () => {
    const { vm, target } = await startVm('faults', 'ubuntu');
    try {
      const before = await plainBootEntry(vm);
      const big = path.join(vm.dir, 'big.bin');
      // The stand-in padded to 24 MiB, so the upload takes a while.
      const img = Buffer.concat([readFileSync(vm.file.standin), Buffer.alloc(24 * 1024 * 1024)]);
      writeFileSync(big, img);
      // 1. the cable is cut during the upload
      let cut = false;
      // After a cut cable the board's sshd keeps the dead session for up to 2 h (no ClientAlive,
      // TCP keepalive 2 h; measured here), and with it the lock holder: it lets go once no
      // heartbeat came for lockSilenceMs (20 s here), and the next deploy waits for it.
      const e1 = await deploy(opts(target, big, { rebootTimeoutMs: 900_000, lockSilenceMs: 20_000, connect: { agent: false, keepaliveIntervalMs: 2000 }, onEvent: (e) => {
        if (!cut && e.step === 'upload' && e.status === 'progress' && (e.progress ?? 0) > 0.1) {
          cut = true;
          void vm.setLink(false);
        }
      } })).then(() => undefined, (e: unknown) => e as Error);
      assert.ok(e1 instanceof DeployError && e1.step === 'upload', `cut during the upload fails step 2: ${String(e1)}`);
      await vm.setLink(true);
      assert.equal((await plainBootEntry(vm)).text, before.text, 'the default entry is unchanged');
      assert.match(await rootSh(vm, 'ls /boot/acrn 2>/dev/null | grep -v tmp || true'), /^$/, 'no image under the real name');
      // 2. the cable is cut during update-grub: step 3 fails; the board still boots what it did
      let cut2 = false;
      const e2 = await deploy(opts(target, vm.file.standin, { lockSilenceMs: 20_000, connect: { agent: false, keepaliveIntervalMs: 2000 }, onEvent: (e) => {
        if (!cut2 && e.step === 'grub' && e.status === 'progress' && /update-grub/.test(e.message)) {
          cut2 = true;
          void vm.setLink(false);
        }
      } })).then(() => undefined, (e: unknown) => e as Error);
      assert.ok(e2 instanceof DeployError && e2.step === 'grub', `cut during update-grub fails step 3: ${String(e2)}`);
      await vm.setLink(true);
      assert.equal((await plainBootEntry(vm)).title, before.title, 'a plain reboot still boots the default of before');
      assert.doesNotMatch(await rootSh(vm, 'ls /boot/acrn 2>/dev/null || true'), /^acrn\.bin$/m, 'the image was not renamed into place');
      // 3. the cable is cut while the board reboots: back when the serial port shows the login
      // prompt, the deploy reconnects and completes.
      let cut3 = false;
      const r3 = await deployOk(opts(target, vm.file.standin, { connect: { agent: false, keepaliveIntervalMs: 2000 }, onEvent: (e) => {
        if (!cut3 && e.step === 'reboot' && e.status === 'progress' && /went down/.test(e.message)) {
          cut3 = true;
          const from = statSync(vm.file.serialLog).size;
          void vm.setLink(false).then(() => waitSerial(vm.file.serialLog, from, /login:/)).then(() => vm.setLink(true));
        }
      } }));
      assert.ok(cut3 && r3.defaultSet, 'the deploy completed after the cable came back');
      assert.ok((await booted(vm)).cmdline.includes(`acrn_nest.image=${r3.sha256.slice(0, 16)}`));
      // 4. power loss during the upload, 5. power loss during update-grub: the board boots the
      // verified stand-in it booted before, never the half-done deploy (a bigger image here).
      for (const when of ['upload', 'update-grub'] as const) {
        let reset: Promise<unknown> | undefined;
        const e = await deploy(opts(target, big, { connect: { agent: false, keepaliveIntervalMs: 2000 }, onEvent: (ev) => {
          const hit = when === 'upload' ? ev.step === 'upload' && ev.status === 'progress' && (ev.progress ?? 0) > 0.2 : ev.step === 'grub' && ev.status === 'progress' && /update-grub/.test(ev.message);
          if (!reset && hit) reset = vm.powerCycle({ timeoutMs: 900_000 });
        } })).then(() => undefined, (x: unknown) => x as Error);
        assert.ok(e instanceof DeployError && e.step === (when === 'upload' ? 'upload' : 'grub'), `power loss during ${when}: ${String(e)}`);
        // The power cycle returns once SSH is back: what real GRUB booted then is the proof.
        await reset;
        const now = await booted(vm);
        assert.ok(now.xen && now.cmdline.includes(`acrn_nest.image=${r3.sha256.slice(0, 16)}`), `after power loss during ${when} the board boots the image it booted before: ${now.cmdline}`);
        assert.equal((await plainBootEntry(vm)).id, 'acrn-nest');
        assert.equal((await rootSh(vm, 'sha256sum /boot/acrn/acrn.bin')).split(' ')[0], r3.sha256, 'the image under the real name is the verified one, whole');
      }
    } finally {
      await vm.stop();
    }
  });

  test('the deploy lock: a second deploy is refused; a lock file of another user is an error, not a silent go-ahead', async () => {
    const { vm, target } = await startVm('lock', 'saved');
    try {
      // Another deploy holds the lock (util-linux flock, as acrn-nest takes it).
      const c = await SshConnection.connect(target, { agent: false });
      const ch = await c.channel(['flock', '-n', DEPLOY_LOCK, 'sh', '-c', 'echo held; exec cat'], undefined, { sudo: true });
      await new Promise<void>((resolve) => ch.on('data', (d: Buffer) => d.toString().includes('held') && resolve()));
      await assert.rejects(deploy(opts(target, vm.file.standin, { lockWaitMs: 0 })), (e: unknown) => e instanceof DeployError && e.step === 'check' && /another acrn-nest deploy/.test(e.message));
      ch.end();
      c.close();
      // A lock file that belongs to another user (fs.protected_regular on Debian): an error naming the fix.
      await rootSh(vm, `rm -f ${DEPLOY_LOCK}; su nobody -s /bin/sh -c 'touch ${DEPLOY_LOCK}'; sysctl -n fs.protected_regular`);
      const noSudo = resolveTarget({ ...loadTargetFile(path.join(vm.dir, 'target.json')), sudo: false }, { sshConfigText: '' });
      await assert.rejects(deploy(opts(noSudo, vm.file.standin)), (e: unknown) => e instanceof DeployError && e.step === 'check' && /cannot take the deploy lock .*Permission denied/i.test(e.message) && /sudo rm/.test(e.message));
      assert.equal((await rootSh(vm, 'ls /boot/acrn 2>/dev/null || true')).trim(), '', 'nothing was written');
    } finally {
      await vm.stop();
    }
  });

  test('step 1 refuses a file that is not multiboot2, and GRUB_DEFAULT=0 when the target says "grubDefault": "keep"', async () => {
    const { vm, target } = await startVm('refuse', 'ubuntu');
    try {
      const xml = path.join(vm.dir, 'scenario.xml');
      writeFileSync(xml, '<acrn-config/>\n');
      await assert.rejects(deploy(opts(target, xml)), (e: unknown) => e instanceof DeployError && e.step === 'check' && /not a multiboot2 image/.test(e.message));
      const keep = resolveTarget({ ...loadTargetFile(path.join(vm.dir, 'target.json')), grubDefault: 'keep' }, { sshConfigText: '' });
      await assert.rejects(deploy(opts(keep, vm.file.standin)), (e: unknown) => e instanceof DeployError && e.step === 'check' && /GRUB_DEFAULT is "0", not "saved"/.test(e.message) && /GRUB_DEFAULT=saved in \/etc\/default\/grub/.test(e.message));
      assert.equal((await rootSh(vm, 'ls -A /boot/acrn 2>/dev/null; test -e /etc/default/grub.d/zz-acrn-nest.cfg && echo drop-in; true')).trim(), '', 'nothing was written');
    } finally {
      await vm.stop();
    }
  });
});
