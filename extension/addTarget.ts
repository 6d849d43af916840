/**
 * "acrn-nest: Add Target...": a deploy target without JSON (issue 11). Lists the hosts of
 * ~/.ssh/config (as Remote-SSH does), else asks host, user and port; tests the connection (an
 * unknown host key is shown with its SHA256 fingerprint in the usual modal, recorded only on
 * "Trust and Connect"); writes acrnNest.targets (and acrnNest.defaultTarget when there was none).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { SshConnection, lookupSshConfig, resolveTargetSettings, sshConfigHosts } from '../hv-core/engine.js';
import { checkHost, checkPort, checkUser, takenNames, targetEntry, withTarget, type NewTarget } from './addTargetLogic.js';
import { Settings } from './constants.js';
import type { Ctx } from './context.js';
import { confirmHostKey, connectOptions, sudoPasswords } from './targets.js';

const ENTER = 'enter';

function sshConfigText(): string {
  try {
    return readFileSync(path.join(os.homedir(), '.ssh', 'config'), 'utf8');
  } catch {
    return '';
  }
}

/** Runs the command; the new target's name, or undefined when cancelled or the test failed. */
export async function addTarget(ctx: Ctx): Promise<string | undefined> {
  if (!ctx.trusted) {
    void vscode.window.showErrorMessage('acrn-nest: adding a target connects to it over SSH: trust this workspace first.');
    return undefined;
  }
  const cfg = sshConfigText();
  const hosts = sshConfigHosts(cfg);
  const items: (vscode.QuickPickItem & { id: string })[] = hosts.map((h) => {
    let description = 'from ~/.ssh/config';
    try {
      const e = lookupSshConfig(h, cfg);
      description = `${e.user ?? ''}${e.user ? '@' : ''}${e.hostName ?? h}${e.port && e.port !== 22 ? `:${e.port}` : ''} — ~/.ssh/config`;
    } catch {
      // keep the plain description
    }
    return { label: `$(remote) ${h}`, description, id: h };
  });
  items.push({ label: '$(add) Enter host and user...', description: 'a board not in ~/.ssh/config', id: ENTER });
  const pick = hosts.length ? await vscode.window.showQuickPick(items, { title: 'acrn-nest: Add Target — the board (Service VM) to deploy to', placeHolder: 'an SSH host' }) : items[0];
  if (!pick) return undefined;
  const raw = ctx.config.raw().targets;
  let entry: NewTarget;
  if (pick.id !== ENTER) entry = targetEntry({ sshAlias: pick.id }, takenNames(raw));
  else {
    const host = await vscode.window.showInputBox({ title: 'acrn-nest: Add Target — host name or IP address of the board', validateInput: (v) => checkHost(v) });
    if (!host) return undefined;
    const user = await vscode.window.showInputBox({ title: `acrn-nest: Add Target — SSH user on ${host}`, value: 'acrn', validateInput: (v) => checkUser(v) });
    if (!user) return undefined;
    const port = await vscode.window.showInputBox({ title: `acrn-nest: Add Target — SSH port of ${host}`, value: '22', validateInput: (v) => checkPort(v) });
    if (!port) return undefined;
    entry = targetEntry({ host: host.trim(), user: user.trim(), port: Number(port) }, takenNames(raw));
  }
  const resolved = resolveTargetSettings([entry], ctx.config.scope());
  const t = resolved.targets[0]?.target;
  if (!t) {
    void vscode.window.showErrorMessage(`acrn-nest: ${resolved.errors.join('; ')}`);
    return undefined;
  }
  // Test the connection: the host key modal shows the fingerprint of a key not yet known.
  let fingerprint: string | undefined;
  const opts = await connectOptions(t, sudoPasswords(ctx.extension.secrets), ctx.log);
  opts.onUnknownHostKey = async (info) => {
    fingerprint = info.fingerprint;
    return confirmHostKey(info);
  };
  let conn: SshConnection | undefined;
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `acrn-nest: connecting to ${t.user}@${t.host}:${t.port}` }, async () => {
      conn = await SshConnection.connect(t, opts);
      // One plain command (no shell needed: a board simulator has none).
      const r = await conn.exec(['true']);
      if (r.code !== 0) throw new Error(`connected, but a command failed there: ${r.stderr.trim() || `exit ${String(r.code)}`}`);
    });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    ctx.log.error(`add target ${t.name}: ${msg}`);
    const again = 'Add Anyway';
    const a = await vscode.window.showErrorMessage(`acrn-nest: cannot connect to ${t.user}@${t.host}:${t.port}: ${msg}`, again, 'Show Log');
    if (a === 'Show Log') ctx.log.show();
    if (a !== again) return undefined;
  } finally {
    conn?.close();
  }
  await ctx.config.set(Settings.targets, withTarget(raw, entry));
  if (!ctx.config.defaultTarget) await ctx.config.setDefaultTarget(entry.name);
  ctx.log.info(`target ${entry.name} added (${t.user}@${t.host}:${t.port}${fingerprint ? `, host key ${fingerprint}` : ''})`);
  void vscode.window.showInformationMessage(`acrn-nest: target ${entry.name} added: ${t.user}@${t.host}:${t.port}${fingerprint ? `, host key ${fingerprint}` : ', host key already known'}.`);
  return entry.name;
}
