/**
 * hv-core/inspect without a board: the preflight probe's parsing, findings from real-looking
 * inspector output (its two log formats, tqdm's bar, the coloured summary, a traceback), the
 * GRUB entry text (from a Debian grub.cfg), the CLI's argument checks, the packed inspector.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultBoot, parseGrubCfg, parseGrubEnv } from '../../hv-core/deploy/grubcfg';
import {
  bootsLinux,
  checkBoardName,
  cpuidMinFrom,
  describeMissing,
  displayLine,
  entryBody,
  extractFindings,
  formatFinding,
  INSPECT_ENTRY_ID,
  inspectBase,
  inspectEntryText,
  inspectorToolsFrom,
  inspectScript,
  installCommand,
  kernelParamsFrom,
  LineSplitter,
  missingPackages,
  missingParams,
  notABoard,
  packInspector,
  parsePreflight,
  probeArgv,
  progressOf,
  successLine,
  tar,
} from '../../hv-core/inspect/index';
import { parseInspectArgs } from '../../hv-core/cli/board';
import { REPO } from '../acrn-data';

const TOOLS = ['cpuid', 'rdmsr', 'lspci', 'dmidecode', 'blkid', 'stty', 'modprobe'];
const PARAMS = ['iomem=relaxed', 'intel_idle.max_cstate=0', 'intel_pstate=disable'];

test('preflight: a bare Debian (no python3, no cpuid/msr-tools/pciutils/dmidecode), parameters missing', () => {
  const out = [
    'tool cpuid -',
    'tool rdmsr -',
    'tool lspci -',
    'tool dmidecode -',
    'tool blkid /usr/sbin/blkid',
    'tool stty /usr/bin/stty',
    'tool modprobe /usr/sbin/modprobe',
    'tool python3 -',
    'cmdline BOOT_IMAGE=/boot/vmlinuz root=UUID=5e1e ro console=ttyS0,115200 net.ifnames=0',
    'domains 0000 ',
    'vm yes',
    'os debian 12',
    'bootid 0b3c5f0e-1111-2222-3333-444455556666',
    'msr no',
  ].join('\n');
  const r = parsePreflight(out, { tools: TOOLS, params: PARAMS });
  assert.deepEqual(r.missingTools.map((t) => `${t.tool}=${t.pkg}`), ['cpuid=cpuid', 'rdmsr=msr-tools', 'lspci=pciutils', 'dmidecode=dmidecode', 'python3=python3']);
  assert.equal(r.python, false);
  assert.deepEqual(r.missingModules.map((m) => m.pkg), ['python3-lxml', 'python3-tqdm', 'python3-xmlschema']);
  assert.deepEqual(r.missingParams, PARAMS);
  assert.deepEqual(r.pciDomains, ['0000']);
  assert.equal(r.inVm, true);
  assert.equal(r.msrDevice, false);
  assert.equal(r.os, 'debian 12');
  assert.deepEqual(missingPackages(r), ['cpuid', 'msr-tools', 'pciutils', 'dmidecode', 'python3', 'python3-lxml', 'python3-tqdm', 'python3-xmlschema']);
  assert.equal(installCommand(r), 'sudo apt-get install --no-install-recommends cpuid msr-tools pciutils dmidecode python3 python3-lxml python3-tqdm python3-xmlschema');
  const msgs = describeMissing(r);
  assert.ok(msgs.includes('rdmsr is missing (package msr-tools)'), msgs.join('\n'));
  assert.ok(msgs.some((m) => m.startsWith("python3's modules lxml, tqdm, xmlschema")));
});

test('preflight: everything there, an old cpuid, a module missing, parameters present (last value wins)', () => {
  const out = [
    ...TOOLS.map((t) => `tool ${t} /usr/bin/${t}`),
    'tool python3 /usr/bin/python3',
    'py lxml ok',
    'py tqdm missing',
    'py xmlschema ok',
    'cmdline root=/dev/sda2 intel_pstate=passive iomem=relaxed intel_idle.max_cstate=0 intel_pstate=disable quiet',
    'cpuid cpuid version 20161201',
    'domains 0000 10000',
    'vm no',
    'msr yes',
  ].join('\n');
  const r = parsePreflight(out, { tools: TOOLS, params: PARAMS });
  assert.deepEqual(r.missingTools, []);
  assert.deepEqual(r.missingModules.map((m) => m.module), ['tqdm']);
  assert.deepEqual(r.missingParams, []);
  assert.equal(r.cpuidVersion, 20161201);
  assert.equal(r.cpuidTooOld, true);
  assert.deepEqual(r.pciDomains, ['0000', '10000']);
  assert.deepEqual(missingPackages(r), ['python3-tqdm', 'cpuid']);
  assert.deepEqual(missingParams('a intel_pstate=disable b intel_pstate=passive', ['intel_pstate=disable']), ['intel_pstate=disable']);
});

test('preflight: the tool list, cpuid minimum and parameters come from ACRN\'s own files', () => {
  const py = 'def check_deps():\n    # Check\n    had_error = not external_tools.locate_tools(["cpuid", "rdmsr", "lspci", "dmidecode", "blkid", "stty", "modprobe", "newtool"])\n    try:\n        cpuid_min_ver = 20170122\n';
  assert.deepEqual(inspectorToolsFrom(py), [...TOOLS, 'newtool']);
  assert.equal(cpuidMinFrom(py), 20170122);
  assert.equal(inspectorToolsFrom('print(1)'), undefined);
  assert.deepEqual(kernelParamsFrom('# to be appended\nGRUB_CMDLINE_ACRN_BOARD_INSPECTOR="iomem=relaxed intel_idle.max_cstate=0 intel_pstate=disable"\n'), PARAMS);
  const src = process.env.ACRN_SRC ?? path.resolve(REPO, '..', 'shared', 'acrn-src', 'v3.3');
  if (existsSync(path.join(src, 'misc/config_tools/board_inspector/board_inspector.py'))) {
    const p = packInspector(src);
    assert.deepEqual(inspectorToolsFrom(p.main), TOOLS);
    assert.deepEqual(kernelParamsFrom(p.grubHelper ?? ''), PARAMS);
    assert.ok(p.files > 40, `${p.files} files`);
    assert.equal(p.version, '3.3');
    // The archive is a real tar.gz that tar lists.
    const d = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-pack-'));
    try {
      writeFileSync(path.join(d, 'i.tgz'), p.tgz);
      const list = execFileSync('tar', ['-tzf', path.join(d, 'i.tgz')], { encoding: 'utf8' }).split('\n');
      assert.ok(list.includes('board_inspector/board_inspector.py'));
      assert.ok(list.includes('board_inspector/extractors/60-pci.py'));
      assert.ok(!list.some((l) => l.includes('__pycache__')));
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  }
});

test('probe argv: a constant script, names as positional arguments, anything else refused', () => {
  const argv = probeArgv(TOOLS, ['lxml']);
  assert.equal(argv[0], 'sh');
  assert.equal(argv[1], '-c');
  // The script names no tool of the list: they reach it only as "$1"...
  for (const t of ['rdmsr', 'lspci', 'dmidecode', 'lxml']) assert.ok(!argv[2]!.includes(t), t);
  assert.deepEqual(argv.slice(3), ['sh', ...TOOLS, 'python3', '--', 'lxml']);
  assert.throws(() => probeArgv(['cpuid; rm -rf /'], []), /not a tool or module name/);
});

test('tar: ustar headers with checksums, long names split into prefix', () => {
  const long = `board_inspector/${'a'.repeat(80)}/${'b'.repeat(60)}.py`;
  const t = tar([{ name: 'board_inspector/' }, { name: long, data: Buffer.from('x') }]);
  assert.equal(t.length % 512, 0);
  assert.equal(t.subarray(257, 262).toString(), 'ustar');
  const d = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-tar-'));
  try {
    writeFileSync(path.join(d, 't.tar'), t);
    assert.deepEqual(execFileSync('tar', ['-tf', path.join(d, 't.tar')], { encoding: 'utf8' }).trim().split('\n'), ['board_inspector/', long]);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

// What board_inspector.py prints in a VM with the legacy parser failing, as captured on a Debian 12
// QEMU guest (stderr and stdout interleaved; tqdm redraws with \r).
const RUN_VM = [
  'Generating board XML vm-board. This may take a few minutes...',
  '\r  0%|          | 0/100 [00:00<?, ?it/s]2026-12-02 01:04:31-root-WARNING:-Failed to invoke update-pciids. No functional impact is foreseen, but descriptions of PCI devices may be inaccurate.',
  '\r 10%|█         | 10/100 [00:03<00:27,  3.2it/s]2026-12-02 01:04:32-root-ERROR:-Board inspector is running inside an unsupported Virtual Machine (VM). Only KVM or QEMU is supported. Unexpected results may occur.',
  'CRITICAL:root:Unsupported processor GenuineIntel found.  ACRN requires using a GenuineIntel processor.',
  "2026-12-02 01:04:36-root-CRITICAL:-Command '['/usr/bin/python3', '/tmp/acrn-nest-inspect.6VnYh4/board_inspector/legacy/board_parser.py', 'vm-board', '--out', 'vm-board.xml']' returned non-zero exit status 1.",
  '\r 10%|█         | 10/100 [00:06<02:54,  1.9s/it]',
].join('\n');

const RUN_CRASH = [
  'Traceback (most recent call last):',
  '  File "/tmp/acrn-nest-inspect.b1167U/board_inspector/legacy/board_parser.py", line 86, in <module>',
  '    check_env()',
  '  File "/tmp/acrn-nest-inspect.b1167U/board_inspector/legacy/board_parser.py", line 42, in check_msr_nodes',
  '    for cpu_num in os.listdir(cpu_dirs):',
  '                   ^^^^^^^^^^^^^^^^^^^^',
  "FileNotFoundError: [Errno 2] No such file or directory: '/dev/cpu'",
  '2026-12-02 00:59:12-root-CRITICAL:-Command \'[...]\' returned non-zero exit status 1.',
].join('\n');

// A native run that succeeds with warnings, then prints its coloured summary (the same lines again).
const RUN_OK = [
  '2026-12-02 09:00:01-root-WARNING:-Cannot bring up core with cpu id 3.',
  '2026-12-02 09:00:40-root-ERROR:-Board configuration file lacks important features, e.g. CAT',
  '=' .repeat(120),
  '\x1b[1;37mWARNING\x1b[0m',
  'These issues affect optional features. You can ignore them if they don\'t apply to you.',
  '',
  '\x1b[1;33m2026-12-02 09:00:01-root-WARNING:-Cannot bring up core with cpu id 3.\x1b[0m',
  '\x1b[1;37mERROR\x1b[0m',
  '\x1b[1;31m2026-12-02 09:00:40-root-ERROR:-Board configuration file lacks important features, e.g. CAT\x1b[0m',
  '=' .repeat(120),
  '\x1b[1;32mSUCCESS: Board configuration file my-nuc.xml generated successfully and saved to /tmp/acrn-nest-inspect.x\x1b[0m',
].join('\n');

test('findings: both log formats, once each, with the inspector file and phase', () => {
  const f = extractFindings(RUN_VM);
  assert.deepEqual(f.map((x) => x.level), ['WARNING', 'ERROR', 'CRITICAL', 'CRITICAL']);
  assert.equal(f[1]!.phase, 'native check');
  assert.equal(f[2]!.message, 'Unsupported processor GenuineIntel found.  ACRN requires using a GenuineIntel processor.');
  assert.equal(f[2]!.file, 'legacy/board_parser.py');
  assert.equal(f[3]!.phase, 'legacy board parser');
  assert.equal(formatFinding(f[1]!), 'ERROR [native check]: Board inspector is running inside an unsupported Virtual Machine (VM). Only KVM or QEMU is supported. Unexpected results may occur.');
  assert.equal(successLine(RUN_VM), undefined);
});

test('findings: a traceback becomes a CRITICAL finding at the inspector\'s file and line', () => {
  const f = extractFindings(RUN_CRASH);
  assert.equal(f[0]!.level, 'CRITICAL');
  assert.equal(f[0]!.message, "the inspector crashed: FileNotFoundError: [Errno 2] No such file or directory: '/dev/cpu'");
  assert.equal(f[0]!.file, 'legacy/board_parser.py:42');
  assert.equal(f[0]!.phase, 'legacy board parser');
  assert.equal(f.length, 2);
});

test('findings: the coloured summary repeats lines: counted once; SUCCESS found', () => {
  const f = extractFindings(RUN_OK);
  assert.deepEqual(f.map((x) => `${x.level}: ${x.message}`), ['WARNING: Cannot bring up core with cpu id 3.', 'ERROR: Board configuration file lacks important features, e.g. CAT']);
  assert.match(successLine(RUN_OK)!, /^SUCCESS: Board configuration file my-nuc\.xml generated/);
});

test('progress: lines split at \\r and \\n, the bar\'s percentage, log lines shown plainly', () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push('\r 10%|█   | 10/100'), ['']);
  assert.deepEqual(s.push(' [00:01]\r 20%|██  | 20/100\n'), [' 10%|█   | 10/100 [00:01]', ' 20%|██  | 20/100']);
  assert.deepEqual(s.push('tail'), []);
  assert.deepEqual(s.end(), ['tail']);
  assert.equal(progressOf(' 40%|████      | 40/100 [00:10<00:15]'), 0.4);
  assert.equal(displayLine(' 40%|████      | 40/100'), undefined);
  assert.equal(displayLine('2026-12-02 01:04:31-root-WARNING:-Failed to invoke update-pciids.'), 'WARNING: Failed to invoke update-pciids.');
  assert.equal(displayLine('CRITICAL:root:Unsupported processor'), 'CRITICAL: Unsupported processor');
  assert.equal(displayLine('='.repeat(120)), undefined);
});

// Debian 12's grub.cfg as update-grub writes it (trimmed header).
const GRUB_CFG = `### BEGIN /etc/grub.d/00_header ###
if [ -s $prefix/grubenv ]; then
  load_env
fi
if [ "\${next_entry}" ] ; then
   set default="\${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="0"
fi
function load_video {
  if [ x$feature_all_video_module = xy ]; then
    insmod all_video
  fi
}
### END /etc/grub.d/00_header ###
### BEGIN /etc/grub.d/10_linux ###
menuentry 'Debian GNU/Linux' --class debian --class gnu-linux --class gnu --class os $menuentry_id_option 'gnulinux-simple-5e1e' {
\tload_video
\tinsmod gzio
\tif [ x$grub_platform = xxen ]; then insmod xzio; insmod lzopio; fi
\tinsmod part_gpt
\tinsmod ext2
\tsearch --no-floppy --fs-uuid --set=root 5e1e
\techo\t'Loading Linux 6.1.0-57-amd64 ...'
\tlinux\t/boot/vmlinuz-6.1.0-57-amd64 root=UUID=5e1e ro console=ttyS0,115200 net.ifnames=0 
\techo\t'Loading initial ramdisk ...'
\tinitrd\t/boot/initrd.img-6.1.0-57-amd64
}
submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option 'gnulinux-advanced-5e1e' {
\tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-57-amd64' --class debian $menuentry_id_option 'gnulinux-6.1.0-57-amd64-advanced-5e1e' {
\t\tload_video
\t\tlinux\t/boot/vmlinuz-6.1.0-57-amd64 root=UUID=5e1e ro console=ttyS0,115200 net.ifnames=0 iomem=relaxed
\t\tinitrd\t/boot/initrd.img-6.1.0-57-amd64
\t}
}
### END /etc/grub.d/10_linux ###
### BEGIN /etc/grub.d/41_acrn_nest ###
menuentry 'ACRN (acrn-nest)' --id 'acrn-nest' {
\tsearch --no-floppy --file --set=root /boot/acrn/acrn.bin
\tmultiboot2 /boot/acrn/acrn.bin root=UUID=5e1e acrn_nest.entry=acrn-nest
\tmodule2 /boot/vmlinuz Linux_bzImage
}
### END /etc/grub.d/41_acrn_nest ###
`;

test('GRUB: the default entry\'s own lines, the parameters appended to its linux line, a fixed id', () => {
  const menu = parseGrubCfg(GRUB_CFG);
  const def = defaultBoot(menu, parseGrubEnv(''));
  const base = inspectBase(GRUB_CFG, menu, def.entry)!;
  assert.equal(base.entry.title, 'Debian GNU/Linux');
  assert.equal(base.isDefault, true);
  const text = inspectEntryText({ title: `acrn-nest board inspection (once): ${base.entry.title}`, body: base.body, params: PARAMS });
  assert.equal(
    text,
    [
      `menuentry 'acrn-nest board inspection (once): Debian GNU/Linux' --id ${INSPECT_ENTRY_ID} {`,
      '\tload_video',
      '\tinsmod gzio',
      '\tif [ x$grub_platform = xxen ]; then insmod xzio; insmod lzopio; fi',
      '\tinsmod part_gpt',
      '\tinsmod ext2',
      '\tsearch --no-floppy --fs-uuid --set=root 5e1e',
      "\techo\t'Loading Linux 6.1.0-57-amd64 ...'",
      '\tlinux\t/boot/vmlinuz-6.1.0-57-amd64 root=UUID=5e1e ro console=ttyS0,115200 net.ifnames=0 iomem=relaxed intel_idle.max_cstate=0 intel_pstate=disable',
      "\techo\t'Loading initial ramdisk ...'",
      '\tinitrd\t/boot/initrd.img-6.1.0-57-amd64',
      '}',
    ].join('\n'),
  );
  // The script: a quoted here-document, so update-grub expands nothing ($grub_platform stays).
  const script = inspectScript(text, ['Boots "Debian GNU/Linux" (the default).']);
  assert.match(script, /^#!\/bin\/sh\n/);
  assert.match(script, /\ncat <<'ACRN_NEST_EOF'\nmenuentry /);
  assert.match(script, /\nACRN_NEST_EOF\n$/);
  // And parsed back as GRUB will: one entry with our id, loading the same kernel.
  const back = parseGrubCfg(text);
  assert.equal(back.entries[0]!.id, INSPECT_ENTRY_ID);
  assert.deepEqual(back.entries[0]!.files, ['/boot/vmlinuz-6.1.0-57-amd64', '/boot/initrd.img-6.1.0-57-amd64']);
});

test('GRUB: a submenu default, a parameter already there kept once; a hypervisor default falls back to Linux', () => {
  const menu = parseGrubCfg(GRUB_CFG);
  const sub = menu.entries.find((e) => e.path.join('>') === '1>0')!;
  const body = entryBody(GRUB_CFG, sub.path)!;
  assert.equal(body.length, 3);
  const text = inspectEntryText({ title: 't', body, params: PARAMS });
  assert.equal((text.match(/iomem=relaxed/g) ?? []).length, 1);
  assert.match(text, /net\.ifnames=0 iomem=relaxed intel_idle\.max_cstate=0 intel_pstate=disable$/m);
  // Default = ACRN (multiboot2): the inspector must run on native Linux -> the first Linux entry.
  const acrn = menu.entries.find((e) => e.id === 'acrn-nest')!;
  assert.equal(bootsLinux(entryBody(GRUB_CFG, acrn.path)!), false);
  const base = inspectBase(GRUB_CFG, menu, acrn)!;
  assert.equal(base.entry.title, 'Debian GNU/Linux');
  assert.equal(base.isDefault, false);
  assert.throws(() => inspectEntryText({ title: 't', body: ['\tmultiboot2 /boot/acrn.bin'], params: PARAMS }), /no linux line/);
});

test('board names and the CLI\'s arguments', () => {
  assert.equal(checkBoardName('my-nuc_11.2'), undefined);
  for (const bad of ['', '-rf', 'a b', 'x/y', "it's", '$(reboot)', 'a'.repeat(65)]) assert.ok(checkBoardName(bad), bad);
  const env = {};
  const ok = parseInspectArgs(['inspect', '--target-file', 't.json', '--name', 'nuc', '--acrn-tree', '/src/acrn'], '/ws', env);
  assert.equal(ok.out, '/ws/nuc.board.xml');
  assert.equal(ok.targetFile, '/ws/t.json');
  assert.equal(ok.basic, false);
  assert.equal(parseInspectArgs(['inspect', '--target-file', 't', '--name', 'nuc', '--out', 'b/x.xml', '--basic'], '/ws', { ACRN_TREE: '/t' }).acrnTree, '/t');
  const err = (argv: string[], re: RegExp): void => assert.throws(() => parseInspectArgs(argv, '/ws', env), re);
  err(['--target-file', 't', '--name', 'n', '--acrn-tree', '/a'], /subcommand is required: inspect/);
  err(['inspekt', '--target-file', 't'], /unknown subcommand 'inspekt'/);
  err(['inspect', '--name', 'n', '--acrn-tree', '/a'], /--target-file FILE is required/);
  err(['inspect', '--target-file', 't', '--acrn-tree', '/a'], /--name NAME is required/);
  err(['inspect', '--target-file', 't', '--name', 'a b', '--acrn-tree', '/a'], /--name: "a b" is not a board name/);
  err(['inspect', '--target-file', 't', '--name', 'n'], /--acrn-tree DIR is required/);
  err(['inspect', '--target-file', 't', '--name', 'n', '--acrn-tree', '/a', '--timeout', 'x'], /--timeout must be a number/);
});

test('fetch check: only an ACRN board file is accepted', () => {
  assert.equal(notABoard('<?xml version="1.0"?>\n<acrn-config board="vm-board"><BIOS_INFO>x</BIOS_INFO><processors/></acrn-config>'), undefined);
  assert.match(notABoard('<acrn-config><hv/><vm id="0"/></acrn-config>')!, /an ACRN scenario file/);
  assert.match(notABoard('<acrn-config board="x"><BIOS_INFO>')!, /not well-formed/);
  assert.match(notABoard('Traceback (most recent call last):')!, /not XML|not well-formed/);
});

test('the fetched board becomes acrnNest.boardFile as ${workspaceFolder}/… inside the folder, absolute outside', async () => {
  const { boardFileSetting, Config } = await import('../../extension/config.js');
  assert.equal(boardFileSetting('/ws/boards/nuc.board.xml', '/ws'), '${workspaceFolder}/boards/nuc.board.xml');
  assert.equal(boardFileSetting('/elsewhere/nuc.board.xml', '/ws'), '/elsewhere/nuc.board.xml');
  assert.equal(boardFileSetting('/x/nuc.board.xml', undefined), '/x/nuc.board.xml');
  const written: [string, unknown][] = [];
  const cfg = new Config({ get: () => undefined, workspaceFolder: () => '/ws', update: async (k: string, v: unknown) => {
      written.push([k, v]);
    } });
  await cfg.setBoardFile('/ws/nuc.board.xml');
  assert.deepEqual(written, [['acrnNest.boardFile', '${workspaceFolder}/nuc.board.xml']]);
});
