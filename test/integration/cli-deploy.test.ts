/**
 * `acrn-nest deploy` (hv-core/cli/deploy.ts via runCli, in-process) against THE BOARD SIMULATOR:
 * steps printed, exit codes, the host-key flow (unknown: refused with the fingerprint and the
 * flag named; --accept-new-host-key: recorded; changed: refused even with the flag), target-file
 * errors naming the field and the file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { generateEd25519 } from '../../hv-core/ssh-target/keys';
import { BoardSimulator } from '../support/sim/board-simulator';
import { runCli } from '../../hv-core/cli/main';
import { removeDir } from './sshd';
import { writeMultiboot2Header } from '../../hv-core/deploy/grub';

let dir: string;
let sim: BoardSimulator;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['deploy', ...args], { out: (l) => out.push(l), err: (l) => err.push(l), cwd: dir, env: process.env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-cli-deploy-'));
  const keys = generateEd25519();
  writeFileSync(path.join(dir, 'id'), keys.private, { mode: 0o600 });
  sim = await BoardSimulator.start({ dir: path.join(dir, 'board'), authorizedKeys: [keys.public], rebootDelayMs: 200 });
  writeFileSync(path.join(dir, 'target.json'), JSON.stringify({ name: 'sim', host: '127.0.0.1', port: sim.port, user: 'acrn', identityFile: 'id', knownHostsFile: 'known_hosts' }));
  const img = randomBytes(64 * 1024);
  writeMultiboot2Header(img);
  writeFileSync(path.join(dir, 'acrn.bin'), img);
});
after(async () => {
  await sim?.stop();
  removeDir(dir);
});

test('unknown host key: exit 1, the fingerprint and the flag are named, nothing recorded', async () => {
  const r = await cli(['--target-file', 'target.json', '--image', 'acrn.bin', '--no-reboot']);
  assert.equal(r.code, 1);
  assert.ok(r.err.includes(sim.hostFingerprint), r.err);
  assert.ok(r.err.includes('--accept-new-host-key'), r.err);
  assert.match(r.err, /step 1 \(check/);
  assert.equal(existsSync(path.join(dir, 'known_hosts')), false);
});

test('--accept-new-host-key records the key; each step is printed; exit 0; then a full deploy with reboot', async () => {
  const r = await cli(['--target-file', 'target.json', '--image', 'acrn.bin', '--no-reboot', '--accept-new-host-key']);
  assert.equal(r.code, 0, r.err);
  assert.ok(r.out.includes(`accepted the new host key of sim (acrn@127.0.0.1:${sim.port}): ssh-ed25519 ${sim.hostFingerprint}`), r.out);
  for (const s of ['[1/5] check done', '[2/5] upload done', '[3/5] grub done', '[4/5] reboot skipped', '[5/5] verify skipped']) assert.ok(r.out.includes(s), `${s}\n${r.out}`);
  assert.match(readFileSync(path.join(dir, 'known_hosts'), 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sim.port} ssh-ed25519 `));
  const r2 = await cli(['--target-file', 'target.json', '--image', 'acrn.bin', '--timeout', '20']);
  assert.equal(r2.code, 0, r2.err);
  assert.match(r2.out, /\[5\/5\] verify done: the new image runs .*acrn_nest.image=/);
  assert.equal(sim.grubEnv().saved_entry, 'acrn-nest');
});

test('changed host key: refused, even with --accept-new-host-key', async () => {
  const other = generateEd25519();
  const kh = path.join(dir, 'known_hosts');
  const saved = readFileSync(kh, 'utf8');
  writeFileSync(kh, `[127.0.0.1]:${sim.port} ${other.public.split(' ').slice(0, 2).join(' ')}\n`);
  const r = await cli(['--target-file', 'target.json', '--image', 'acrn.bin', '--no-reboot', '--accept-new-host-key']);
  writeFileSync(kh, saved);
  assert.equal(r.code, 1);
  assert.match(r.err, /HAS CHANGED/);
  assert.match(r.err, /no flag to override/);
});

test('after the deploy, the hypervisor console of a target without a console setting is the hypervisor log over SSH (the simulator answers its script)', async () => {
  assert.equal(sim.acrnRunning, true, 'the full deploy above left ACRN running');
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough();
  stdout.on('data', (d: Buffer) => out.push(d.toString()));
  const code = await runCli(['console', '--target-file', 'target.json', '--until', 'started on pCPU', '--timeout', '20'], { out: (l) => out.push(l), err: (l) => err.push(l), cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdin: new PassThrough(), stdout });
  assert.equal(code, 0, err.join('\n'));
  assert.match(err.join('\n'), /hypervisor log \(acrnlog\) on sim/);
  assert.match(out.join(''), /\[1000us\]\[cpu=0\]\[sev=3\]\[seq=1\]:ACRN Hypervisor \(simulated by acrn-nest board simulator\), boot id [0-9a-f-]+, entry 'acrn-nest'/);
  assert.ok(sim.commandLog.some((l) => l.startsWith('sh -c ') && l.includes('/dev/acrn_hvlog_cur_')), 'it ran the console script');
});

test('target file errors name the field and the file (exit 2); usage errors exit 2', async () => {
  writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ host: 'x', port: 'twenty-two' }));
  const r = await cli(['--target-file', 'bad.json', '--image', 'acrn.bin']);
  assert.equal(r.code, 2);
  assert.ok(r.err.includes(`${path.join(dir, 'bad.json')}: field "port": must be an integer 1..65535`), r.err);
  const u = await cli(['--image', 'acrn.bin']);
  assert.equal(u.code, 2);
  assert.match(u.err, /--target-file FILE is required/);
});
