/**
 * Extension logic that needs no window (issue 13): which target a command uses, sudo passwords
 * keyed by the target's identity (repointing a target never reuses its secret), error codes ->
 * actions (never message text), and the wizard's webview messages checked against their declared
 * shapes before the host acts on them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { utils } from 'ssh2';
import { actionsFor, buttonsFor, retriesWithSudoPassword } from '../../extension/errorActions';
import { SudoPasswords, sudoSecretKey } from '../../extension/secrets';
import type { SecretStore } from '../../extension/secrets';
import { chooseTarget } from '../../extension/targetChoice';
import { BuildError } from '../../hv-core/acrn-build/tree';
import { AcrnNestError, ErrorCodes, errorCode } from '../../hv-core/errors';
import { resolveTargetSettings } from '../../hv-core/settings';
import type { TargetSettings } from '../../hv-core/settings';
import { RemoteCommandError } from '../../hv-core/ssh-target/connection';
import { fingerprint } from '../../hv-core/ssh-target/known-hosts';
import type { ResolvedTarget } from '../../hv-core/ssh-target/target';
import { checkNvmxToHost } from '../../webview/protocol';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-ext-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function targets(entries: unknown[]): { targets: TargetSettings[]; errors: string[] } {
  return resolveTargetSettings(entries, { workspaceFolder: tmp }, { sshConfigText: '', homeDir: tmp, localUser: 'u' });
}

describe('target choice', () => {
  const two = targets([{ name: 'a', host: 'ha' }, { name: 'b', host: 'hb' }]);
  test('by name; unknown name is an error with a stable code', () => {
    const c = chooseTarget(two, 'b', undefined);
    assert.ok(c.kind === 'target' && c.target.name === 'b');
    assert.throws(() => chooseTarget(two, 'zz', undefined), (e: unknown) => errorCode(e) === ErrorCodes.unknownTarget && /known: a, b/.test((e as Error).message));
  });
  test('the default target, else the only one, else a pick with the default first', () => {
    const d = chooseTarget(two, undefined, 'b');
    assert.ok(d.kind === 'target' && d.target.name === 'b');
    const one = chooseTarget(targets([{ name: 'solo', host: 'h' }]), undefined, undefined);
    assert.ok(one.kind === 'target' && one.target.name === 'solo');
    const p = chooseTarget(two, undefined, 'b', true);
    assert.ok(p.kind === 'pick');
    assert.deepEqual(p.items.map((i) => [i.target.name, i.isDefault]), [['b', true], ['a', false]]);
  });
  test('no targets: "none" (the caller offers Add Target); invalid entries: an error', () => {
    assert.equal(chooseTarget(targets([]), undefined, undefined).kind, 'none');
    assert.throws(() => chooseTarget(targets([{ name: 'x' }]), undefined, undefined), (e: unknown) => errorCode(e) === ErrorCodes.badTargets);
  });
});

/** A fresh ed25519 public key blob (what known_hosts holds, base64). */
function publicBlob(): Buffer {
  const k = utils.parseKey(utils.generateKeyPairSync('ed25519').public);
  if (k instanceof Error) throw k;
  return Buffer.from(k.getPublicSSH());
}

class MemorySecrets implements SecretStore {
  readonly map = new Map<string, string>();
  get(k: string): Promise<string | undefined> {
    return Promise.resolve(this.map.get(k));
  }
  store(k: string, v: string): Promise<void> {
    this.map.set(k, v);
    return Promise.resolve();
  }
  delete(k: string): Promise<void> {
    this.map.delete(k);
    return Promise.resolve();
  }
}

describe('sudo passwords keyed by the target\'s identity', () => {
  const target = (entry: Record<string, unknown>): ResolvedTarget => targets([{ name: 'nuc', knownHostsFile: path.join(tmp, 'known_hosts'), ...entry }]).targets[0]!.target;

  test('repointing a target (same name, another host) does not reuse the stored password', async () => {
    const secrets = new MemorySecrets();
    const pw = new SudoPasswords(secrets, () => Promise.resolve('s3cret'));
    const before = target({ host: '10.0.0.2', user: 'acrn' });
    assert.equal(await pw.ask(before, 'sudo asks.'), 's3cret');
    assert.equal(await pw.get(before), 's3cret');
    assert.equal(await pw.get(target({ host: '10.0.0.99', user: 'acrn' })), undefined, 'another host');
    assert.equal(await pw.get(target({ host: '10.0.0.2', user: 'root' })), undefined, 'another user');
    assert.equal(await pw.get(target({ host: '10.0.0.2', user: 'acrn', port: 2222 })), undefined, 'another port');
    assert.ok([...secrets.map.keys()].every((k) => !k.endsWith('.nuc')), 'the display name is not the key');
  });

  test('the host key\'s fingerprint is part of the key once it is recorded: a reinstalled board asks again', async () => {
    const kh = path.join(tmp, 'kh-fp');
    const t = target({ host: '10.0.0.7', user: 'acrn', knownHostsFile: kh });
    const key1 = publicBlob();
    writeFileSync(kh, `10.0.0.7 ssh-ed25519 ${key1.toString('base64')}\n`);
    assert.equal(sudoSecretKey(t), `acrnNest.sudoPassword.acrn@10.0.0.7:22#${fingerprint(key1)}`);
    const secrets = new MemorySecrets();
    const pw = new SudoPasswords(secrets, () => Promise.resolve('one'));
    await pw.ask(t, 'x');
    assert.equal(await pw.get(t), 'one');
    const key2 = publicBlob();
    writeFileSync(kh, `10.0.0.7 ssh-ed25519 ${key2.toString('base64')}\n`);
    assert.equal(await pw.get(t), undefined);
    // Forget removes every key this target's password may be under (also the old name-only key).
    await secrets.store(`acrnNest.sudoPassword.${t.name}`, 'legacy');
    await secrets.store(sudoSecretKey(t, ''), 'before the host key');
    await pw.forget(t);
    writeFileSync(kh, `10.0.0.7 ssh-ed25519 ${key1.toString('base64')}\n`);
    await pw.forget(t);
    assert.deepEqual([...secrets.map.keys()], []);
  });
});

describe('error codes -> actions', () => {
  test('sudo needs a password: found by code through the deploy error\'s cause, not by wording', () => {
    const remote = new RemoteCommandError('nuc', 'install', { code: 1, signal: null, stdout: '', stderr: 'sudo: a password is required' }, 'any wording', ErrorCodes.sudoPasswordNeeded);
    const deployError = Object.assign(new Error('deploy failed at step 3 (install) on nuc: worded differently'), { cause: remote });
    assert.equal(errorCode(deployError), ErrorCodes.sudoPasswordNeeded);
    assert.ok(retriesWithSudoPassword(errorCode(deployError)));
    assert.ok(!retriesWithSudoPassword(errorCode(new Error('sudo needs a password'))), 'text alone is not acted on');
  });
  test('each code its buttons, "Show Log" last', () => {
    assert.deepEqual(buttonsFor(errorCode(new BuildError('stage', 'build/config-conflict', 'x'))).map((a) => a.label), ['Run make clean and Build', 'Show Log']);
    assert.deepEqual(buttonsFor('build/compile').map((a) => a.kind), ['showProblems', 'showLog']);
    assert.deepEqual(actionsFor(ErrorCodes.noBoard).slice(0, 2), [{ kind: 'choosePath', label: 'Choose Board XML...', setting: 'acrnNest.boardFile', folder: false }, { kind: 'openSetting', label: 'Open Setting', setting: 'acrnNest.boardFile' }]);
    assert.deepEqual(actionsFor(ErrorCodes.noAcrnTree).slice(0, 2), [{ kind: 'choosePath', label: 'Choose ACRN tree...', setting: 'acrnNest.acrnTree', folder: true }, { kind: 'openSetting', label: 'Open Setting', setting: 'acrnNest.acrnTree' }]);
    assert.deepEqual(actionsFor(ErrorCodes.noHostAcrnTree)[0], { kind: 'openSetting', label: 'Open Setting', setting: 'acrnNest.build.hostAcrnTree' });
    assert.deepEqual(actionsFor(ErrorCodes.noTarget).slice(0, 2), [{ kind: 'runCommand', label: 'Add Target...', command: 'acrnNest.addTarget' }, { kind: 'openSetting', label: 'Open Setting', setting: 'acrnNest.targets' }]);
    assert.deepEqual(actionsFor(ErrorCodes.hostKeyRecordFailed)[0], { kind: 'openSetting', label: 'Open Setting', setting: 'acrnNest.targets' });
    assert.deepEqual(buttonsFor(undefined).map((a) => a.kind), ['showLog']);
    // Issue 11 defect 2: every error a setting can fix offers "Choose..." and "Open Setting".
    const fixable: Record<string, string> = {
      'preflight/python-module': 'acrnNest.build.python',
      'preflight/python-missing': 'acrnNest.build.python',
      'preflight/python-broken': 'acrnNest.build.python',
      'preflight/python-module-old': 'acrnNest.build.python',
      'inputs/dialect-mismatch': 'acrnNest.acrnTree',
      'tree/missing': 'acrnNest.acrnTree',
      'tree/not-a-folder': 'acrnNest.acrnTree',
      'tree/no-version': 'acrnNest.acrnTree',
      'inputs/board-missing': 'acrnNest.boardFile',
      'inputs/not-a-board': 'acrnNest.boardFile',
    };
    for (const [code, setting] of Object.entries(fixable)) {
      const b = buttonsFor(code);
      assert.ok(b.some((a) => a.kind === 'choosePath' && a.setting === setting && a.label.startsWith('Choose')), `${code}: a Choose... button for ${setting}`);
      assert.ok(b.some((a) => a.kind === 'openSetting' && a.setting === setting), `${code}: Open Setting ${setting}`);
    }
    assert.deepEqual(buttonsFor(ErrorCodes.sudoPasswordNeeded).map((a) => a.kind), ['showLog'], 'asking for the password is not a button');
  });
  test('errorCode: the base class, BuildError codes, none on plain errors or errno codes', () => {
    assert.equal(errorCode(new AcrnNestError('nvmx/no-vm', 'x')), 'nvmx/no-vm');
    assert.equal(errorCode(new BuildError('inputs', 'inputs/no-board', 'x')), 'inputs/no-board');
    assert.equal(errorCode(Object.assign(new Error('x'), { code: 'ENOENT' })), undefined);
    assert.equal(errorCode('x'), undefined);
  });
});

describe('webview -> host messages are checked before they are acted on', () => {
  test('well-formed messages pass', () => {
    for (const m of [
      { kind: 'notification', method: 'ready', params: {} },
      { kind: 'request', id: 1, method: 'preview', params: { action: 'enable', choices: { vm1: 'keep' } } },
      { kind: 'request', id: 2, method: 'apply', params: { action: 'disable', choices: {}, version: 7 } },
      { kind: 'request', id: 3, method: 'reveal', params: { start: 10, end: 20 } },
    ]) assert.ok(checkNvmxToHost(m).ok, JSON.stringify(m));
  });
  test('malformed messages are rejected with a reason', () => {
    for (const [m, why] of [
      [null, /not an object/],
      ['ready', /not an object/],
      [{ kind: 'request', id: 1, method: 'deleteEverything', params: {} }, /unknown method/],
      [{ kind: 'request', id: 1, method: '__proto__', params: {} }, /unknown method/],
      [{ kind: 'request', method: 'preview', params: { action: 'enable', choices: {} } }, /numeric id/],
      [{ kind: 'request', id: 1, method: 'preview', params: { action: 'explode', choices: {} } }, /params/],
      [{ kind: 'request', id: 1, method: 'preview', params: { action: 'enable', choices: { vm1: 'burn' } } }, /params/],
      [{ kind: 'request', id: 1, method: 'apply', params: { action: 'enable', choices: {}, version: '7' } }, /params/],
      [{ kind: 'request', id: 1, method: 'reveal', params: { start: -1, end: 2 } }, /params/],
      [{ kind: 'request', id: 1, method: 'reveal', params: { start: 5, end: 2 } }, /params/],
      [{ kind: 'request', id: 1, method: 'reveal' }, /params/],
      [{ kind: 'notification', method: 'state', params: {} }, /unknown notification/],
      [{ kind: 'response', id: 1 }, /unknown kind/],
    ] as const) {
      const r = checkNvmxToHost(m);
      assert.ok(!r.ok, JSON.stringify(m));
      assert.match(r.reason, why, JSON.stringify(m));
    }
  });
});
