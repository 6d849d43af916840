/**
 * `acrn-nest board inspect` on THE VIRTUAL BOARD (hv-core/boardvm: Debian 12, real GRUB 2 under
 * OVMF, QEMU TCG) with ACRN v3.3's own board inspector (../shared/acrn-src/v3.3, or $ACRN_SRC). The
 * board is started as a small Intel board (INSPECTABLE_BOARD: Intel's vendor string on qemu64, two
 * CPUs, an IOMMU, a display, a USB controller; docs/board-vm.md says what the inspector stops at
 * without each), which boots cold:
 *
 *  1 the preflight on the bare image: the inspector's missing tools named with their packages, and
 *    ACRN's three kernel parameters missing from /proc/cmdline;
 *  2 what the guest lacks supplied: the .deb files of an earlier apt-get install, kept in the
 *    board-vm cache (inspector-debs/), installed by apt-get from its own archive folder; without
 *    them the engine's own --install-missing (apt-get through QEMU's user network), whose .debs
 *    are then kept; the preflight then finds every tool;
 *  3 the whole command: one-shot boot with the parameters (seen in the VM's /proc/cmdline), the
 *    entry removed right after (grub.cfg, /etc/grub.d, grubenv next_entry, the default unchanged),
 *    the inspector run, and the fetch: the XML at --out, an ACRN board file, valid against the
 *    tree's board.xsd; the inspector's own words (it knows it runs in a VM) among the findings;
 *  4 a plain reboot (power cycle) boots the default without the parameters.
 *
 * One VM, stopped in after(). Each boot costs one to two minutes under TCG (more on a loaded host).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BoardVm, defaultCacheDir, INSPECTABLE_BOARD, missingHostTools } from '../../hv-core/boardvm/vm';
import { runCli } from '../../hv-core/cli/main';
import { defaultBoot, parseGrubCfg, parseGrubEnv } from '../../hv-core/deploy/grubcfg';
import { DEFAULT_KERNEL_PARAMS, INSPECT_ENTRY_ID, INSPECT_SCRIPT, inspectBoard, InspectError, notABoard } from '../../hv-core/inspect/index';
import type { PreflightReport } from '../../hv-core/inspect/index';
import { loadTargetFile, resolveTarget, SshConnection } from '../../hv-core/ssh-target/index';
import type { ResolvedTarget } from '../../hv-core/ssh-target/index';
import { checkBoardSchema } from '../../hv-core/schema/boardSchema';
import { DEPLOY_LOCK, LOCK_HELD_MARK, LOCK_SCRIPT } from '../../hv-core/deploy/lock';
import { REPO } from '../acrn-data';

const SRC = process.env.ACRN_SRC ?? path.resolve(REPO, '..', 'shared', 'acrn-src', 'v3.3');
const missing = missingHostTools('xen-standin');
const skip = missing.length ? `the virtual board needs ${missing.join(', ')}` : !existsSync(path.join(SRC, 'misc/config_tools/board_inspector/board_inspector.py')) ? `no ACRN v3 tree with the board inspector at ${SRC} (set ACRN_SRC)` : false;
const DEBS = path.join(defaultCacheDir(), 'inspector-debs');

let dir: string;
let vm: BoardVm;
let targetFile: string;
let target: ResolvedTarget;
let defaultBefore: string | undefined;
let toolsSupplied = false;
const figures: Record<string, number> = {};

async function sh(script: string, sudo = true, timeoutMs = 120_000): Promise<string> {
  const c = await SshConnection.connect(target, {});
  try {
    return (await c.run(['sh', '-c', script], { sudo, timeoutMs })).stdout;
  } finally {
    c.close();
  }
}

async function grubState(): Promise<{ default: string | undefined; entries: (string | undefined)[]; nextEntry: string | undefined; script: boolean; cmdline: string }> {
  const out = await sh(`cat /boot/grub/grub.cfg; echo '@@ENV@@'; grub-editenv - list; echo '@@SCRIPT@@'; test -e ${INSPECT_SCRIPT} && echo yes; echo '@@CMDLINE@@'; cat /proc/cmdline`);
  const [cfg, rest1] = out.split('@@ENV@@\n');
  const [env, rest2] = rest1!.split('@@SCRIPT@@\n');
  const [script, cmdline] = rest2!.split('@@CMDLINE@@\n');
  const menu = parseGrubCfg(cfg!);
  const d = defaultBoot(menu, parseGrubEnv(env!));
  return { default: d.entry?.id ?? d.entry?.title, entries: menu.entries.map((e) => e.id), nextEntry: parseGrubEnv(env!).get('next_entry') || undefined, script: script!.trim() === 'yes', cmdline: cmdline!.trim() };
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['board', 'inspect', ...args], { out: (l) => out.push(l), err: (l) => err.push(l), cwd: dir, env: process.env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-inspect-'));
  vm = new BoardVm(path.join(dir, 'vm'));
  // A small Intel board as far as the inspector asks (docs/board-vm.md): Intel's vendor string on
  // the same emulated CPU, two CPUs, an IOMMU (DMAR), a display (DRM) and a USB controller.
  targetFile = await vm.start(INSPECTABLE_BOARD);
  target = resolveTarget(loadTargetFile(targetFile));
});

after(async () => {
  if (skip) return;
  await vm?.stop().catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (Object.keys(figures).length) console.log(`board-inspect figures (s): ${JSON.stringify(figures)}`);
});

test('preflight on the bare virtual board: missing tools with their packages, missing kernel parameters', { skip }, async () => {
  const t0 = Date.now();
  const r = await cli(['--target-file', targetFile, '--name', 'vm-board', '--acrn-tree', SRC, '--preflight-only']);
  figures.preflight = (Date.now() - t0) / 1000;
  assert.equal(r.code, 1, r.out + r.err);
  for (const [tool, pkg] of [['cpuid', 'cpuid'], ['rdmsr', 'msr-tools'], ['lspci', 'pciutils'], ['dmidecode', 'dmidecode']]) {
    assert.match(r.out, new RegExp(`missing: ${tool} is missing \\(package ${pkg}\\)`), r.out);
  }
  // util-linux, coreutils and kmod are in the image: not reported.
  for (const tool of ['blkid', 'stty', 'modprobe']) assert.doesNotMatch(r.out, new RegExp(`missing: ${tool} `));
  assert.match(r.out, /kernel parameters missing from \/proc\/cmdline: iomem=relaxed intel_idle\.max_cstate=0 intel_pstate=disable/);
  assert.match(r.out, /fix: on 127\.0\.0\.1 run: sudo apt-get install --no-install-recommends .*msr-tools.*pciutils/);
  const g = await grubState();
  defaultBefore = g.default;
  assert.ok(defaultBefore, 'a default entry');
  assert.equal(g.script, false);
});

test('supplying what the guest lacks: the preflight then finds every tool', { skip, timeout: 900_000 }, async () => {
  const t0 = Date.now();
  const debs = existsSync(DEBS) ? readdirSync(DEBS).filter((f) => f.endsWith('.deb')) : [];
  let report: PreflightReport;
  if (debs.length) {
    const c = await SshConnection.connect(target, {});
    try {
      const stage = (await c.run(['mktemp', '-d', '/tmp/acrn-nest-debs.XXXXXX'])).stdout.trim();
      for (const f of debs) await c.upload(readFileSync(path.join(DEBS, f)), `${stage}/${f}`);
      // From apt's own archive folder: given paths elsewhere, apt-get 2.6 stops with "Internal
      // Error, Pathname to install is not absolute" on a pre-dependency (python3.11-minimal).
      await c.run(['sh', '-c', 'cp -- "$1"/*.deb /var/cache/apt/archives/ && rm -rf -- "$1" && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends --no-download /var/cache/apt/archives/*.deb >/dev/null', 'sh', stage], { sudo: true, timeoutMs: 900_000 });
    } finally {
      c.close();
    }
    report = (await inspectBoard({ target, name: 'vm-board', acrnTree: SRC, out: path.join(dir, 'unused.xml'), preflightOnly: true })).preflight;
  } else {
    // The engine's own --install-missing (apt-get); slow under TCG (minutes), done once: the
    // .debs are kept for the next runs.
    try {
      report = (await inspectBoard({ target, name: 'vm-board', acrnTree: SRC, out: path.join(dir, 'unused.xml'), preflightOnly: true, installMissing: true })).preflight;
    } catch (e) {
      if (e instanceof InspectError && e.code === 'inspect/install-failed') {
        // No mirror from this VM: the preflight's report above is the test; nothing more to run.
        assert.match(e.message, /step 1 \(preflight/);
        return;
      }
      throw e;
    }
    const c = await SshConnection.connect(target, {});
    try {
      const sftp = await c.sftp();
      mkdirSync(DEBS, { recursive: true });
      for (const f of (await c.run(['sh', '-c', 'ls /var/cache/apt/archives/*.deb'])).stdout.trim().split('\n')) {
        const data = await new Promise<Buffer>((res, rej) => sftp.readFile(f, (err, d) => (err ? rej(err) : res(d))));
        writeFileSync(path.join(DEBS, path.basename(f)), data);
      }
    } finally {
      c.close();
    }
  }
  figures.supplyTools = (Date.now() - t0) / 1000;
  assert.deepEqual(report.missingTools.map((t) => t.tool), []);
  assert.deepEqual(report.missingModules.map((m) => m.module), []);
  assert.deepEqual(report.missingParams, DEFAULT_KERNEL_PARAMS);
  assert.equal(report.inVm, true);
  toolsSupplied = true;
});

test('a deploy in progress (its lock held on the board): the inspection stops before it writes GRUB, nothing changed', { skip, timeout: 300_000 }, async (t) => {
  if (!toolsSupplied) return t.skip('the guest has no inspector tools (no mirror, no cached .debs)');
  const before = await grubState();
  // A holder as deploy runs it (flock with its heartbeat script), on its own SSH connection.
  const c = await SshConnection.connect(target, {});
  try {
    const ch = await c.channel(['flock', '-n', DEPLOY_LOCK, 'sh', '-c', LOCK_SCRIPT, 'sh', '120'], undefined, { sudo: target.sudo });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      ch.on('data', (d: Buffer) => (out += d.toString()).includes(LOCK_HELD_MARK) && resolve());
      ch.once('close', () => reject(new Error(`the lock holder ended: ${out}`)));
    });
    const r = await cli(['--target-file', targetFile, '--name', 'vm-board', '--acrn-tree', SRC, '--out', path.join(dir, 'busy.xml'), '--basic']);
    const all = `${r.out}\n${r.err}`;
    assert.equal(r.code, 1, all);
    assert.match(all, /step 2 \(boot[^)]*\).*another acrn-nest deploy or inspection of .* holds \/run\/lock\/acrn-nest-deploy\.lock, so the one-shot boot did not start and nothing was changed/s);
    const after = await grubState();
    assert.equal(after.script, false, 'no inspection script written');
    assert.deepEqual(after.entries, before.entries);
    assert.equal(after.nextEntry, before.nextEntry);
    assert.equal(after.default, before.default);
    ch.end();
  } finally {
    c.close();
  }
});

test('inspect: one-shot boot with the parameters, the entry removed, the board XML fetched and valid against board.xsd', { skip, timeout: 900_000 }, async (t) => {
  if (!toolsSupplied) return t.skip('the guest has no inspector tools (no mirror, no cached .debs)');
  const out = path.join(dir, 'ws', 'vm-board.board.xml');
  const t0 = Date.now();
  const r = await cli(['--target-file', targetFile, '--name', 'vm-board', '--acrn-tree', SRC, '--out', out, '--basic']);
  figures.inspectTotal = (Date.now() - t0) / 1000;
  const all = `${r.out}\n${r.err}`;
  const boot = /booted once with iomem=relaxed intel_idle\.max_cstate=0 intel_pstate=disable in ([\d.]+) s; the entry is removed/.exec(all);
  assert.ok(boot, all);
  figures.oneShotReboot = Number(boot[1]);
  // Still in the inspection boot: the parameters are in the board's /proc/cmdline ...
  const g = await grubState();
  for (const p of DEFAULT_KERNEL_PARAMS) assert.ok(g.cmdline.split(/\s+/).includes(p), `${p} in ${g.cmdline}`);
  // ... and GRUB is already back to normal: no script, no entry, no pending one-shot, same default.
  assert.equal(g.script, false);
  assert.ok(!g.entries.includes(INSPECT_ENTRY_ID), 'the inspect entry is gone from grub.cfg');
  assert.equal(g.nextEntry, undefined);
  assert.equal(g.default, defaultBefore);
  // The inspector's own lines were streamed as progress.
  assert.match(r.out, /Generating board XML vm-board/);
  const run = /\[4\/5\] run: sudo python3 board_inspector\/board_inspector\.py vm-board --out vm-board\.xml --basic/.exec(r.out);
  assert.ok(run, r.out);
  // The whole flow: the XML fetched to --out, an ACRN board file, valid against the tree's board.xsd.
  assert.equal(r.code, 0, all);
  const esc = (x: string): string => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  assert.match(r.out, new RegExp(`\\[5/5\\] fetch done: ${esc(out)} \\(\\d+ KiB, an ACRN board file, valid against misc/config_tools/schema/board\\.xsd\\)`));
  assert.match(r.out, new RegExp(`board XML: ${esc(out)}`));
  const xml = readFileSync(out, 'utf8');
  assert.equal(notABoard(xml), undefined);
  assert.match(xml, /<acrn-config board="vm-board">/);
  assert.deepEqual(checkBoardSchema(xml, SRC).findings, []);
  // The inspector's own words: it knows it runs in a VM, and TCG has no VMX (its boardchecks.xsd
  // ERRORs; the XML is still written, as on a real board with a feature off in the BIOS).
  assert.match(r.out, /the inspector's findings \(\d+\):/);
  assert.match(r.out, /ERROR \[native check\]: Board inspector is running inside an unsupported Virtual Machine/);
  assert.match(r.out, /ERROR \[native check\]: Virtual Machine Extensions \(VMX\) feature is not supported on this processor/);
  assert.doesNotMatch(r.out, /CRITICAL \[/);
  // The staging folder is gone.
  assert.equal((await sh('ls -d /tmp/acrn-nest-inspect.* 2>/dev/null || true', false)).trim(), '');
});

test('a plain reboot afterwards boots the default without the parameters', { skip, timeout: 600_000 }, async (t) => {
  if (!toolsSupplied) return t.skip('the one-shot boot did not run');
  const { seconds } = await vm.powerCycle();
  figures.plainReboot = seconds;
  const g = await grubState();
  for (const p of DEFAULT_KERNEL_PARAMS) assert.ok(!g.cmdline.split(/\s+/).includes(p), `${p} not in ${g.cmdline}`);
  assert.equal(g.default, defaultBefore);
  assert.ok(!g.entries.includes(INSPECT_ENTRY_ID));
});
