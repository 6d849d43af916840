/**
 * Deploy to a REAL OpenSSH sshd on 127.0.0.1 (Debian's /usr/sbin/sshd, keys generated per run); the
 * board's /boot, grub.d and GRUB commands live in a temp folder through the target file. Covers:
 * the exact bytes land, the GRUB script is right and runs under sh, update-grub and grub-reboot are
 * called, no temp file is left, the previous image is kept; host keys (unknown refused with the
 * fingerprint, changed refused always, hashed entries, explicit acceptance recorded); hostile
 * names that reach the target unchanged and never run; one deploy at a time (real flock).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Sshd } from './sshd';
import { haveSshd, removeDir, startSshd } from './sshd';
import { makeFakeBoard } from './fake-board';
import { deploy, DeployError, DEPLOY_LOCK, ENTRY_ID, LOCK_HELD_MARK, LOCK_SCRIPT } from '../../hv-core/deploy';
import type { ResolvedTarget, Target } from '../../hv-core/ssh-target';
import { ChangedHostKeyError, SshConnection, UnknownHostKeyError, parseTarget, resolveTarget } from '../../hv-core/ssh-target';
import { acrnTree, hasAcrnData } from '../unit/helpers';
import { loadFile } from '../../hv-core/files';
import { writeMultiboot2Header } from '../../hv-core/deploy/grub';

const skip = !haveSshd() && 'no /usr/sbin/sshd (apt install openssh-server)';
let sshd: Sshd;
let work: string;

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A fake acrn.bin: multiboot2 header magic then random bytes. */
function fakeImage(size: number): Buffer {
  const b = randomBytes(size);
  writeMultiboot2Header(b);
  return b;
}

function target(dir: string, extra: Record<string, unknown>): ResolvedTarget {
  const t: Target = parseTarget({ host: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKey, knownHostsFile: path.join(dir, 'known_hosts'), sudo: false, ...extra }, path.join(dir, 'target.json'));
  return resolveTarget(t, { sshConfigText: '', homeDir: dir });
}

function boardTarget(dir: string, board: ReturnType<typeof makeFakeBoard>, extra: Record<string, unknown> = {}): ResolvedTarget {
  writeFileSync(path.join(dir, 'known_hosts'), sshd.knownHostsLine + '\n');
  const c = board.commands;
  return target(dir, { bootDir: board.bootDir, grubScriptDir: board.grubDir, grubCfg: board.grubCfg, kernel: board.kernel, commands: { updateGrub: [c.updateGrub], grubReboot: [c.grubReboot], grubSetDefault: [c.grubSetDefault], grubEditenv: [c.grubEditenv], reboot: [c.reboot] }, ...extra });
}

const tempsIn = (d: string): string[] => (existsSync(d) ? readdirSync(d).filter((n) => n.includes('acrn-nest.tmp')) : []);

describe('deploy to a real OpenSSH sshd', { skip }, () => {
  before(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-deploy-'));
    sshd = await startSshd({ dir: mkdtempSync(path.join(work, 'sshd-')) });
  });
  after(async () => {
    await sshd?.stop();
    if (work) removeDir(work);
  });

  test('the exact bytes land, the GRUB script is right, update-grub and grub-reboot run, no temp left, previous kept', async () => {
    const dir = mkdtempSync(path.join(work, 'ok-'));
    const board = makeFakeBoard(path.join(dir, 'board'));
    const zephyr = path.join(board.root, 'boot', 'zephyr.elf');
    writeFileSync(zephyr, 'fake zephyr\n');
    const t = boardTarget(dir, board, { modules: [{ path: zephyr, tag: 'Zephyr_ElfImage' }] });
    mkdirSync(path.join(dir, 'acpi'));
    const acpi = randomBytes(3000);
    writeFileSync(path.join(dir, 'acpi', 'ACPI_VM0.bin'), acpi);
    const scenario = hasAcrnData() ? path.join(acrnTree('v3.3'), 'misc/config_tools/data/nuc11tnbi5/hybrid.xml') : undefined;
    const img1 = fakeImage(416 * 1024);
    writeFileSync(path.join(dir, 'acrn.bin'), img1);
    const events: string[] = [];
    const r = await deploy({ target: t, image: path.join(dir, 'acrn.bin'), ...(scenario ? { scenario } : {}), noReboot: true, connect: { agent: false }, onEvent: (e) => events.push(`${e.index} ${e.step} ${e.status}`) });
    const landed = readFileSync(path.join(board.bootDir, 'acrn.bin'));
    assert.equal(sha(landed), sha(img1));
    assert.equal(r.sha256, sha(img1));
    assert.equal(r.rebooted, false);
    for (const s of ['1 check done', '2 upload done', '3 grub done', '4 reboot skipped', '5 verify skipped']) assert.ok(events.includes(s), `${s} in ${events.join(', ')}`);
    const script = readFileSync(path.join(board.grubDir, '41_acrn_nest'), 'utf8');
    assert.equal(readFileSync(path.join(board.grubDir, '41_acrn_nest')).length, Buffer.byteLength(r.grubScript));
    assert.equal((await import('node:fs')).statSync(path.join(board.grubDir, '41_acrn_nest')).mode & 0o777, 0o755);
    assert.match(script, /^#!\/bin\/sh\n/);
    assert.ok(script.includes(`menuentry 'ACRN hypervisor (acrn-nest)' --id acrn-nest {`), script);
    // GRUB sees paths relative to the partition that holds them: compute as deploy does.
    const mount = (p: string): string => execFileSync('df', ['-P', p], { encoding: 'utf8' }).trim().split('\n')[1]!.split(/\s+/).slice(5).join(' ');
    const rel = (p: string): string => (mount(p) === '/' ? p : '/' + path.relative(mount(p), p));
    assert.ok(script.includes(`\tmultiboot2 ${rel(path.join(board.bootDir, 'acrn.bin'))}`), script);
    assert.ok(script.includes(`\tmodule2 ${rel(board.kernel)} Linux_bzImage\n`), script);
    assert.ok(!script.includes('acrn-nest-prev'), 'no previous image yet, so no prev entry');
    if (scenario) {
      // v3 hybrid: the pre-launched VM 0 boots Zephyr_ElfImage with its ACPI tables ACPI_VM0.
      assert.ok(script.includes(`\tmodule2 ${rel(zephyr)} Zephyr_ElfImage\n`), script);
      assert.ok(script.includes(`\tmodule2 ${rel(path.join(board.bootDir, 'ACPI_VM0.bin'))} ACPI_VM0\n`), script);
      assert.equal(sha(readFileSync(path.join(board.bootDir, 'ACPI_VM0.bin'))), sha(acpi));
    }
    // update-grub really ran our script under sh: the menu entry is in grub.cfg verbatim.
    const cfg = readFileSync(board.grubCfg, 'utf8');
    assert.ok(cfg.includes(`\nmenuentry 'ACRN hypervisor (acrn-nest)' --id acrn-nest {`), cfg);
    assert.ok(!cfg.includes('ACRN_NEST_EOF'));
    const calls = readFileSync(board.calls, 'utf8').trim().split('\n');
    assert.deepEqual(calls.filter((c) => !c.startsWith('grub-editenv')).map((c) => c.trim()), ['update-grub', `grub-reboot ${ENTRY_ID}`]);
    assert.deepEqual(tempsIn(board.bootDir), []);
    assert.deepEqual(tempsIn(board.grubDir), []);
    if (scenario) assert.equal(sha(readFileSync(path.join(board.bootDir, 'acrn.bin.scenario.xml'))), sha(readFileSync(loadFile(scenario).path)));

    // Second deploy: the first image is kept as acrn.bin.prev with its own entry.
    const img2 = fakeImage(300 * 1024);
    writeFileSync(path.join(dir, 'acrn2.bin'), img2);
    const r2 = await deploy({ target: t, image: path.join(dir, 'acrn2.bin'), noReboot: true, connect: { agent: false } });
    assert.equal(sha(readFileSync(path.join(board.bootDir, 'acrn.bin'))), sha(img2));
    assert.equal(sha(readFileSync(path.join(board.bootDir, 'acrn.bin.prev'))), sha(img1));
    assert.equal(r2.previousImage, path.join(board.bootDir, 'acrn.bin.prev'));
    assert.ok(readFileSync(board.grubCfg, 'utf8').includes(`--id acrn-nest-prev {`));
    assert.deepEqual(tempsIn(board.bootDir), []);
  });

  test('one deploy at a time (real flock): while another holds the board lock, a deploy stops at step 1 and changes nothing', async () => {
    const dir = mkdtempSync(path.join(work, 'lock-'));
    const board = makeFakeBoard(path.join(dir, 'board'));
    const t = boardTarget(dir, board);
    const old = fakeImage(1000);
    writeFileSync(path.join(board.bootDir, 'acrn.bin'), old);
    writeFileSync(path.join(board.bootDir, '.acrn.bin.acrn-nest.tmp'), 'the other deploy is uploading this');
    writeFileSync(path.join(dir, 'new.bin'), fakeImage(2000));
    // "Another deploy": util-linux flock on the same lock file (sshd is on this machine), held
    // until its stdin ends, as deploy holds it.
    const holder = spawn('flock', [DEPLOY_LOCK, 'sh', '-c', 'echo held; exec cat'], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
      holder.on('exit', (code) => reject(new Error(`flock exited ${code}`)));
    });
    try {
      await assert.rejects(
        deploy({ target: t, image: path.join(dir, 'new.bin'), noReboot: true, connect: { agent: false }, lockWaitMs: 0 }),
        (e: unknown) => e instanceof DeployError && e.step === 'check' && /another acrn-nest deploy to .*127\.0\.0\.1.* is in progress/.test(e.message) && e.message.includes(DEPLOY_LOCK),
      );
      assert.equal(sha(readFileSync(path.join(board.bootDir, 'acrn.bin'))), sha(old), 'the image is untouched');
      assert.equal(readFileSync(path.join(board.bootDir, '.acrn.bin.acrn-nest.tmp'), 'utf8'), 'the other deploy is uploading this', "the other deploy's temp file is untouched");
      // Reading GRUB's environment (read-only probes run while the lock is sought) is all that ran.
      const calls = (existsSync(board.calls) ? readFileSync(board.calls, 'utf8') : '').split('\n').filter((l) => l && l !== 'grub-editenv list');
      assert.deepEqual(calls, [], 'no GRUB command that writes ran');
    } finally {
      const gone = new Promise((resolve) => holder.on('exit', resolve));
      holder.stdin.end();
      await gone;
    }
    // The lock is free: the deploy goes through, and its own lock goes with it.
    await deploy({ target: t, image: path.join(dir, 'new.bin'), noReboot: true, connect: { agent: false } });
    assert.notEqual(sha(readFileSync(path.join(board.bootDir, 'acrn.bin'))), sha(old));
    assert.equal(spawnSync('flock', ['-n', '-E', '75', DEPLOY_LOCK, 'true']).status, 0, 'the deploy released the lock');
  });

  test('the lock script (real flock, sh, timeout, head): heartbeats keep the lock; when they stop (a cut cable) it is let go and a waiting deploy goes ahead', async () => {
    const dir = mkdtempSync(path.join(work, 'beat-'));
    const board = makeFakeBoard(path.join(dir, 'board'));
    const t = boardTarget(dir, board);
    writeFileSync(path.join(dir, 'new.bin'), fakeImage(2000));
    const busy = (): number | null => spawnSync('flock', ['-n', '-E', '75', DEPLOY_LOCK, 'true']).status;
    // A holder as deploy runs it, with a 1 s silence limit; its stdin stays open, as a dead
    // session's does on a board whose sshd never noticed the cable was cut.
    const holder = spawn('flock', ['-n', DEPLOY_LOCK, 'sh', '-c', LOCK_SCRIPT, 'sh', '1'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => holder.on('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (d: Buffer) => d.toString().includes(LOCK_HELD_MARK) && resolve());
      holder.on('exit', (code) => reject(new Error(`flock exited ${code}`)));
    });
    // Beats every 200 ms for 3 s (three silence limits): still held.
    let beats = 0;
    let fifteen: () => void = () => undefined;
    const beaten = new Promise<void>((resolve) => (fifteen = resolve));
    const iv = setInterval(() => {
      holder.stdin.write('b');
      if (++beats === 15) fifteen();
    }, 200);
    await beaten;
    assert.equal(busy(), 75, 'the lock is held while beats come');
    // A deploy waits for the lock; once it says so the beats stop, and the board lets go.
    const said: string[] = [];
    const r = await deploy({
      target: t,
      image: path.join(dir, 'new.bin'),
      noReboot: true,
      connect: { agent: false },
      lockWaitMs: 20_000,
      onEvent: (e) => {
        said.push(e.message);
        if (/another deploy holds/.test(e.message)) clearInterval(iv);
      },
    }).finally(() => clearInterval(iv));
    assert.equal(await exited, 0, 'the silent holder ended by itself');
    assert.ok(said.some((m) => /another deploy holds .*; waiting up to 20 s/.test(m)), said.join('\n'));
    assert.ok(beats >= 15);
    assert.equal(r.entryId, ENTRY_ID);
    assert.equal(busy(), 0, 'the deploy released the lock');
    holder.stdin.end();
  });

  test('when the saved default is acrn-nest, it moves to acrn-nest-prev before the image is replaced', async () => {
    const dir = mkdtempSync(path.join(work, 'default-'));
    const board = makeFakeBoard(path.join(dir, 'board'));
    const t = boardTarget(dir, board);
    // A first deploy that was verified: its entry is the saved default.
    const first = fakeImage(1000);
    writeFileSync(path.join(dir, 'first.bin'), first);
    await deploy({ target: t, image: path.join(dir, 'first.bin'), noReboot: true, connect: { agent: false } });
    writeFileSync(board.grubEnv, 'saved_entry=acrn-nest\n');
    writeFileSync(path.join(dir, 'new.bin'), fakeImage(2000));
    await deploy({ target: t, image: path.join(dir, 'new.bin'), noReboot: true, connect: { agent: false } });
    const env = readFileSync(board.grubEnv, 'utf8');
    assert.match(env, /^saved_entry=acrn-nest-prev$/m);
    assert.match(env, /^next_entry=acrn-nest$/m);
    assert.equal(sha(readFileSync(path.join(board.bootDir, 'acrn.bin.prev'))), sha(first), 'the default now boots the verified first image');
  });

  test('a kernel tag that differs from the scenario kern_mod fails step 1, naming the host', { skip: !hasAcrnData() && 'no acrn-data' }, async () => {
    const dir = mkdtempSync(path.join(work, 'tag-'));
    const board = makeFakeBoard(path.join(dir, 'board'));
    const t = boardTarget(dir, board, { kernelTag: 'Zephyr_RawImage' });
    writeFileSync(path.join(dir, 'acrn.bin'), fakeImage(1000));
    await assert.rejects(
      deploy({ target: t, image: path.join(dir, 'acrn.bin'), scenario: path.join(acrnTree('v2.5'), 'misc/config_tools/data/whl-ipc-i5/industry.xml'), noReboot: true, connect: { agent: false } }),
      (e: unknown) => e instanceof DeployError && e.step === 'check' && e.message.includes(`127.0.0.1:${sshd.port}`) && e.message.includes('Linux_bzImage') && e.message.includes('step 1'),
    );
    assert.ok(!existsSync(path.join(board.bootDir, 'acrn.bin')));
  });

  describe('host keys', () => {
    test('an unknown host key is refused, with its SHA256 fingerprint', async () => {
      const dir = mkdtempSync(path.join(work, 'hk-unknown-'));
      const t = target(dir, {});
      await assert.rejects(SshConnection.connect(t, { agent: false }), (e: unknown) => e instanceof UnknownHostKeyError && e.info.fingerprint === sshd.hostFingerprint && e.message.includes(sshd.hostFingerprint));
      assert.ok(!existsSync(path.join(dir, 'known_hosts')), 'nothing recorded');
      // Through deploy: DeployError at step 1 whose cause carries the fingerprint.
      writeFileSync(path.join(dir, 'acrn.bin'), fakeImage(100));
      await assert.rejects(deploy({ target: t, image: path.join(dir, 'acrn.bin'), noReboot: true, connect: { agent: false } }), (e: unknown) => e instanceof DeployError && e.step === 'check' && e.cause instanceof UnknownHostKeyError && e.message.includes(sshd.hostFingerprint));
    });

    test('a changed host key is refused, even when the caller would accept new keys', async () => {
      const dir = mkdtempSync(path.join(work, 'hk-changed-'));
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'other')]);
      const other = readFileSync(path.join(dir, 'other.pub'), 'utf8').split(' ');
      writeFileSync(path.join(dir, 'known_hosts'), `[127.0.0.1]:${sshd.port} ${other[0]} ${other[1]}\n`);
      let asked = false;
      await assert.rejects(
        SshConnection.connect(target(dir, {}), { agent: false, onUnknownHostKey: () => (asked = true) }),
        (e: unknown) => e instanceof ChangedHostKeyError && e.message.includes('HAS CHANGED') && e.message.includes(sshd.hostFingerprint) && e.message.includes('known_hosts:1'),
      );
      assert.equal(asked, false, 'a changed key is never offered for acceptance');
    });

    test('accepted after explicit acceptance, recorded, then known without asking', async () => {
      const dir = mkdtempSync(path.join(work, 'hk-accept-'));
      const t = target(dir, {});
      let seen = '';
      const c = await SshConnection.connect(t, { agent: false, onUnknownHostKey: (info) => ((seen = info.fingerprint), true) });
      assert.equal(seen, sshd.hostFingerprint);
      assert.equal((await c.run(['echo', 'hi'])).stdout, 'hi\n');
      c.close();
      assert.match(readFileSync(path.join(dir, 'known_hosts'), 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} ssh-ed25519 `));
      // ssh-keygen agrees the recorded line is for this host and key.
      const found = execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', path.join(dir, 'known_hosts')], { encoding: 'utf8' });
      assert.ok(found.includes(sshd.hostKeyPub.split(' ')[1]!));
      const c2 = await SshConnection.connect(t, { agent: false });
      c2.close();
    });

    test('keys from the SSH agent (no identity file), and ProxyJump through a jump host', async () => {
      const dir = mkdtempSync(path.join(work, 'agent-'));
      writeFileSync(path.join(dir, 'known_hosts'), sshd.knownHostsLine + '\n');
      const sock = path.join(dir, 'agent.sock');
      const out = execFileSync('ssh-agent', ['-s', '-a', sock], { encoding: 'utf8' });
      const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)?.[1]);
      try {
        execFileSync('ssh-add', ['-q', sshd.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
        const t = resolveTarget(parseTarget({ host: '127.0.0.1', port: sshd.port, user: sshd.user, knownHostsFile: path.join(dir, 'known_hosts') }), { sshConfigText: '', homeDir: dir });
        assert.deepEqual(t.identityFiles, [], 'no key file: only the agent can authenticate');
        const c = await SshConnection.connect(t, { agent: sock });
        assert.equal((await c.run(['echo', 'agent'])).stdout, 'agent\n');
        c.close();
        await assert.rejects(SshConnection.connect(t, { agent: false }), /no identity file .* and no SSH agent/);
      } finally {
        if (pid) process.kill(pid);
      }
      // ProxyJump: the sshd is its own jump host; the final hop goes through a direct-tcpip channel.
      const accepted = (): number => sshd.log().split('\n').filter((l) => l.startsWith('Accepted publickey')).length;
      const before = accepted();
      const j = target(dir, { proxyJump: `${sshd.user}@127.0.0.1:${sshd.port}` });
      const c = await SshConnection.connect(j, { agent: false });
      assert.equal((await c.run(['echo', 'jumped'])).stdout, 'jumped\n');
      c.close();
      assert.equal(accepted() - before, 2, 'two logins: the jump host, then the target through it');
    });

    test('hashed known_hosts entries (ssh-keygen -H) are honoured', async () => {
      const dir = mkdtempSync(path.join(work, 'hk-hashed-'));
      const kh = path.join(dir, 'known_hosts');
      writeFileSync(kh, sshd.knownHostsLine + '\n');
      execFileSync('ssh-keygen', ['-H', '-f', kh], { stdio: 'ignore' });
      assert.match(readFileSync(kh, 'utf8'), /^\|1\|/);
      const c = await SshConnection.connect(target(dir, {}), { agent: false });
      c.close();
    });
  });

  test('thirty commands at once on one connection while a long channel is open: all answer (OpenSSH allows MaxSessions 10; the rest wait for a slot)', async () => {
    const dir = mkdtempSync(path.join(work, 'sessions-'));
    // OpenSSH's default limit (the shared test sshd allows 50).
    const strict = await startSshd({ dir: mkdtempSync(path.join(work, 'sshd10-')), extraConfig: ['MaxSessions 10'] });
    writeFileSync(path.join(dir, 'known_hosts'), strict.knownHostsLine + '\n');
    const t = resolveTarget(parseTarget({ host: '127.0.0.1', port: strict.port, user: strict.user, identityFile: strict.clientKey, knownHostsFile: path.join(dir, 'known_hosts'), sudo: false }, path.join(dir, 'target.json')), { sshConfigText: '', homeDir: dir });
    const c = await SshConnection.connect(t, { agent: false });
    try {
      const long = await c.channel(['cat']);
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => c.exec(['echo', String(i)])));
      assert.deepEqual(results.map((r) => r.stdout.trim()), Array.from({ length: 30 }, (_, i) => String(i)));
      assert.ok(results.every((r) => r.code === 0));
      long.end();
    } finally {
      c.close();
      await strict.stop();
    }
  });

  test('hostile names reach the target unchanged and never run as commands', async () => {
    const dir = mkdtempSync(path.join(work, 'hostile-'));
    const canary = path.join(dir, 'CANARY');
    const evil = (tag: string): string => `a b'c"d;e$(touch ${canary}-${tag})\`touch ${canary}-bt${tag}\`&|<>*`;
    const bootDir = path.join(dir, 'board', evil('boot'), 'acrn');
    const board = makeFakeBoard(path.join(dir, 'board'), { bootDir, binDir: path.join(dir, 'board', evil('bin')), kernel: path.join(dir, 'board', evil('kernel'), "vmlinuz 6.1 'x'") });
    const imageName = `acrn ';$(touch CANARY-img)'.bin`;
    const t = boardTarget(dir, board, { imageName, name: `nuc'; $(touch ${canary}-name)`, grubScriptName: `41_acrn nest;$(touch CANARY-g)` });
    const img = fakeImage(64 * 1024);
    const local = path.join(dir, `local ';$(touch CANARY-local)'.bin`);
    writeFileSync(local, img);
    // A scenario whose file name and VM name are hostile too (v2.7 has no pre-launched VM modules to configure).
    let scenario: string | undefined;
    if (hasAcrnData()) {
      const text = loadFile(path.join(acrnTree('v2.7'), 'misc/config_tools/data/cfl-k700-i7/shared.xml')).text.replace(/<name>[^<]*<\/name>/, `<name>vm'; $(touch ${canary}-vm) &amp; "x"</name>`);
      scenario = path.join(dir, `scen ';$(touch CANARY-scen)'.xml`);
      writeFileSync(scenario, text);
    }
    await deploy({ target: t, image: local, ...(scenario ? { scenario } : {}), noReboot: true, connect: { agent: false } });
    assert.equal(sha(readFileSync(path.join(bootDir, imageName))), sha(img));
    if (scenario) assert.equal(sha(readFileSync(path.join(bootDir, `${imageName}.scenario.xml`))), sha(readFileSync(scenario)));
    const script = readFileSync(path.join(board.grubDir, `41_acrn nest;$(touch CANARY-g)`), 'utf8');
    assert.ok(readFileSync(board.grubCfg, 'utf8').includes('--id acrn-nest {'));
    assert.ok(script.includes(`nuc'\\''; $(touch ${canary}-name)`), script);
    // Any exec argument, newlines included, arrives byte for byte.
    const c = await SshConnection.connect(t, { agent: false });
    for (const s of [evil('exec'), 'line1\nline2', "'", '', ' -n ', '$HOME', '\\']) assert.equal((await c.run(['printf', '%s', s])).stdout, s);
    c.close();
    const leftovers = readdirSync(dir).filter((n) => n.startsWith('CANARY'));
    assert.deepEqual(leftovers, [], 'no canary file was created');
    for (const d of [os.homedir(), bootDir, board.grubDir]) assert.deepEqual(readdirSync(d).filter((n) => n.startsWith('CANARY')), [], d);
    assert.ok(existsSync(path.join(dir, 'board', evil('kernel'))), 'the hostile folder itself exists, as a folder');
  });
});
