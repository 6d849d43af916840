/**
 * `acrn-nest lab` against A REAL LAVA: Debian's lava-server and lava-dispatcher 2023.01 started
 * by the test (PostgreSQL, gunicorn on 127.0.0.1, the scheduler, a worker of its own; see
 * lava-harness.ts), the ACRN board's device type from hv-core/lab/device/, and virtual boards
 * (hv-core/boardvm, the Xen stand-in) as LAVA devices whose flasher is `acrn-nest lab flash` (the
 * deploy, reading the console), whose power is `acrn-nest board-vm power-cycle` and whose console
 * is `acrn-nest console`.
 *
 * - bad input, cheap (no board boots): an unreachable lab, a bad token, an unknown device type,
 *   a template LAVA refuses (shown at the template's line), no token: each a clear error and
 *   nothing submitted (the lab's newest job id is unchanged);
 * - `acrn-nest lab run --count N --scenario FILE --wait` with the stand-in image on N virtual
 *   boards, N LAVA devices: every job passes (deploy, console login, smoke test), the log streams
 *   into the CLI while the job runs, each job's results name the board it ran on and the image it
 *   booted, and on each board (read over SSH) that image runs and the scenario lies beside it.
 *   N is ACRN_NEST_LAB_BOARDS (default 2, see below); each board is a TCG VM.
 * - a job with a real ACRN image, which panics under QEMU: the job fails, lab run exits 1, the
 *   panic is in the log, the board is back on its previous image.
 * - a v3 scenario with a pre-launched VM: LAVA downloads its ACPI tables (the tar lab run packs)
 *   and hands the flasher their path, on a board whose acrn-nest only records what it gets.
 * - with fewer than two virtual boards, two jobs at once on LAVA's own qemu device type instead:
 *   the client's side of several boards.
 * Skips, naming what is missing, without lava-server (scripts/install-deps.sh installs it) or
 * without the virtual board's host tools.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BoardVm, missingHostTools } from '../../hv-core/boardvm/vm';
import { LavaClient } from '../../hv-core/lab/lava';
import { ACRN_BOARD_TEMPLATE } from '../../hv-core/lab/template';
import { unpackAcpiTables } from '../../hv-core/cli/labFlash';
import { SshConnection, loadTargetFile, resolveTarget } from '../../hv-core/ssh-target';
import { installAcrnBoardType, lavaMissing, manage, startLab, virtualBoardDictionary } from './lava-harness';
import type { Lab } from './lava-harness';
import { REPO } from '../acrn-data';

const CLI = path.join(REPO, 'dist', 'cli.js');
const missingLava = lavaMissing();
const skipLava = missingLava.length ? `a local LAVA lab needs: ${missingLava.join(', ')} (bash scripts/install-deps.sh installs them)` : false;
// The ACRN-board job runs on two virtual boards at once by default, as the issue asks (each a TCG
// VM; measured on the quiet 2-core machine with the static-network image: 217.5 s submit to
// results, docs/lab.md). ACRN_NEST_LAB_BOARDS=N for N boards, 0 for none.
const BOARDS = Number(process.env.ACRN_NEST_LAB_BOARDS || 2);
const missingVm = missingHostTools('xen-standin');
const skipVm = skipLava || (missingVm.length ? `the virtual board needs: ${missingVm.join(', ')} (bash scripts/install-deps.sh installs them)` : !BOARDS ? 'ACRN_NEST_LAB_BOARDS=0: the ACRN-board job on virtual boards is left out' : false);
const QEMU_BOARDS = 2;
const KERNEL = (() => {
  const dir = path.join(REPO, '.e2e', 'kernel', 'root', 'boot');
  try {
    const f = readdirSync(dir).find((n) => n.startsWith('vmlinuz-'));
    return f ? path.join(dir, f) : undefined;
  } catch {
    return undefined;
  }
})();
const skipQemu =
  skipLava ||
  (BOARDS >= 2 && !missingVm.length ? `${BOARDS} virtual boards run the several-boards job (this one stands in for it with ACRN_NEST_LAB_BOARDS below 2)` : false) ||
  (!KERNEL ? 'no test kernel in .e2e/kernel (bash scripts/fetch-test-kernel.sh)' : !existsSync('/bin/busybox') ? 'busybox-static (the qemu board\'s initramfs) is not installed (bash scripts/install-deps.sh installs it)' : !existsSync('/usr/bin/cpio') ? 'cpio is not installed' : false);

// A job whose board fails to boot: a real ACRN v3.3 image built here (acrn-nest build of ACRN's
// sources for its qemu board), which panics under QEMU ('hardware not support!', no VMX under
// TCG). In by default; ACRN_NEST_LAB_PANIC=0 leaves it out (measured 239 s with its build).
const ACRN_SRC = path.join(REPO, '..', 'shared', 'acrn-src', 'v3.3');
const skipPanic = process.env.ACRN_NEST_LAB_PANIC === '0' ? 'ACRN_NEST_LAB_PANIC=0: the failed-boot job (a real ACRN image) is left out' : !existsSync(ACRN_SRC) ? `no ACRN v3.3 sources at ${ACRN_SRC} to build the real image from` : false;

/** acrn-nest build of ACRN v3.3 for QEMU's board (the shared scenario); resolves to acrn.bin. */
function buildAcrn(dir: string): Promise<string> {
  const tree = path.join(dir, 'acrn');
  cpSync(ACRN_SRC, tree, { recursive: true });
  spawnSync('chmod', ['-R', 'u+w', tree]);
  const data = path.join(tree, 'misc/config_tools/data/qemu');
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CLI, 'build', '--acrn-tree', tree, '--board', path.join(data, 'qemu.xml'), '--scenario', path.join(data, 'shared.xml'), '--python', '/usr/bin/python3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('close', (code) => (code === 0 ? resolve(out.trim().split('\n').pop()!) : reject(new Error(`acrn-nest build exited ${code}:\n${err.slice(-4000)}`))));
  });
}

/** A shell on a virtual board as its user (the board's own key and pinned host key). */
async function boardSh(vm: BoardVm, script: string): Promise<string> {
  const c = await SshConnection.connect(resolveTarget(loadTargetFile(vm.file.target), { sshConfigText: '' }), { agent: false, readyTimeoutMs: 30_000 });
  try {
    return (await c.run(['sh', '-c', script], { timeoutMs: 60_000 })).stdout;
  } finally {
    c.close();
  }
}

interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI; `onOut` sees stdout as it comes (to check the log streams while the job runs). */
function cli(args: string[], o: { env?: NodeJS.ProcessEnv; onOut?: (chunk: string) => void; cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ACRN_NEST_LAB_TOKEN: '', ...o.env };
    const c = spawn(process.execPath, [CLI, ...args], { env, cwd: o.cwd ?? REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      o.onOut?.(d.toString());
    });
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code: code ?? 1, out, err }));
  });
}

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

describe('acrn-nest lab against a real LAVA (lava-server 2023.01 on 127.0.0.1)', { skip: skipLava }, () => {
  let lab: Lab;
  let work: string;
  let tokenFile: string;
  let client: LavaClient;
  const id = `${process.pid}`;
  const newestJob = async (): Promise<number> => (await client.jobs({ limit: 1 }))[0]?.id ?? 0;

  before(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-lab-'));
    lab = await startLab({ id });
    tokenFile = path.join(work, 'token');
    writeFileSync(tokenFile, `${lab.token}\n`, { mode: 0o600 });
    client = new LavaClient({ url: lab.url, token: lab.token });
    installAcrnBoardType(REPO);
    // A board for the bad-input cases that is never booted: its commands would fail if run.
    lab.addDevice(`acrn-nest-t${id}-idle`, 'acrn-board', "{% extends 'acrn-board.jinja2' %}\n{% set acrn_nest = '/bin/false' %}\n", [`acrn-nest-t${id}-idle`]);
    // Offline from the start so no job of these cases can run on it.
    manage('devices', 'update', '--health', 'MAINTENANCE', `acrn-nest-t${id}-idle`);
  });
  after(async () => {
    await lab?.stop();
    if (work) spawnSync('rm', ['-rf', work]);
  });

  const image = (): string => {
    const f = path.join(work, 'acrn.bin');
    writeFileSync(f, 'not booted by these cases\n');
    return f;
  };

  test('an unreachable lab: named by host and port, exit 1', async () => {
    const port = await closedPort();
    const r = await cli(['lab', 'run', '--lab', `http://127.0.0.1:${port}/`, '--token-file', tokenFile, '--device-type', 'acrn-board', '--image', image()]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, new RegExp(`cannot reach the lab at 127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
  });

  test('a bad token: refused by the lab, the token never printed, nothing submitted', async () => {
    const before = await newestJob();
    const bad = path.join(work, 'bad-token');
    writeFileSync(bad, 'not-a-token-s3cr3t\n');
    const r = await cli(['lab', 'run', '--lab', lab.url, '--token-file', bad, '--device-type', 'acrn-board', '--image', image()]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /refused GET \/api\/v0\.2\/devicetypes\/: the token was refused \(HTTP 40[13]: Invalid token\.\)/);
    assert.ok(!(r.out + r.err).includes('s3cr3t'), 'the token is not printed');
    const env = await cli(['lab', 'jobs', '--lab', lab.url], { env: { ACRN_NEST_LAB_TOKEN: 'not-a-token-s3cr3t' } });
    assert.equal(env.code, 1, 'the environment variable is used too');
    assert.equal(await newestJob(), before);
  });

  test('no token: submitting says how to give one, nothing submitted', async () => {
    const before = await newestJob();
    const r = await cli(['lab', 'run', '--lab', lab.url, '--device-type', 'acrn-board', '--image', image()]);
    assert.equal(r.code, 1);
    assert.match(r.err, /needs its API token: --token-file FILE or ACRN_NEST_LAB_TOKEN/);
    assert.equal(await newestJob(), before);
  });

  test('an unknown device type: the lab\'s types are listed, nothing submitted', async () => {
    const before = await newestJob();
    const r = await cli(['lab', 'run', '--lab', lab.url, '--token-file', tokenFile, '--device-type', 'acrn-nuc-nosuch', '--image', image()]);
    assert.equal(r.code, 1);
    assert.match(r.err, /has no device type 'acrn-nuc-nosuch' \(it has: [^)]*acrn-board/);
    assert.equal(await newestJob(), before);
  });

  test('a template LAVA refuses: its error at the template file\'s line (schema key and YAML syntax), nothing submitted', async () => {
    const before = await newestJob();
    const lines = ACRN_BOARD_TEMPLATE.split('\n');
    const at = lines.findIndex((l) => l.startsWith('priority:'));
    lines[at] = 'priority: urgent';
    const bad = path.join(work, 'bad-priority.yaml');
    writeFileSync(bad, lines.join('\n'));
    // The board is in maintenance: the checks before the submit pass only with --device-type's
    // board usable, so give the idle board back for this one submit attempt.
    manage('devices', 'update', '--health', 'UNKNOWN', `acrn-nest-t${id}-idle`);
    try {
      const r = await cli(['lab', 'run', '--lab', lab.url, '--token-file', tokenFile, '--device-type', 'acrn-board', '--image', image(), '--job-template', bad]);
      assert.equal(r.code, 1, r.err);
      assert.ok(r.err.includes(`${bad}:${at + 1}: LAVA refused the job at priority: Problem with submitted job data: not a valid value for dictionary value @ data['priority'] (nothing was submitted)`), r.err);
      const syntax = path.join(work, 'bad-yaml.yaml');
      const l2 = ACRN_BOARD_TEMPLATE.split('\n');
      const j = l2.findIndex((l) => l === '  job:');
      l2[j] = '  job: [';
      writeFileSync(syntax, l2.join('\n'));
      const s = await cli(['lab', 'run', '--lab', lab.url, '--token-file', tokenFile, '--device-type', 'acrn-board', '--image', image(), '--job-template', syntax]);
      assert.equal(s.code, 1, s.err);
      assert.ok(s.err.includes(`${syntax}:${j + 1}: LAVA refused the job at line ${j + 1}, column`), s.err);
    } finally {
      manage('devices', 'update', '--health', 'MAINTENANCE', `acrn-nest-t${id}-idle`);
    }
    assert.equal(await newestJob(), before);
  });

  test('lab devices, --device NAME, cancel: a job for a board in maintenance waits, is cancelled, and its results exit 1', async () => {
    const idle = `acrn-nest-t${id}-idle`;
    const anon = await cli(['lab', 'devices', '--lab', lab.url, '--device-type', 'acrn-board']);
    assert.equal(anon.code, 0, `devices are public: ${anon.err}`);
    assert.match(anon.out, new RegExp(`^${idle}\\s+acrn-board\\s+Idle\\s+Maintenance\\s`, 'm'));
    const ds = await cli(['lab', 'devices', '--lab', lab.url, '--token-file', tokenFile, '--device-type', 'acrn-board', '--json']);
    assert.equal(ds.code, 0, ds.err);
    const d = (JSON.parse(ds.out) as { hostname: string; health: string; state: string; tags: string[] }[]).find((x) => x.hostname === idle);
    assert.deepEqual(d && { health: d.health, state: d.state, tags: d.tags }, { health: 'Maintenance', state: 'Idle', tags: [idle] });
    const none = await cli(['lab', 'run', '--lab', lab.url, '--token-file', tokenFile, '--device-type', 'acrn-board', '--device', 'no-such-board', '--image', image()]);
    assert.equal(none.code, 1);
    assert.match(none.err, /has no device 'no-such-board' of type acrn-board \(it has: [^)]*acrn-nest-t/);
    const r = await cli(['lab', 'run', '--lab', lab.url, '--token-file', tokenFile, '--device-type', 'acrn-board', '--device', idle, '--image', image()]);
    assert.equal(r.code, 0, r.err);
    const jid = Number(/^submitted job (\d+) for (\S+): /m.exec(r.out)?.[1]);
    assert.ok(jid > 0, r.out);
    const job = await client.job(jid);
    assert.equal(job.state, 'Submitted', 'it waits: its board is in maintenance');
    const c = await cli(['lab', 'cancel', '--lab', lab.url, '--token-file', tokenFile, String(jid)]);
    assert.equal(c.code, 0, c.err);
    assert.match(c.out, new RegExp(`job ${jid}: Job cancel signal sent`));
    // Cancelling a job that never started ends it at once (the scheduler is not involved).
    const after = await client.job(jid);
    assert.deepEqual([after.state, after.health], ['Finished', 'Canceled']);
    const res = await cli(['lab', 'results', '--lab', lab.url, String(jid)]);
    assert.equal(res.code, 1, 'a cancelled job is no pass');
    assert.match(res.out, new RegExp(`job ${jid}: Finished / Canceled`));
  });

  test('a v3 scenario with a pre-launched VM: LAVA downloads the ACPI tables lab run packed, checks their SHA-256 and hands the flasher their path', async () => {
    // A board whose "acrn-nest" is a recorder: the flasher's arguments and what they point at.
    const rec = mkdtempSync(path.join(work, 'recorder-'));
    const recorder = path.join(rec, 'acrn-nest');
    writeFileSync(recorder, `#!/bin/sh\nprintf '%s\\n' "$@" > ${rec}/args\nwhile [ $# -gt 0 ]; do case "$1" in --acpi) cp "$2" ${rec}/got.tar;; --scenario) cp "$2" ${rec}/got.xml;; esac; shift; done\n`, { mode: 0o755 });
    const name = `acrn-nest-t${id}-rec`;
    lab.addDevice(name, 'acrn-board', `{% extends 'acrn-board.jinja2' %}\n{% set acrn_nest = '${recorder}' %}\n`, [name]);
    const build = mkdtempSync(path.join(work, 'hybrid-build-'));
    const img = path.join(build, 'acrn.bin');
    writeFileSync(img, 'an image the recorder never boots\n');
    mkdirSync(path.join(build, 'acpi'));
    const table = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7) & 0xff));
    writeFileSync(path.join(build, 'acpi', 'ACPI_VM0.bin'), table);
    const scenario = path.join(build, 'hybrid.xml');
    writeFileSync(scenario, '<?xml version="1.0"?>\n<acrn-config>\n  <hv><FEATURES><RELOC_ENABLED>y</RELOC_ENABLED></FEATURES></hv>\n  <vm id="0"><load_order>PRE_LAUNCHED_VM</load_order><name>RTVM</name><os_config><kern_mod>Zephyr_RawImage</kern_mod></os_config></vm>\n  <vm id="1"><load_order>SERVICE_VM</load_order><name>ACRN_Service_VM</name><os_config><kern_mod>Linux_bzImage</kern_mod></os_config></vm>\n</acrn-config>\n');
    // The built-in job's deploy alone (its boot and tests need a board, which the recorder is not).
    const lines = ACRN_BOARD_TEMPLATE.split('\n');
    const tpl = path.join(build, 'deploy-only.yaml');
    writeFileSync(tpl, lines.slice(0, lines.findIndex((l) => l === '- boot:')).join('\n') + '\n');
    let r: CliRun;
    try {
      r = await cli(['lab', 'run', '--lab', lab.url, '--token-file', tokenFile, '--device-type', 'acrn-board', '--device', name, '--image', img, '--scenario', scenario, '--job-template', tpl, '--wait'], { env: { ACRN_NEST_LAB_POLL_MS: '1000' } });
    } finally {
      // Out of the way of the untagged jobs below (lab run --count N), which it would not boot.
      manage('devices', 'update', '--health', 'MAINTENANCE', name);
    }
    const jid = Number(/^submitted job (\d+)/m.exec(r.out)?.[1]);
    assert.ok(jid > 0, `${r.out}\n${r.err}`);
    const job = await client.job(jid);
    assert.deepEqual([job.state, job.health], ['Finished', 'Complete'], `${r.out.slice(-4000)}\n${r.err}`);
    const args = readFileSync(path.join(rec, 'args'), 'utf8').split('\n');
    assert.deepEqual(args.slice(args.indexOf('--scenario'), args.indexOf('--scenario') + 4), ['--scenario', 'scenario/hybrid.xml', '--acpi', 'acpi/acrn.bin.acpi.tar'], args.join(' '));
    assert.ok(readFileSync(path.join(rec, 'got.xml')).equals(readFileSync(scenario)));
    // What the worker's lab flash makes of the download: the table, byte for byte, as deploy's --acpi-dir.
    const out = unpackAcpiTables(path.join(rec, 'got.tar'));
    try {
      assert.deepEqual(readdirSync(out), ['ACPI_VM0.bin']);
      assert.ok(readFileSync(path.join(out, 'ACPI_VM0.bin')).equals(table));
    } finally {
      spawnSync('rm', ['-rf', out]);
    }
  });

  describe(`LAVA's qemu device type: lab run --count ${QEMU_BOARDS} (the client's side for several boards at once, in CI's budget)`, { skip: skipQemu }, () => {
    let ws: string;
    before(() => {
      // A busybox initramfs for Debian's kernel (.e2e/kernel, scripts/fetch-test-kernel.sh).
      const root = mkdtempSync(path.join(work, 'initramfs-'));
      mkdirSync(path.join(root, 'bin'));
      copyFileSync('/bin/busybox', path.join(root, 'bin', 'busybox'));
      writeFileSync(path.join(root, 'init'), '#!/bin/busybox sh\n/bin/busybox --install -s /bin\nmkdir -p /proc /sys\nmount -t proc proc /proc\nmount -t sysfs sys /sys\necho "acrn-nest qemu board up"\nexec setsid cttyhack sh\n', { mode: 0o755 });
      const initrd = path.join(work, 'initrd.cpio.gz');
      const r = spawnSync('sh', ['-c', `cd ${root} && find . | cpio -o -H newc 2>/dev/null | gzip -1 > ${initrd}`]);
      assert.equal(r.status, 0, String(r.stderr));
      ws = mkdtempSync(path.join(work, 'qemu-ws-'));
      mkdirSync(path.join(ws, '.acrn-nest'));
      writeFileSync(
        path.join(ws, '.acrn-nest', 'lava-job.yaml'),
        [
          'job_name: {{ job_name }}',
          'device_type: {{ device_type }}',
          'visibility: public',
          'priority: medium',
          'tags: {{ tags }}',
          'context:',
          '  arch: amd64',
          'timeouts:',
          '  job:',
          '    minutes: 20',
          '  action:',
          '    minutes: 8',
          'actions:',
          '- deploy:',
          '    to: tmpfs',
          '    images:',
          '      kernel:',
          '        image_arg: -kernel {kernel} -append "console=ttyS0,115200 rdinit=/init"',
          '        url: {{ image_url }}',
          '        sha256sum: {{ image_sha256 }}',
          '      initrd:',
          '        image_arg: -initrd {initrd}',
          `        url: ${JSON.stringify(`file://${initrd}`)}`,
          '- boot:',
          '    method: qemu',
          '    media: tmpfs',
          '    prompts:',
          "    - '/ # '",
          '- test:',
          '    interactive:',
          '    - name: qemu-smoke',
          '      echo: discard',
          '      prompts:',
          "      - '/ # '",
          '      script:',
          '      - command: "echo kernel-$(uname -s)-runs"',
          '        name: kernel-runs',
          '        successes:',
          '        - message: "kernel-Linux-runs"',
          '',
        ].join('\n'),
      );
      for (let i = 0; i < QEMU_BOARDS; i++) lab.addDevice(`acrn-nest-t${id}-qemu${i}`, 'qemu', "{% extends 'qemu.jinja2' %}\n{% set no_kvm = True %}\n");
    });

    test(`lab run --device-type qemu --count ${QEMU_BOARDS} --wait: both jobs pass, their logs stream into the CLI, results per job`, async () => {
      let firstLogAt = 0;
      let resultsAt = 0;
      const r = await cli(['lab', 'run', '--lab', lab.url, '--token-file', tokenFile, '--device-type', 'qemu', '--count', String(QEMU_BOARDS), '--image', KERNEL!, '--wait'], {
        env: { ACRN_NEST_LAB_POLL_MS: '1000' },
        cwd: ws,
        onOut: (c) => {
          if (!firstLogAt && /\[job \d+\] /.test(c)) firstLogAt = Date.now();
          if (!resultsAt && c.includes('results:')) resultsAt = Date.now();
        },
      });
      assert.equal(r.code, 0, `${r.out.slice(-5000)}\n${r.err}`);
      assert.ok(firstLogAt && resultsAt && firstLogAt < resultsAt, 'log lines came while the jobs ran');
      const ids = [...r.out.matchAll(/^submitted job (\d+)/gm)].map((m) => Number(m[1]));
      assert.equal(ids.length, QEMU_BOARDS);
      const devices = new Set<string>();
      for (const jid of ids) {
        const job = await client.job(jid);
        devices.add(job.device!);
        const tests = await client.tests(jid);
        assert.ok(tests.some((t) => /_qemu-smoke$/.test(t.suite) && t.name === 'kernel-runs' && t.result === 'pass'), JSON.stringify(tests));
        assert.ok(!tests.some((t) => t.result === 'fail'), JSON.stringify(tests));
        assert.match(r.out, new RegExp(`^job ${jid} on ${job.device}: Complete; \\d+ passed, 0 failed`, 'm'));
        assert.match(r.out, new RegExp(`\\[job ${jid}\\] acrn-nest qemu board up`), 'the board\'s console output streamed into the CLI');
      }
      assert.equal(devices.size, QEMU_BOARDS, 'one job per board');
    });
  });

  describe(`${BOARDS} virtual boards as ${BOARDS} LAVA devices`, { skip: skipVm }, () => {
    const vms: BoardVm[] = [];
    const names: string[] = [];

    before(async () => {
      // The boards start side by side (each TCG guest keeps one core busy).
      await Promise.all(
        Array.from({ length: BOARDS }, async (_, i) => {
          const vm = new BoardVm(mkdtempSync(path.join(work, `board${i}-`)));
          vms.push(vm);
          await vm.start({ hypervisor: 'xen-standin', timeoutMs: 600_000 });
        }),
      );
      for (const [i, vm] of vms.entries()) {
        const name = `acrn-nest-t${id}-vb${i}`;
        names.push(name);
        // Tagged with its own name, so `lab run --device NAME` can ask for it (docs/lab.md).
        lab.addDevice(name, 'acrn-board', virtualBoardDictionary({ acrnNest: `${process.execPath} ${CLI}`, targetFile: vm.file.target, dir: vm.dir, sshPort: vm.state()!.sshPort }), [name]);
      }
    });
    after(async () => {
      await Promise.all(vms.map((vm) => vm.stop()));
    });

    test(`lab run --count ${BOARDS} --scenario --wait: every job passes, its log streams into the CLI, its results name its board and the image it booted; the scenario reached each board's deploy`, async () => {
      const image = vms[0]!.file.standin;
      // A v3 scenario with a Service VM (its kernel tag is the one the board's GRUB entry gets):
      // the job downloads it and the worker's deploy gets it (lab flash --scenario).
      const scenario = path.join(work, 'lab-shared.xml');
      writeFileSync(scenario, '<?xml version="1.0"?>\n<acrn-config>\n  <hv><FEATURES><RELOC_ENABLED>y</RELOC_ENABLED></FEATURES></hv>\n  <vm id="0">\n    <load_order>SERVICE_VM</load_order>\n    <name>ACRN_Service_VM</name>\n    <os_config><kern_mod>Linux_bzImage</kern_mod></os_config>\n  </vm>\n</acrn-config>\n');
      const scenarioSha = createHash('sha256').update(readFileSync(scenario)).digest('hex');
      const imageSha = createHash('sha256').update(readFileSync(image)).digest('hex');
      // The workspace's own template (.acrn-nest/lava-job.yaml, found by lab run in its working
      // folder): the built-in one without the power cycle after the flasher, whose deploy has
      // rebooted and verified the board already. Under TCG on this loaded 2-core machine every
      // boot takes minutes (measured: 5 to 8), and the CI budget has room for one per job.
      const ws = mkdtempSync(path.join(work, 'workspace-'));
      mkdirSync(path.join(ws, '.acrn-nest'));
      const tpl = ACRN_BOARD_TEMPLATE.replace('    method: minimal\n', '    method: minimal\n    reset: false\n    pre_os_command: true\n');
      assert.notEqual(tpl, ACRN_BOARD_TEMPLATE);
      writeFileSync(path.join(ws, '.acrn-nest', 'lava-job.yaml'), tpl);
      let firstLogAt = 0;
      let jobsDoneAt = 0;
      const t0 = Date.now();
      const r = await cli(['lab', 'run', '--lab', lab.url, '--token-file', tokenFile, '--device-type', 'acrn-board', '--count', String(BOARDS), '--image', image, '--scenario', scenario, '--wait'], {
        env: { ACRN_NEST_LAB_POLL_MS: '1000' },
        cwd: ws,
        onOut: (c) => {
          if (!firstLogAt && />> \[1\/5\] check/.test(c)) firstLogAt = Date.now();
          if (!jobsDoneAt && c.includes('results:')) jobsDoneAt = Date.now();
        },
      });
      assert.equal(r.code, 0, `exit 0 when every case passed\n${r.out.slice(-6000)}\n${r.err}`);
      const ids = [...r.out.matchAll(/^submitted job (\d+)/gm)].map((m) => Number(m[1]));
      assert.equal(ids.length, BOARDS, r.out);
      assert.ok(firstLogAt && jobsDoneAt && firstLogAt < jobsDoneAt, 'log lines came while the jobs ran, before the results');
      const boards = new Set<string>();
      for (const jid of ids) {
        const job = await client.job(jid);
        assert.equal(job.health, 'Complete');
        boards.add(job.device!);
        const tests = await client.tests(jid);
        // LAVA names an interactive test's suite <stage>_<name>.
        const byName = new Map(tests.map((t) => [`${t.suite.replace(/^\d+_acrn-smoke$/, 'acrn-smoke')}/${t.name}`, t.result]));
        // As LAVA 2023.01 records them (measured): a deploy and a user command that succeed leave no
        // case of their own (a failure fails lava/job with its error); their log lines are checked below.
        for (const c of ['lava/file-download', 'lava/pre-os-command', 'lava/login-action', 'acrn-smoke/hypervisor-running', 'acrn-smoke/booted-new-image', 'lava/job']) {
          assert.equal(byName.get(c), 'pass', `job ${jid}: ${c}: ${JSON.stringify(tests.map((t) => `${t.suite}/${t.name}=${t.result}`))}`);
        }
        // The CLI's summary says the same as LAVA.
        assert.match(r.out, new RegExp(`^job ${jid} on ${job.device}: Complete; \\d+ passed, 0 failed`, 'm'));
        // The log streamed into the CLI holds this job's verified deploy and its doctor stand-in.
        const prefix = BOARDS > 1 ? `\\[job ${jid}\\] ` : '';
        assert.match(r.out, new RegExp(`^${prefix}.*>> \\[5/5\\] verify done: the new image runs`, 'm'));
        assert.match(r.out, new RegExp(`^${prefix}.*Running user command 'acrn_doctor'`, 'm'));
        assert.match(r.out, new RegExp(`^${prefix}.*login:`, 'm'), 'the console\'s login prompt streamed too');
        assert.match(r.out, new RegExp(`^${prefix}.*Calling: 'nice' .*'lab' 'flash' .*'--scenario' 'scenario/lab-shared\\.xml' '--acpi' '\\{ACPI\\}'`, 'm'), 'the flasher got the job\'s scenario, and {ACPI} as LAVA leaves it for a job without ACPI tables');
        // What happened on the board itself: it runs the job's image, its deploy kept the scenario.
        const vm = vms[names.indexOf(job.device!)]!;
        const imagePath = new RegExp(`^${prefix}.*deployed (\\S+) \\(sha256 ${imageSha}\\) to `, 'm').exec(r.out)?.[1];
        assert.ok(imagePath, 'the deploy\'s last line names the image on the board');
        const onBoard = await boardSh(vm, `cat /proc/cmdline; cat /sys/hypervisor/type; sha256sum ${imagePath}.scenario.xml`);
        assert.ok(onBoard.includes(`acrn_nest.image=${imageSha.slice(0, 16)}`), `${job.device} booted the job's image: ${onBoard}`);
        assert.match(onBoard, /^xen$/m);
        assert.ok(onBoard.includes(`${scenarioSha}  ${imagePath}.scenario.xml`), `${job.device}'s deploy kept the job's scenario next to the image: ${onBoard}`);
      }
      assert.deepEqual([...boards].sort(), [...names].sort(), 'one job on each board');
      // The figure CI's budget is set from (docs/lab.md).
      console.log(`# lab run --count ${BOARDS} --wait, submit to results: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });

    test('a job whose board fails to boot (a real ACRN v3.3 image, which panics under QEMU): its case fails, lab run exits 1, the log shows the panic, the board comes back on its previous image', { skip: skipPanic }, async () => {
      // Built after the stand-in job, so that job's figure is the board's alone.
      const tb = Date.now();
      const acrnBin = await buildAcrn(mkdtempSync(path.join(work, 'acrn-')));
      console.log(`# acrn-nest build of ACRN v3.3 for qemu: ${((Date.now() - tb) / 1000).toFixed(1)} s`);
      const vm = vms[0]!;
      const standinSha = createHash('sha256').update(readFileSync(vm.file.standin)).digest('hex');
      const before = await boardSh(vm, 'cat /proc/cmdline');
      assert.ok(before.includes(`acrn_nest.image=${standinSha.slice(0, 16)}`), `the board runs the stand-in, verified by the job before: ${before}`);
      const ws = mkdtempSync(path.join(work, 'workspace-panic-'));
      mkdirSync(path.join(ws, '.acrn-nest'));
      writeFileSync(path.join(ws, '.acrn-nest', 'lava-job.yaml'), ACRN_BOARD_TEMPLATE.replace('    method: minimal\n', '    method: minimal\n    reset: false\n    pre_os_command: true\n'));
      const t0 = Date.now();
      const r = await cli(['lab', 'run', '--lab', lab.url, '--token-file', tokenFile, '--device-type', 'acrn-board', '--device', names[0]!, '--image', acrnBin, '--wait'], { env: { ACRN_NEST_LAB_POLL_MS: '1000' }, cwd: ws });
      console.log(`# the panicking job, lab run --wait submit to results: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      assert.equal(r.code, 1, `exit 1: the board did not boot the image\n${r.out.slice(-6000)}\n${r.err}`);
      const jid = Number(/^submitted job (\d+)/m.exec(r.out)?.[1]);
      assert.ok(jid > 0, `${r.out}\n${r.err}`);
      assert.match(r.out, /^.*console: .*PANIC: \w+ line: \d+/m, `ACRN's panic, read on the console during the deploy, is in the job's log\n${r.out.slice(-6000)}`);
      assert.match(r.out, /console shows a panic .*: power-cycling it/);
      assert.match(r.out, /deploy failed at step 5 \(verify/, 'the deploy saw the board come back without the new image');
      const tests = await client.tests(jid);
      assert.ok(tests.some((t) => t.suite === 'lava' && t.name === 'job' && t.result === 'fail'), JSON.stringify(tests));
      assert.ok(!tests.some((t) => t.suite.endsWith('_acrn-smoke')), 'no smoke test ran on a board that did not boot the image');
      assert.match(r.out, new RegExp(`^job ${jid} on ${names[0]}: Incomplete; .*\\(`, 'm'));
      // Back on its previous image: the deploy's kept copy (.prev), whose entry the power cycle booted.
      const prev = /keeping the previous image as (\S+)/.exec(r.out)?.[1];
      assert.ok(prev, 'the deploy kept the previous image');
      const after = await boardSh(vm, `cat /proc/cmdline; cat /sys/hypervisor/type; sha256sum ${prev}`);
      assert.match(after, /acrn_nest\.entry=acrn-nest-prev\b/, `the board booted the previous image's entry: ${after}`);
      assert.match(after, /^xen$/m);
      assert.ok(after.includes(`${standinSha}  ${prev}`), `the previous image is the stand-in, whole: ${after}`);
    });
  });
});
