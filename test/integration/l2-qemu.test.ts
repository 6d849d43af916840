/**
 * L2 guests for real: Debian's QEMU started through a real OpenSSH sshd on loopback, under TCG (no
 * /dev/kvm on CI, so accel tcg is asked for explicitly), booting Debian's real kernel (downloaded
 * and extracted by scripts/fetch-test-kernel.sh, never installed). Its boot lines must reach the
 * console attached through SSH streamlocal forwarding; stop must end the process.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { PassThrough } from 'node:stream';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../hv-core/cli/main';
import { ConsoleSession } from '../../hv-core/console/session';
import { L2ConsoleSource } from '../../hv-core/console/remoteSources';
import { sshHostProvider } from '../../hv-core/console/ssh';
import { L2Error, L2Manager } from '../../hv-core/l2/manager';
import { L2SpecError } from '../../hv-core/l2/qemu';
import { REPO } from '../unit/helpers';
import { Recorder, loopbackTarget, pidAlive } from './console-helpers';
import type { Sshd } from './sshd';
import { startSshd } from './sshd';

function testKernel(): string {
  const dir = path.join(REPO, '.e2e', 'kernel', 'root', 'boot');
  const k = existsSync(dir) ? readdirSync(dir).find((f) => f.startsWith('vmlinuz-')) : undefined;
  if (!k) throw new Error(`no test kernel in ${dir}: run bash scripts/fetch-test-kernel.sh (scripts/install-deps.sh does)`);
  return path.join(dir, k);
}

function qemuPids(marker: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe('L2 guests: real QEMU through a real sshd', () => {
  let sshd: Sshd;
  let provider: ReturnType<typeof sshHostProvider>;
  let runDir: string;
  let kernel: string;
  const hostLabel = 'loopback';

  before(async () => {
    kernel = testKernel();
    sshd = await startSshd();
    const { target } = loopbackTarget(sshd);
    provider = sshHostProvider(target);
    // A run dir with a space and both quote kinds: every remote word must be quoted, every QEMU option value escaped.
    runDir = path.join(os.tmpdir(), `acrn-nest l2 it's "q" ${process.pid}`);
    mkdirSync(runDir, { recursive: true });
  });

  after(async () => {
    for (const pid of qemuPids(`acrn-nest l2 it's`)) process.kill(pid, 'SIGKILL');
    provider?.close();
    await sshd?.stop();
    if (runDir) rmSync(runDir, { recursive: true, force: true });
  });

  it('refuses to launch without /dev/kvm unless accel tcg is asked for, and says why', async (t) => {
    if (existsSync('/dev/kvm')) return t.skip('this machine has /dev/kvm');
    const m = new L2Manager(await provider(), { runDir });
    await assert.rejects(m.launch({ name: 'nokvm', kernel, append: 'console=ttyS0', memory: '256M', smp: 1, net: { type: 'none' } }), (e: Error) => {
      assert.ok(e instanceof L2Error, String(e));
      assert.match(e.message, /\/dev\/kvm is missing/);
      assert.match(e.message, /CONFIG_KVM=y/);
      assert.match(e.message, /--accel tcg/);
      return true;
    });
    assert.deepEqual(qemuPids('guest=nokvm'), [], 'no QEMU process may be left');
  });

  it('boots a real kernel under TCG; its boot lines reach the console over SSH streamlocal; stop ends QEMU', async () => {
    const m = new L2Manager(await provider(), { runDir, powerdownTimeoutMs: 2000 });
    const g = await m.launch({ name: 'tcg1', kernel, append: 'console=ttyS0 panic=-1', memory: '256M', smp: 1, accel: 'tcg', net: { type: 'none' } });
    assert.ok(g.pid && pidAlive(g.pid), 'QEMU runs detached');
    const session = new ConsoleSession(new L2ConsoleSource(provider, 'tcg1', hostLabel, { runDir }), { backoff: { initialMs: 50, maxMs: 200 } });
    const rec = new Recorder(session);
    await session.start();
    await rec.waitText(/Linux version \d+\.\d+/, 60_000);
    await rec.waitText(/Command line: console=ttyS0/, 30_000);

    const listed = await m.list();
    const me = listed.find((x) => x.name === 'tcg1');
    assert.ok(me?.running, `listed as running: ${JSON.stringify(listed)}`);
    assert.equal(me.pid, g.pid);
    assert.equal(me.spec?.accel, 'tcg');

    const mark = rec.events.length;
    const res = await m.stop('tcg1');
    assert.ok(['powerdown', 'terminated', 'killed'].includes(res.how), res.how);
    assert.equal(pidAlive(g.pid!), false, `pid ${g.pid} must be gone after stop`);
    await rec.waitEvent('disconnected', 10_000, mark);
    // The guest is gone: the console says so and stops retrying.
    await rec.waitEvent('closed', 10_000, mark);
    assert.ok(rec.events.slice(mark).some((e) => e.type === 'error' && /not running/.test(e.message)), rec.events.map((e) => e.message).join(' | '));
    const after = await m.list();
    assert.equal(after.find((x) => x.name === 'tcg1')?.running, false);
    await session.close();
  });

  it('bad input: bad names, missing kernel, over-long socket paths: clear errors, no QEMU left behind', async () => {
    const m = new L2Manager(await provider(), { runDir });
    await assert.rejects(m.launch({ name: `x'; reboot`, kernel, accel: 'tcg' }), (e: Error) => e instanceof L2SpecError && /not a guest name/.test(e.message));
    await assert.rejects(m.launch({ name: 'nokernel', kernel: path.join(runDir, 'no such kernel'), accel: 'tcg', net: { type: 'none' } }), (e: Error) => e instanceof L2Error && /kernel .*no such kernel not found/.test(e.message));
    const long = new L2Manager(await provider(), { runDir: path.join(runDir, 'x'.repeat(90)) });
    await assert.rejects(long.launch({ name: 'long', kernel, accel: 'tcg' }), (e: Error) => e instanceof L2SpecError && /Unix sockets allow 107/.test(e.message));
    await assert.rejects(m.stop('never-launched'), (e: Error) => e instanceof L2Error && /no such guest/.test(e.message));
    assert.deepEqual(qemuPids(`acrn-nest l2 it's`), [], 'no QEMU process may be left');
  });

  it('CLI: l2 launch refuses without /dev/kvm and --accel tcg; l2 list; doctor names failed checks with fixes and recipe steps', async (t) => {
    const { file } = loopbackTarget(sshd, { l2: { runDir } });
    const run = async (args: string[]): Promise<{ code: number; out: string; err: string }> => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), cwd: REPO, env: process.env });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    if (!existsSync('/dev/kvm')) {
      const r = await run(['l2', 'launch', '--target-file', file, '--name', 'clikvm', '--kernel', kernel, '--net', 'none']);
      assert.equal(r.code, 1);
      assert.match(r.err, /launch refused: \/dev\/kvm is missing.*--accel tcg/s);
    } else t.diagnostic('this machine has /dev/kvm: the refusal is not exercised');
    const l = await run(['l2', 'list', '--target-file', file]);
    assert.equal(l.code, 0, l.err);
    assert.match(l.out, /tcg1\s+stopped/);
    const u = await run(['l2', 'launch', '--target-file', file, '--name', 'x', '--disk', '/a', '--kernel', '/b']);
    assert.equal(u.code, 2);
    const d = await run(['doctor', '--target-file', file]);
    assert.equal(d.code, 1, 'this CI machine is not an ACRN Service VM');
    assert.match(d.out, /FAIL {2}Service VM: running on ACRN — no \/dev\/acrn_hsm/);
    assert.match(d.out, /fix: .*\n {6}see: nvmx_virtualization\.rst: "Prepare for Service VM Kernel and rootfs"/);
    assert.match(d.out, /ok {4}Service VM: qemu-system-x86_64 installed — \/usr\/bin\/qemu-system-x86_64/);
  });

  it('CLI end to end: l2 launch --accel tcg, console --l2 shows the boot, l2 stop ends QEMU', async () => {
    const { file } = loopbackTarget(sshd, { l2: { runDir, powerdownTimeoutMs: 1000 } });
    const run = async (args: string[]): Promise<{ code: number; out: string; err: string }> => {
      const stdout = new PassThrough();
      let out = '';
      stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
      const err: string[] = [];
      const code = await runCli(args, { out: (l) => (out += l + '\n'), err: (l) => err.push(l), cwd: REPO, env: { ...process.env, NO_COLOR: '1' }, stdin: new PassThrough(), stdout });
      return { code, out, err: err.join('\n') };
    };
    const l = await run(['l2', 'launch', '--target-file', file, '--name', 'cli1', '--kernel', kernel, '--append', 'console=ttyS0 panic=-1', '--memory', '256M', '--smp', '1', '--accel', 'tcg', '--net', 'none']);
    assert.equal(l.code, 0, l.err);
    assert.match(l.err, /WITHOUT KVM \(accel tcg, as asked\)/);
    const pid = Number(/pid (\d+)/.exec(l.out)?.[1]);
    assert.ok(pidAlive(pid), l.out);
    const c = await run(['console', '--target-file', file, '--l2', 'cli1', '--until', 'Linux version \\d', '--timeout', '60']);
    assert.equal(c.code, 0, c.err);
    assert.match(c.out, /Linux version \d+\.\d+/);
    assert.match(c.err, /L2 guest cli1 — serial console/);
    const st = await run(['l2', 'stop', '--target-file', file, '--name', 'cli1']);
    assert.equal(st.code, 0, st.err);
    assert.match(st.out, /cli1: (powered down|did not power down in time: terminated|killed)/);
    assert.equal(pidAlive(pid), false, `pid ${pid} must be gone`);
  });

  it('attaching to a guest that is not running fails clearly and does not retry', async () => {
    const session = new ConsoleSession(new L2ConsoleSource(provider, 'ghost', hostLabel, { runDir }));
    await assert.rejects(session.start(), /L2 guest ghost on loopback: no such guest/);
    await session.close();
  });
});
