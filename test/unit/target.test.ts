/**
 * hv-core/ssh-target without a network: POSIX quoting (checked by a real /bin/sh), command strings from
 * target files, known_hosts parsing (hashed entries made by ssh-keygen -H, [host]:port, patterns,
 * @revoked), fingerprints (as ssh-keygen prints them), ssh-config alias resolution, target-file
 * validation errors that name the field and the file, the GRUB script and scenario module tags.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHmac, randomBytes } from 'node:crypto';
import { shq, shJoin, splitCommand } from '../../hv-core/ssh-target/quote';
import { checkHostKey, entryMatches, fingerprint, hostKeyName, parseKnownHosts } from '../../hv-core/ssh-target/known-hosts';
import { describeTarget, lookupSshConfig, resolveTarget } from '../../hv-core/ssh-target/resolve';
import { TargetError, loadTargetFile, parseTarget } from '../../hv-core/ssh-target/target';
import { grubScript, grubPathFor, scenarioInfo } from '../../hv-core/deploy';
import { acrnTree, needs } from './helpers';
import { loadFile } from '../../hv-core/files';
import { generateEd25519 } from '../../hv-core/ssh-target/keys';
import { utils } from 'ssh2';

const HOSTILE = ["it's", 'a b', 'x;touch /tmp/acrn-nest-canary', '$(touch /tmp/acrn-nest-canary)', '`id`', 'line1\nline2', '"dq"', '\\back', '-n', '', ' ', '*', '~root', '#c', 'a\'b"c$d`e\\f', '\t', 'é ü 漢'];

describe('shq / shJoin', () => {
  test('every hostile string survives a real /bin/sh unchanged and runs nothing', () => {
    const canary = '/tmp/acrn-nest-canary';
    for (const s of HOSTILE) {
      const r = spawnSync('/bin/sh', ['-c', `printf '%s' ${shq(s)}`], { encoding: 'utf8' });
      assert.equal(r.stdout, s, JSON.stringify(s));
    }
    const r = spawnSync('/bin/sh', ['-c', shJoin(['printf', '%s|', ...HOSTILE])], { encoding: 'utf8' });
    assert.equal(r.stdout, HOSTILE.map((s) => s + '|').join(''));
    assert.equal(existsSync(canary), false);
  });
  test('plain words stay readable; NUL and empty argv are refused', () => {
    assert.equal(shq('/boot/acrn/acrn.bin'), '/boot/acrn/acrn.bin');
    assert.equal(shq(''), "''");
    assert.equal(shq("it's"), `'it'\\''s'`);
    assert.throws(() => shq('a\0b'), /NUL/);
    assert.throws(() => shJoin([]), /empty/);
  });
});

describe('splitCommand (commands in target files)', () => {
  test('words and quotes', () => {
    assert.deepEqual(splitCommand('grub2-mkconfig -o /boot/grub2/grub.cfg'), ['grub2-mkconfig', '-o', '/boot/grub2/grub.cfg']);
    assert.deepEqual(splitCommand(`"/opt/my tools/update-grub" 'a b' c\\ d`), ['/opt/my tools/update-grub', 'a b', 'c d']);
  });
  test('anything that would run a second command is refused', () => {
    for (const bad of ['update-grub; reboot', 'a && b', 'a | b', 'a > f', '$(x)', 'a `b`', '"$HOME"', 'a & b', "'unterminated"]) assert.throws(() => splitCommand(bad), Error, bad);
  });
});

describe('known_hosts', () => {
  const key = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), randomBytes(32)]);
  const key2 = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), randomBytes(32)]);
  const b64 = key.toString('base64');

  test('fingerprint equals ssh-keygen -lf', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-fp-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'k')]);
    const pub = readFileSync(path.join(dir, 'k.pub'), 'utf8').split(' ');
    const want = execFileSync('ssh-keygen', ['-lf', path.join(dir, 'k.pub')], { encoding: 'utf8' }).split(' ')[1];
    assert.equal(fingerprint(Buffer.from(pub[1]!, 'base64')), want);
  });

  test('plain, [host]:port, patterns, negation', () => {
    const e = parseKnownHosts(`# comment\nnuc,10.0.0.5 ssh-ed25519 ${b64}\n[127.0.0.1]:2222 ssh-ed25519 ${b64}\n*.lab,!bad.lab ssh-ed25519 ${b64}\n`);
    assert.equal(e.length, 3);
    assert.equal(hostKeyName('127.0.0.1', 2222), '[127.0.0.1]:2222');
    assert.ok(entryMatches(e[0]!, 'nuc'));
    assert.ok(entryMatches(e[0]!, '10.0.0.5'));
    assert.ok(!entryMatches(e[0]!, '[nuc]:2222'), 'a port-22 entry does not cover other ports');
    assert.ok(entryMatches(e[1]!, '[127.0.0.1]:2222'));
    assert.ok(entryMatches(e[2]!, 'nuc.lab'));
    assert.ok(!entryMatches(e[2]!, 'bad.lab'));
  });

  test('hashed entries as ssh-keygen -H writes them', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-kh-'));
    const f = path.join(dir, 'known_hosts');
    writeFileSync(f, `nuc ssh-ed25519 ${b64}\n[10.1.2.3]:2200 ssh-ed25519 ${b64}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', f], { stdio: 'ignore' });
    const e = parseKnownHosts(readFileSync(f, 'utf8'), f);
    assert.equal(e.length, 2);
    assert.ok(e.every((x) => x.hashed));
    assert.ok(entryMatches(e[0]!, 'nuc'));
    assert.ok(!entryMatches(e[0]!, 'nuc2'));
    assert.ok(entryMatches(e[1]!, '[10.1.2.3]:2200'));
    assert.ok(!entryMatches(e[1]!, '10.1.2.3'));
    // And our own HMAC agrees with the format: |1|base64(salt)|base64(HMAC-SHA1(salt, name)).
    const salt = randomBytes(20);
    const line = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('board').digest('base64')} ssh-ed25519 ${b64}`;
    assert.ok(entryMatches(parseKnownHosts(line)[0]!, 'board'));
  });

  test('known / changed / unknown / revoked', () => {
    const e = parseKnownHosts(`nuc ssh-ed25519 ${b64}\nnuc ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ==\n`);
    assert.equal(checkHostKey(e, ['nuc'], key).status, 'known');
    assert.equal(checkHostKey(e, ['nuc'], key2).status, 'changed');
    assert.equal(checkHostKey(e, ['other'], key2).status, 'unknown');
    const r = parseKnownHosts(`@revoked * ssh-ed25519 ${b64}\nnuc ssh-ed25519 ${b64}\n`);
    assert.equal(checkHostKey(r, ['nuc'], key).status, 'revoked');
  });
});

describe('ssh-config alias resolution', () => {
  const cfg = ['Host nuc', '  HostName 192.168.7.20', '  User acrn', '  Port 2222', '  IdentityFile ~/.ssh/nuc_%h', '  ProxyJump jump@bastion:2200', '', 'Host *', '  User fallback', '  IdentityFile ~/.ssh/other'].join('\n');
  test('HostName, User, Port, IdentityFile (tokens, ~), ProxyJump', () => {
    const r = lookupSshConfig('nuc', cfg, '/home/u', 'me');
    assert.equal(r.hostName, '192.168.7.20');
    assert.equal(r.user, 'acrn');
    assert.equal(r.port, 2222);
    assert.deepEqual(r.identityFiles, ['/home/u/.ssh/nuc_192.168.7.20', '/home/u/.ssh/other']);
    assert.equal(r.proxyJump, 'jump@bastion:2200');
  });
  test('describeTarget: a target named by its ssh-config alias keeps that name in messages (issue 11)', () => {
    const t = resolveTarget(parseTarget({ host: 'nuc' }), { sshConfigText: cfg, homeDir: '/home/u', localUser: 'me' });
    assert.equal(t.name, 'nuc');
    assert.equal(describeTarget(t), 'nuc (acrn@192.168.7.20:2222)');
    const plain = resolveTarget(parseTarget({ host: 'plain.lab', user: 'root' }), { sshConfigText: cfg, homeDir: '/home/u', localUser: 'me' });
    assert.equal(describeTarget(plain), 'root@plain.lab', 'a name that is the host is not repeated');
  });
  test('resolveTarget: the target file wins over ssh config, defaults fill the rest', () => {
    const t = resolveTarget(parseTarget({ host: 'nuc', port: 22 }), { sshConfigText: cfg, homeDir: '/home/u', localUser: 'me' });
    assert.equal(t.host, '192.168.7.20');
    assert.equal(t.alias, 'nuc');
    assert.equal(t.port, 22);
    assert.equal(t.user, 'acrn');
    assert.equal(t.sudo, true);
    assert.equal(t.bootDir, '/boot/acrn');
    assert.equal(t.grubScriptDir, '/etc/grub.d');
    assert.equal(t.grubScriptName, '41_acrn_nest');
    assert.deepEqual(t.commands.updateGrub, ['update-grub']);
    assert.deepEqual(t.knownHostsFiles, ['/home/u/.ssh/known_hosts']);
    const u = resolveTarget(parseTarget({ host: 'plain.lab', user: 'root' }), { sshConfigText: cfg, homeDir: '/home/u', localUser: 'me' });
    assert.equal(u.host, 'plain.lab');
    assert.equal(u.user, 'root');
    assert.equal(u.sudo, false);
    assert.equal(u.proxyJump, undefined);
  });
});

describe('target file validation', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-tf-'));
  const load = (o: unknown): Error => {
    const f = path.join(dir, 'nuc.json');
    writeFileSync(f, typeof o === 'string' ? o : JSON.stringify(o));
    try {
      loadTargetFile(f);
    } catch (e) {
      assert.ok(e instanceof TargetError);
      assert.ok(e.message.startsWith(f), e.message);
      return e;
    }
    throw new Error('no error');
  };
  test('errors name the field and the file', () => {
    assert.match(load('{"host": "x",}').message, /not valid JSON/);
    assert.match(load({}).message, /field "host": is required/);
    assert.match(load({ host: 'x', port: 70000 }).message, /field "port": must be an integer 1\.\.65535/);
    assert.match(load({ host: 'x', bootDir: 'boot' }).message, /field "bootDir": must be an absolute path on the board/);
    assert.match(load({ host: 'x', grubScriptName: '40_custom' }).message, /field "grubScriptName": acrn-nest never writes 40_custom/);
    assert.match(load({ host: 'x', commands: { updateGrub: 'update-grub; rm -rf /' } }).message, /field "commands.updateGrub": .*';' is not allowed/);
    assert.match(load({ host: 'x', commands: { rebooot: 'reboot' } }).message, /field "commands.rebooot": unknown command/);
    assert.match(load({ host: 'x', kernal: '/boot/vmlinuz' }).message, /field "kernal": unknown field/);
    assert.match(load({ host: 'x', sudo: 'yes' }).message, /field "sudo": must be true or false/);
    assert.match(load({ host: 'x', bootDir: '/boot/a\nb' }).message, /field "bootDir": must not contain NUL or line breaks/);
  });
  test('relative identity and known_hosts paths are relative to the target file', () => {
    const f = path.join(dir, 't.json');
    writeFileSync(f, JSON.stringify({ host: 'x', identityFile: 'keys/id', knownHostsFile: 'kh', commands: { grubReboot: ['grub-reboot'], updateGrub: 'grub2-mkconfig -o /boot/grub2/grub.cfg' } }));
    const t = loadTargetFile(f);
    assert.deepEqual(t.identityFile, [path.join(dir, 'keys/id')]);
    assert.equal(t.knownHostsFile, path.join(dir, 'kh'));
    assert.deepEqual(t.commands?.updateGrub, ['grub2-mkconfig', '-o', '/boot/grub2/grub.cfg']);
  });
});

describe('GRUB script and scenario modules', () => {
  test('the script is valid sh that prints the entries verbatim', () => {
    const s = grubScript([{ id: 'acrn-nest', title: "ACRN (it's $(x))", image: '/boot/acrn/acrn.bin', cmdline: 'root=PARTUUID=abc', modules: [{ grubPath: '/boot/vmlinuz 6', tag: 'Linux_bzImage' }] }], ['sha x']);
    const out = spawnSync('/bin/sh', ['-c', s], { encoding: 'utf8' }).stdout;
    assert.ok(out.startsWith(`menuentry 'ACRN (it'\\''s $(x))' --id acrn-nest {\n`), out);
    // The entry's tokens end the multiboot2 line; the marker is set only after every file loaded.
    assert.ok(out.includes(`\tmultiboot2 /boot/acrn/acrn.bin root=PARTUUID=abc acrn_nest.entry=acrn-nest\n\tmodule2 '/boot/vmlinuz 6' Linux_bzImage\n\tset acrn_nest_entry=acrn-nest\n\tsave_env acrn_nest_entry\n}`), out);
    const withSha = grubScript([{ id: 'acrn-nest', title: 'A', image: '/a.bin', cmdline: undefined, modules: [], sha256: 'ab'.repeat(32) }], []);
    assert.ok(withSha.includes('\tmultiboot2 /a.bin acrn_nest.entry=acrn-nest acrn_nest.image=abababababababab\n'), withSha);
    assert.equal(grubPathFor('/boot/acrn/acrn.bin', '/boot'), '/acrn/acrn.bin');
    assert.equal(grubPathFor('/boot/acrn/acrn.bin', '/'), '/boot/acrn/acrn.bin');
  });
  test('kern_mod and v3 ACPI modules from real scenarios (v2 and v3)', { skip: needs('v2.5', 'v3.3') }, () => {
    const v3 = scenarioInfo(loadFile(path.join(acrnTree('v3.3'), 'misc/config_tools/data/nuc11tnbi5/hybrid.xml')).text);
    assert.equal(v3.family, 'v3');
    assert.equal(v3.serviceKernMod, 'Linux_bzImage');
    assert.deepEqual(v3.acpiModules.map((m) => m.tag), ['ACPI_VM0']);
    const v2 = scenarioInfo(readFileSync(path.join(acrnTree('v2.5'), 'misc/config_tools/data/whl-ipc-i5/industry.xml'), 'utf8'));
    assert.equal(v2.family, 'v2');
    assert.equal(v2.serviceKernMod, 'Linux_bzImage');
    assert.deepEqual(v2.acpiModules, []);
    assert.throws(() => scenarioInfo('<acrn-config><BIOS_INFO/></acrn-config>', 'board.xml'), /board\.xml is not an ACRN scenario/);
  });
});

test('generateEd25519 only returns keys ssh2 can parse (ssh2 alone fails ~1 in 250)', () => {
  for (let i = 0; i < 600; i++) {
    const k = generateEd25519();
    assert.ok(!(utils.parseKey(k.public) instanceof Error), k.public);
    assert.ok(!(utils.parseKey(k.private) instanceof Error));
  }
});
