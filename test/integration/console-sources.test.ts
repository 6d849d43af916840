/**
 * Console sources against real peers: a local TCP server (ser2net style), a pseudo-terminal pair
 * from socat as a local serial port (serialport) and as a serial device on an SSH host (real
 * sshd), acrnlog files read over SSH. Drops, vanished devices and unreachable hosts must give a
 * clear message, a reconnect (with a 'reconnected' event) where the peer comes back, no crash
 * and no process left on the remote side.
 */
import assert from 'node:assert/strict';
import { appendFileSync, symlinkSync, mkdirSync, mkdtempSync, openSync, closeSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AcrnLogSource, SshSerialSource } from '../../hv-core/console/remoteSources';
import { SerialSource } from '../../hv-core/console/serial';
import { ConsoleSession } from '../../hv-core/console/session';
import { sshHostProvider } from '../../hv-core/console/ssh';
import { TcpSource } from '../../hv-core/console/tcp';
import { freePort, startSshd } from './sshd';
import type { Sshd } from './sshd';
import { Recorder, loopbackTarget, pgrep, processGroup, socatPtyPair, waitPidGone } from './console-helpers';

const fast = { backoff: { initialMs: 30, maxMs: 300 } };

/** A TCP server that records what it receives and lets the test drop clients. */
function tcpServer(port = 0): Promise<{ server: net.Server; port: number; clients: net.Socket[]; received: () => string; onClient: (cb: (s: net.Socket) => void) => void }> {
  const clients: net.Socket[] = [];
  let received = '';
  const cbs: Array<(s: net.Socket) => void> = [];
  const server = net.createServer((s) => {
    clients.push(s);
    s.on('data', (d) => (received += d.toString()));
    s.on('error', () => undefined);
    for (const cb of cbs.splice(0)) cb(s);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ server, port: (server.address() as net.AddressInfo).port, clients, received: () => received, onClient: (cb) => cbs.push(cb) }));
  });
}

/** Resolves when `pred` holds, re-checked on each 'data' of `sock`; bounded. */
function until(pred: () => boolean, sock: net.Socket, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!pred()) return;
      clearTimeout(t);
      sock.off('data', check);
      resolve();
    };
    const t = setTimeout(() => {
      sock.off('data', check);
      reject(new Error(`the server did not receive the input within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('data', check);
    queueMicrotask(check);
  });
}

/** A symlink to `target` whose path has a space and both quote kinds (socat's own address syntax cannot take them). */
function weirdLink(dir: string, target: string): string {
  const d = path.join(dir, `tty "lab" it's`);
  mkdirSync(d, { recursive: true });
  const l = path.join(d, `ttyUSB ${Math.random().toString(36).slice(2, 8)}`);
  symlinkSync(target, l);
  return l;
}

function nextClient(srv: { onClient: (cb: (s: net.Socket) => void) => void }): Promise<net.Socket> {
  return new Promise((r) => srv.onClient(r));
}

describe('console over raw TCP', { timeout: 60_000 }, () => {
  it('streams, sends input, and reconnects (with a timed reconnected event) when the server drops and comes back', async () => {
    const srv = await tcpServer();
    const first = nextClient(srv);
    const session = new ConsoleSession(new TcpSource({ host: '127.0.0.1', port: srv.port }), fast);
    const rec = new Recorder(session);
    await session.start();
    const c1 = await first;
    c1.write('ACRN:\\>');
    await rec.waitText(/ACRN:\\>/, 5000);
    session.send('vm_list\r');
    await until(() => srv.received().includes('vm_list\r'), c1, 5000);

    // The board reboots: its terminal server goes away entirely, then comes back on the same port.
    const mark = rec.events.length;
    const closed = new Promise<void>((r) => srv.server.close(() => r()));
    c1.destroy();
    await closed;
    await rec.waitEvent('disconnected', 5000, mark);
    await rec.waitEvent('retry', 5000, mark);
    assert.ok(rec.events.slice(mark).some((e) => e.type === 'error' && /connection refused/.test(e.message)), 'says why it cannot reconnect');
    const srv2 = await tcpServer(srv.port);
    const second = nextClient(srv2);
    const ev = await rec.waitEvent('reconnected', 10_000, mark);
    assert.ok(ev.time instanceof Date && Math.abs(Date.now() - ev.time.getTime()) < 10_000);
    (await second).write('after reboot\r\n');
    await rec.waitText(/after reboot/, 5000);
    assert.ok(session.history.contents().toString().includes('ACRN:\\>'), 'history keeps what came before the reboot');
    await session.close();
    srv2.server.close();
  });

  it('an unreachable host is a clear error at start, not a crash', async () => {
    const port = await freePort();
    const session = new ConsoleSession(new TcpSource({ host: '127.0.0.1', port }));
    await assert.rejects(session.start(), new RegExp(`tcp console 127\\.0\\.0\\.1:${port}: cannot connect: connection refused`));
    assert.equal(session.state, 'closed');
  });
});

describe('local serial port (serialport) on a socat pseudo-terminal pair', { timeout: 60_000 }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-pty-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads and writes at 115200 8N1; the device vanishing mid-stream is reported and it reconnects when it is back', async () => {
    const pair = await socatPtyPair(dir);
    const session = new ConsoleSession(new SerialSource({ path: pair.a }), fast);
    const rec = new Recorder(session);
    await session.start();
    assert.match(session.source.label, /^serial .*\/a 115200 8N1$/);
    const fd = openSync(pair.b, 'r+');
    writeSync(fd, 'ACRN:\\>version\r\n');
    await rec.waitText(/ACRN:\\>version/, 5000);
    session.send('help\r');
    const buf = Buffer.alloc(64);
    const n = readSync(fd, buf);
    assert.equal(buf.subarray(0, n).toString(), 'help\r');
    closeSync(fd);

    // Unplugged: the pty pair disappears while the session reads.
    const mark = rec.events.length;
    await pair.stop();
    await rec.waitEvent('disconnected', 5000, mark);
    await rec.waitUntil(() => rec.events.slice(mark).some((e) => e.type === 'error' && /no such device|disconnected/.test(e.message)), 'a clear error', 5000);
    // Plugged back in (same path): the session comes back by itself.
    const pair2 = await socatPtyPair(dir);
    await rec.waitEvent('reconnected', 10_000, mark);
    const fd2 = openSync(pair2.b, 'r+');
    writeSync(fd2, 'back\r\n');
    await rec.waitText(/back/, 5000);
    closeSync(fd2);
    await session.close();
    await pair2.stop();
  });

  it('a missing device is a clear error', async () => {
    const session = new ConsoleSession(new SerialSource({ path: path.join(dir, 'ttyUSB9') }));
    await assert.rejects(session.start(), /serial console .*ttyUSB9: no such device/);
  });
});

describe('over SSH (real sshd): a serial device on another host, and the acrnlog', { timeout: 240_000 }, () => {
  let sshd: Sshd;
  let provider: ReturnType<typeof sshHostProvider>;
  let dir: string;
  before(async () => {
    sshd = await startSshd();
    provider = sshHostProvider(loopbackTarget(sshd).target);
    dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-sshserial-'));
  });
  after(async () => {
    provider?.close();
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ssh-serial: stty + cat on the remote tty (path with spaces and quotes), both ways; closing leaves no remote process', async () => {
    const pair = await socatPtyPair(dir);
    const weird = weirdLink(dir, pair.a);
    const session = new ConsoleSession(new SshSerialSource(provider, { path: weird, hostLabel: 'loopback' }), fast);
    const rec = new Recorder(session);
    await session.start();
    const fd = openSync(pair.b, 'r+');
    writeSync(fd, 'ACRN:\\>\r\n');
    await rec.waitText(/ACRN:\\>/, 10_000);
    session.send('vm_list\r');
    const buf = Buffer.alloc(64);
    const n = readSync(fd, buf);
    assert.equal(buf.subarray(0, n).toString(), 'vm_list\r');
    const remote = pgrep(path.basename(weird));
    assert.ok(remote.length > 0, 'the remote script runs');
    const group = remote.flatMap(processGroup);
    await session.close();
    for (const pid of new Set([...remote, ...group])) await waitPidGone(pid, 10_000);
    closeSync(fd);
    await pair.stop();
  });

  it('ssh-serial: the device vanishing mid-stream is a clear message, then a clear retry error', async () => {
    const pair = await socatPtyPair(dir);
    const session = new ConsoleSession(new SshSerialSource(provider, { path: weirdLink(dir, pair.a), hostLabel: 'loopback' }), fast);
    const rec = new Recorder(session);
    await session.start();
    const mark = rec.events.length;
    await pair.stop();
    const ev = await rec.waitEvent('disconnected', 15_000, mark);
    assert.match(ev.message, /serial .* on loopback: the device stopped delivering data|no such device/);
    await rec.waitUntil(() => rec.events.slice(mark).some((e) => e.type === 'error' && /no such device on/.test(e.message)), 'the retry error', 30_000);
    await session.close();
  });

  it('acrnlog: history then new lines; read-only (input refused); a missing log is a clear error', async () => {
    const logDir = path.join(dir, `acrn "log" it's`);
    mkdirSync(logDir);
    writeFileSync(path.join(logDir, 'acrnlog_cur.0'), '[1234us][cpu=0][sev=3][seq=1]:HV version 3.3\n');
    const session = new ConsoleSession(new AcrnLogSource(provider, { hostLabel: 'loopback', logDir }), fast);
    const rec = new Recorder(session);
    assert.equal(session.readOnly, true);
    assert.match(session.source.label, /read-only — not a shell/);
    await session.start();
    await rec.waitText(/HV version 3\.3/, 10_000);
    appendFileSync(path.join(logDir, 'acrnlog_cur.0'), '[2345us][cpu=1][sev=3][seq=2]:vm0 started\n');
    await rec.waitText(/vm0 started/, 10_000);
    assert.throws(() => session.send('help\r'), /read-only log, not a shell/);
    await session.close();

    const missing = new ConsoleSession(new AcrnLogSource(provider, { hostLabel: 'loopback', logDir: path.join(dir, 'nope') }));
    await assert.rejects(missing.start(), /hypervisor log on loopback: no hypervisor log on .*acrnlog_cur\.\* \(start the acrnlog service\)/);
  });

  it('an unreachable SSH host is a clear error naming the host', async () => {
    const port = await freePort();
    const bad = sshHostProvider({ ...loopbackTarget(sshd).target, port });
    const session = new ConsoleSession(new AcrnLogSource(bad, { hostLabel: 'nowhere' }));
    await assert.rejects(session.start(), new RegExp(`hypervisor log on nowhere: cannot connect to .*127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
    bad.close();
  });
});
