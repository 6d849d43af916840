/**
 * Accepting an unknown host key whose known_hosts file cannot be written: the connection fails
 * with a clear HostKeyRecordError (host, file, what to do) and the handshake ends; nothing escapes
 * the host-key callback (before the fix: an uncaught EEXIST/ENOTDIR and a handshake that never
 * ended). The peer is an in-process ssh2 server on 127.0.0.1; no network, no sshd.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Server, utils } from 'ssh2';
import { ConnectError, HostKeyRecordError, SshConnection } from '../../hv-core/ssh-target/connection';
import { parseTarget } from '../../hv-core/ssh-target/target';
import { resolveTarget } from '../../hv-core/ssh-target/resolve';
import { errorCode, ErrorCodes } from '../../hv-core/errors';

let server: Server;
let port = 0;
let dir: string;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-hostkey-'));
  const hostKey = utils.generateKeyPairSync('ed25519').private;
  server = new Server({ hostKeys: [hostKey] }, (client) => {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => ctx.reject());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

function targetWith(knownHostsFile: string): ReturnType<typeof resolveTarget> {
  const key = path.join(dir, 'id');
  writeFileSync(key, utils.generateKeyPairSync('ed25519').private);
  return resolveTarget(parseTarget({ host: '127.0.0.1', port, user: 'me', identityFile: key, knownHostsFile }, path.join(dir, 'target.json')), { sshConfigText: '', homeDir: dir });
}

async function connectAccepting(knownHostsFile: string, expectAsked = 1): Promise<unknown> {
  let asked = 0;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => void unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const r = await Promise.race([
      SshConnection.connect(targetWith(knownHostsFile), { agent: false, readyTimeoutMs: 8000, onUnknownHostKey: () => (asked++, true) }).then(
        (c) => {
          c.close();
          return new Error('connected');
        },
        (e: unknown) => e,
      ),
      new Promise((resolve) => setTimeout(() => resolve(new Error('the handshake did not end within 10 s')), 10_000).unref()),
    ]);
    assert.equal(asked, expectAsked, `the user was asked once (${r instanceof Error ? r.message : String(r)})`);
    assert.deepEqual(unhandled, [], 'nothing escaped the host-key callback');
    return r;
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
}

describe('recording an accepted host key fails', () => {
  test('the known_hosts path lies under a file (EEXIST): a HostKeyRecordError naming host and file ends the handshake', async () => {
    const f = path.join(dir, 'plainfile');
    writeFileSync(f, 'x');
    const file = path.join(f, 'known_hosts');
    const e = await connectAccepting(file);
    assert.ok(e instanceof HostKeyRecordError, `got ${e instanceof Error ? e.message : String(e)}`);
    assert.equal(errorCode(e), ErrorCodes.hostKeyRecordFailed);
    assert.match(e.message, /127\.0\.0\.1/);
    assert.ok(e.message.includes(file), e.message);
    assert.match(e.message, /could not be recorded/);
    assert.match(e.message, /EEXIST|ENOTDIR/);
  });
  test('the known_hosts path is a folder: a ConnectError naming the file, before any question', async () => {
    const file = path.join(dir, 'khdir');
    mkdirSync(file, { recursive: true });
    const e = await connectAccepting(file, 0);
    assert.ok(e instanceof ConnectError, `got ${e instanceof Error ? e.message : String(e)}`);
    assert.ok(e.message.includes(file), e.message);
    assert.match(e.message, /known_hosts/);
  });
});
