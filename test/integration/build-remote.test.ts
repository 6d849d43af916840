/**
 * Building on a build host over SSH: a REAL OpenSSH sshd on 127.0.0.1 (test/integration/sshd.ts)
 * in front of a copy of the fake ACRN tree. The scenario and board are copied there, make runs
 * there (its output streamed back), validator findings map to the LOCAL scenario, acrn.bin comes
 * back, cancel kills make's process group on the host, and an unknown host key is refused unless
 * the user names its fingerprint.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBuild } from '../../hv-core/acrn-build/index';
import { RemoteHost } from '../../hv-core/acrn-build/remote';
import { runCli } from '../../hv-core/cli/main';
import { SshConnection, parseTarget, resolveTarget } from '../../hv-core/ssh-target';
import type { Sshd } from './sshd';
import { haveSshd, removeDir, startSshd } from './sshd';
import { fixture } from '../unit/helpers';

const skip = !haveSshd() && 'no /usr/sbin/sshd (apt install openssh-server)';
let sshd: Sshd;
let work: string;
let tree: string;
let bin: string;
let board: string;

const SCENARIO = `<acrn-config>
  <hv>
    <BUILD_TYPE>debug</BUILD_TYPE>
    <FEATURES>
      <SCHEDULER>SCHED_NOOP</SCHEDULER>
    </FEATURES>
  </hv>
  <vm id="0">
    <load_order>SERVICE_VM</load_order>
    <name>ACRN_Service_VM</name>
    <nested_virtualization_support>y</nested_virtualization_support>
  </vm>
</acrn-config>
`;

function targetJson(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'buildhost', host: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKey, knownHostsFile: path.join(work, 'known_hosts'), ...extra };
}

async function connect(): Promise<RemoteHost> {
  writeFileSync(path.join(work, 'known_hosts'), sshd.knownHostsLine + '\n');
  const t = resolveTarget(parseTarget(targetJson(), 'test'), { sshConfigText: '', homeDir: work });
  return new RemoteHost(await SshConnection.connect(t, { agent: false }));
}

/** A copy of the fake ACRN tree "on the build host" (ACRN locks a build folder to one scenario name). */
function freshTree(name: string): void {
  tree = path.join(work, 'host', name);
  cpSync(fixture('fake-acrn-tree'), tree, { recursive: true });
}

/** PATH on the build host: stand-ins for tools the fake tree does not use, then the system. */
const remoteEnv = (): NodeJS.ProcessEnv => ({ PATH: `${bin}:/usr/bin:/bin` });

describe('build on a build host over a real sshd', { skip }, () => {
  before(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-remote-build-'));
    sshd = await startSshd({ dir: mkdtempSync(path.join(work, 'sshd-')) });
    bin = path.join(work, 'host', 'bin');
    mkdirSync(bin, { recursive: true });
    for (const [name, body] of Object.entries({ iasl: 'echo "ASL+ Optimizing Compiler/Disassembler version 20200925"', xsltproc: 'echo xsltproc', xmllint: 'echo xmllint', cc: 'echo 11.4.0', python3: 'exec /usr/bin/python3 "$@"' })) {
      writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(path.join(bin, name), 0o755);
    }
    board = path.join(work, 'local', 'fake.xml');
    mkdirSync(path.dirname(board), { recursive: true });
    writeFileSync(board, '<acrn-config board="fake">\n  <BIOS_INFO>fake</BIOS_INFO>\n  <processors/>\n</acrn-config>\n');
  });
  after(async () => {
    await sshd?.stop();
    if (work) removeDir(work);
  });

  test('inputs copied, make streamed, findings on the local scenario, image downloaded, then up to date', async () => {
    freshTree('one');
    const host = await connect();
    try {
      const scenario = path.join(work, 'local', 'my scenario; $(touch pwned).xml');
      const text = SCENARIO.replace('SCHED_NOOP', 'SCHED_FOO');
      writeFileSync(scenario, text);
      const lines: string[] = [];
      const bad = await runBuild({ acrnTree: tree, scenario, board, host, env: remoteEnv(), onLine: (l) => lines.push(l), localOutputDir: path.join(work, 'out') });
      assert.equal(bad.error?.code, 'build/validator', bad.error?.message);
      const f = bad.findings.find((x) => x.xpath === '/acrn-config/hv/FEATURES/SCHEDULER');
      assert.equal(f?.file, scenario);
      assert.equal(f?.line, 4);
      assert.equal(f?.character, text.split('\n')[4]!.indexOf('SCHED_FOO'));
      assert.ok(lines.includes('Validating scenario configurations...'), lines.join('\n'));
      assert.equal(existsSync(path.join(work, 'local', 'pwned')) || existsSync(path.join(tree, 'pwned')), false, 'no file name ran as a command');
      // The inputs sit on the host under the tree's build folder, under names ACRN's make can use.
      const staged = path.join(tree, 'build', 'acrn-nest-inputs', 'scenario', 'local', 'my_scenario____touch_pwned_.xml');
      assert.equal(readFileSync(staged, 'utf8'), text);

      writeFileSync(scenario, SCENARIO);
      const good = await runBuild({ acrnTree: tree, scenario, board, host, env: remoteEnv(), localOutputDir: path.join(work, 'out') });
      assert.equal(good.error, undefined, good.error?.message);
      assert.equal(good.image, path.join(work, 'out', 'acrn.bin'));
      assert.equal(good.hostImage, `${tree}/build/hypervisor/acrn.bin`);
      assert.deepEqual(readFileSync(good.image), readFileSync(path.join(tree, 'build', 'hypervisor', 'acrn.bin')));
      assert.equal(good.config?.CONFIG_NVMX_ENABLED, '1');
      assert.equal(good.preflight?.tools.cc, '11.4.0');
      const again = await runBuild({ acrnTree: tree, scenario, board, host, env: remoteEnv(), localOutputDir: path.join(work, 'out') });
      assert.equal(again.upToDate, true);
      assert.equal(again.makeRan, false);
    } finally {
      host.dispose();
    }
  });

  test('cancel kills make and its children on the build host', async () => {
    freshTree('two');
    const host = await connect();
    try {
      const scenario = path.join(work, 'local', 'slow.xml');
      writeFileSync(scenario, SCENARIO.replace('<acrn-config>', '<acrn-config>\n  <!-- fake-acrn: slow -->'));
      const pidfile = path.join(work, 'pids');
      const ac = new AbortController();
      const r = await runBuild({
        acrnTree: tree,
        scenario,
        board,
        host,
        force: true,
        env: { ...remoteEnv(), FAKE_ACRN_PIDFILE: pidfile },
        signal: ac.signal,
        localOutputDir: path.join(work, 'out'),
        onLine: (l) => {
          if (l === 'compiling slowly...') ac.abort();
        },
      });
      assert.equal(r.error?.code, 'build/cancelled');
      const pids = readFileSync(pidfile, 'utf8').trim().split(/\s+/).map(Number);
      assert.equal(pids.length, 2);
      const alive = (pid: number): boolean => {
        try {
          process.kill(pid, 0);
        } catch {
          return false;
        }
        try {
          return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
        } catch {
          return false;
        }
      };
      // The kill travels over SSH: wait (bounded) for the processes to go.
      const deadline = Date.now() + 10_000;
      while (pids.some(alive) && Date.now() < deadline) await new Promise((res) => setImmediate(res));
      for (const pid of pids) assert.equal(alive(pid), false, `process ${pid} still running on the build host after cancel`);
    } finally {
      host.dispose();
    }
  });

  test('CLI --build-host: an unknown host key is refused with its fingerprint; --trust-host-key accepts and records it', async () => {
    freshTree('three');
    const dir = mkdtempSync(path.join(work, 'cli-'));
    const known = path.join(dir, 'known_hosts');
    const targetFile = path.join(dir, 'buildhost.json');
    writeFileSync(targetFile, JSON.stringify(targetJson({ knownHostsFile: known })));
    const scenario = path.join(dir, 'cli.xml');
    writeFileSync(scenario, SCENARIO);
    const run = async (extra: string[]): Promise<{ code: number; out: string[]; err: string[] }> => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(['build', '--build-host', targetFile, '--acrn-tree', tree, '--board', board, '--scenario', scenario, '--no-preflight', ...extra], { out: (l) => out.push(l), err: (l) => err.push(l), cwd: dir, env: process.env });
      return { code, out, err };
    };
    const savedCache = process.env.XDG_CACHE_HOME;
    const savedSock = process.env.SSH_AUTH_SOCK;
    process.env.XDG_CACHE_HOME = path.join(dir, 'cache');
    delete process.env.SSH_AUTH_SOCK;
    try {
      const refused = await run([]);
      assert.equal(refused.code, 1);
      assert.ok(refused.err.some((l) => l.includes(sshd.hostFingerprint) && l.includes('unknown')), refused.err.join('\n'));
      assert.ok(refused.err.some((l) => l.includes(`--trust-host-key ${sshd.hostFingerprint}`)));
      assert.equal(existsSync(known), false, 'nothing recorded without consent');
      const wrong = await run(['--trust-host-key', 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']);
      assert.equal(wrong.code, 1, 'a different fingerprint is not consent');
      const ok = await run(['--trust-host-key', sshd.hostFingerprint, '--force']);
      assert.equal(ok.code, 0, ok.err.join('\n'));
      const image = ok.out[ok.out.length - 1]!;
      assert.ok(image.startsWith(path.join(dir, 'cache', 'acrn-nest', 'builds')), image);
      assert.deepEqual(readFileSync(image), readFileSync(path.join(tree, 'build', 'hypervisor', 'acrn.bin')));
      assert.match(readFileSync(known, 'utf8'), /^\[127\.0\.0\.1\]:\d+ ssh-ed25519 /);
      const again = await run([]);
      assert.equal(again.code, 0, again.err.join('\n'));
      assert.ok(again.err.some((l) => l.includes('up to date')));
    } finally {
      if (savedCache === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = savedCache;
      if (savedSock !== undefined) process.env.SSH_AUTH_SOCK = savedSock;
    }
  });
});
