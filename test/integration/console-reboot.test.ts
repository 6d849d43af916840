/**
 * The hypervisor console across a board reboot, against the board simulator (test/support/sim: the
 * NUC's reboot and its console server, which we lack as hardware): the session drops, says why
 * while the board is down, reconnects by itself with a timed 'reconnected' event, and keeps the
 * history. Also the CLI (`acrn-nest console`) against the same console, as a script would use it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { utils } from 'ssh2';
import { runCli } from '../../hv-core/cli/main';
import { ConsoleSession } from '../../hv-core/console/session';
import { TcpSource } from '../../hv-core/console/tcp';
import { BoardSimulator } from '../support/sim/board-simulator';
import { shq } from '../../hv-core/ssh-target/quote';
import { REPO } from '../unit/helpers';
import { Recorder } from './console-helpers';

describe('hypervisor console across a reboot of the board simulator', { timeout: 60_000 }, () => {
  let sim: BoardSimulator;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-sim-console-'));
    const client = utils.generateKeyPairSync('ed25519');
    sim = await BoardSimulator.start({ dir, authorizedKeys: [client.public], consoleDropsOnReboot: true, rebootDelayMs: 400 });
  });
  after(async () => {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drops, explains, reconnects by itself with a timed event, keeps history', async () => {
    const session = new ConsoleSession(new TcpSource({ host: '127.0.0.1', port: sim.consolePort }), { backoff: { initialMs: 50, maxMs: 200 } });
    const rec = new Recorder(session);
    await session.start();
    await rec.waitText(/hypervisor console/, 5000);
    const bootsBefore = sim.bootCount;
    const mark = rec.events.length;
    const t0 = Date.now();
    sim.reboot();
    await rec.waitText(/rebooting \.\.\./, 5000);
    await rec.waitEvent('disconnected', 5000, mark);
    const ev = await rec.waitEvent('reconnected', 15_000, mark);
    assert.ok(sim.bootCount > bootsBefore, 'the board really rebooted');
    assert.ok(ev.time.getTime() >= t0 && ev.time.getTime() <= Date.now(), 'the reconnected event carries the time');
    assert.ok(rec.events.slice(mark).some((e) => e.type === 'error' && /connection refused \(nothing listening there, or the board is rebooting\)/.test(e.message)), rec.events.map((e) => `${e.type}: ${e.message}`).join(' | '));
    await rec.waitUntil(() => (rec.text.match(/hypervisor console/g) ?? []).length >= 2, 'the console banner again after the reboot', 5000);
    assert.match(session.history.contents().toString(), /rebooting \.\.\.[\s\S]*hypervisor console/, 'history spans the reboot');
    await session.close();
  });

  it('acrn-nest console works in a script: --until exits 0 on a match, --timeout bounds it, bad targets exit 1 or 2', async () => {
    const tf = path.join(dir, 'target.json');
    writeFileSync(tf, JSON.stringify({ name: 'sim', host: '127.0.0.1', port: sim.port, user: 'acrn', console: { type: 'tcp', host: '127.0.0.1', port: sim.consolePort } }));
    const run = async (args: string[]): Promise<{ code: number; out: string; err: string }> => {
      const stdout = new PassThrough();
      let out = '';
      stdout.on('data', (d: Buffer) => (out += d.toString()));
      const errs: string[] = [];
      const code = await runCli(args, { out: (l) => (out += l + '\n'), err: (l) => errs.push(l), cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdin: new PassThrough(), stdout });
      return { code, out, err: errs.join('\n') };
    };
    const ok = await run(['console', '--target-file', tf, '--until', 'ACRN is not running', '--timeout', '20']);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /hypervisor console: ACRN is not running/);
    assert.match(ok.err, /ACRN hypervisor console — sim \(tcp 127\.0\.0\.1:\d+\)/, 'banner on stderr');
    assert.match(ok.err, /Ctrl\+Space/, 'the banner documents the vm_console escape');

    const to = await run(['console', '--target-file', tf, '--until', 'never printed', '--timeout', '0.5']);
    assert.equal(to.code, 1);
    assert.match(to.err, /--timeout 0\.5 s reached without output matching/);

    writeFileSync(tf, JSON.stringify({ host: '127.0.0.1', console: { type: 'tcp', host: '127.0.0.1', port: 70000 } }));
    const bad = await run(['console', '--target-file', tf]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /target\.json: field "console\.port": must be an integer 1\.\.65535, not 70000/);
    const usage = await run(['console']);
    assert.equal(usage.code, 2);
  });

  it('acrn-nest console on a terminal (raw mode through a pty from util-linux script): Ctrl-] quits with status 0', async () => {
    const tf = path.join(dir, 'tty-target.json');
    writeFileSync(tf, JSON.stringify({ name: 'sim', host: '127.0.0.1', port: sim.port, user: 'acrn', console: { type: 'tcp', host: '127.0.0.1', port: sim.consolePort } }));
    const cmd = `${shq(process.execPath)} --import tsx ${shq(path.join(REPO, 'hv-core', 'cli', 'main.ts'))} console --target-file ${shq(tf)}`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const seen = (re: RegExp, ms: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!re.test(out)) return;
          clearTimeout(t);
          child.stdout.off('data', check);
          resolve();
        };
        const t = setTimeout(() => reject(new Error(`no ${re} within ${ms} ms: ${JSON.stringify(out.slice(-500))}`)), ms);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          check();
        });
        check();
      });
    await seen(/Ctrl-\] quits/, 30_000);
    await seen(/ACRN is not running/, 30_000);
    child.stdin.write('\x1d');
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 15_000))]);
    if (code === 'timeout') child.kill('SIGKILL');
    assert.equal(code, 0, `Ctrl-] must end the console with status 0: ${JSON.stringify(out.slice(-300))}`);
  });
});
