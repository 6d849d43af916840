/**
 * "acrn-nest: Add Target..." (issue 11): the hosts of ~/.ssh/config as Remote-SSH lists them, and
 * the settings entry written for an alias or a host typed in. The window side (quick pick,
 * connection test with the host-key modal) is in the e2e walkthrough.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sshConfigHosts } from '../../hv-core/ssh-target/sshHosts';
import { checkHost, checkPort, checkUser, freeName, takenNames, targetEntry, withTarget } from '../../extension/addTargetLogic';

test('~/.ssh/config hosts: named hosts in order, patterns and Match blocks left out', () => {
  const cfg = [
    '# my boards',
    'Host nuc nuc-alias',
    '  HostName 10.0.0.5',
    '  User acrn',
    'Host *.lab !bad',
    'Host=builder  # the GCC 11 machine',
    'Match host foo',
    '  User x',
    'host "quoted"',
    'Host nuc',
  ].join('\n');
  assert.deepEqual(sshConfigHosts(cfg), ['nuc', 'nuc-alias', 'builder', 'quoted']);
  assert.deepEqual(sshConfigHosts(''), []);
});

test('the entry: an alias stays an alias; a typed host gets user and port (22 left out); names never collide', () => {
  const raw = [{ name: 'nuc', host: '10.0.0.5', user: 'acrn' }, { name: 'nuc-2', sshAlias: 'nuc' }, 'junk'];
  assert.deepEqual(takenNames(raw), ['nuc', 'nuc-2']);
  assert.deepEqual(targetEntry({ sshAlias: 'nuc' }, takenNames(raw)), { name: 'nuc-3', sshAlias: 'nuc' });
  assert.deepEqual(targetEntry({ host: '192.168.1.9', user: 'root', port: 22 }, []), { name: '192.168.1.9', host: '192.168.1.9', user: 'root' });
  assert.deepEqual(targetEntry({ host: 'b', user: 'acrn', port: 2222 }, ['b']), { name: 'b-2', host: 'b', user: 'acrn', port: 2222 });
  const next = withTarget(raw, { name: 'x', sshAlias: 'x' });
  assert.deepEqual(next.slice(0, 3), raw, 'entries kept as written');
  assert.equal(next.length, 4);
  assert.equal(freeName('a', []), 'a');
  assert.equal(checkHost('10.0.0.5'), undefined);
  assert.ok(checkHost('a b;rm'));
  assert.equal(checkUser('acrn'), undefined);
  assert.ok(checkUser('-x'));
  assert.equal(checkPort('22'), undefined);
  assert.ok(checkPort('70000'));
});
