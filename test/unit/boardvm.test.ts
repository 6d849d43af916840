/**
 * The virtual board's pure parts (no QEMU): the settings entry made from its target file, the
 * cache key, and the CLI's usage errors. The VM itself is tested in test/integration/board-vm.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BoardVm, BoardVmError, imageKey, INSPECTABLE_BOARD, machineArgs, targetSettingFor, STANDIN_CMDLINE } from '../../hv-core/boardvm/vm';
import type { BoardDevice } from '../../hv-core/boardvm/vm';
import { runCli } from '../../hv-core/cli/main';
import { parseTarget } from '../../hv-core/ssh-target';

test('the acrnNest.targets entry of a virtual board: its target file with absolute local paths, valid as a target', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-bvm-'));
  const f = path.join(dir, 'target.json');
  writeFileSync(f, JSON.stringify({ name: 'board-vm', host: '127.0.0.1', port: 40022, user: 'acrn', identityFile: 'id_ed25519', knownHostsFile: 'known_hosts', sudo: true, cmdline: STANDIN_CMDLINE, hypervisorProbe: '/sys/hypervisor/type', console: { type: 'tcp', host: '127.0.0.1', port: 40023 } }));
  const e = targetSettingFor(f, 'vb');
  assert.equal(e.name, 'vb');
  assert.equal(e.identityFile, path.join(dir, 'id_ed25519'));
  assert.equal(e.knownHostsFile, path.join(dir, 'known_hosts'));
  const { console: c, ...rest } = e;
  assert.deepEqual(c, { type: 'tcp', host: '127.0.0.1', port: 40023 });
  assert.equal(parseTarget(rest).hypervisorProbe, '/sys/hypervisor/type');
});

test('the image cache key is the hash of the recipe: stable, 16 hex digits', () => {
  assert.match(imageKey(), /^[0-9a-f]{16}$/);
  assert.equal(imageKey(), imageKey());
});

test('board-vm CLI: usage errors exit 2 and name what is missing', async () => {
  const err: string[] = [];
  const io = { out: () => undefined, err: (l: string) => err.push(l), cwd: os.tmpdir(), env: process.env };
  assert.equal(await runCli(['board-vm', 'start'], io), 2);
  assert.match(err.join('\n'), /--dir DIR is required/);
  assert.equal(await runCli(['board-vm', 'start', '--dir', 'x', '--layout', 'fedora'], io), 2);
  assert.match(err.join('\n'), /--layout must be one of ubuntu, gsg, saved/);
  assert.equal(await runCli(['board-vm', 'reboot', '--dir', 'x'], io), 2);
  assert.equal(await runCli(['board-vm', 'status', '--dir', mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-bvm-'))], { ...io, out: (l: string) => err.push(l) }), 1);
  assert.match(err.join('\n'), /not running/);
});

test('an inspectable board: Intel\'s vendor, an IOMMU before the PCI devices, two CPUs; the cache key is the default machine\'s', async () => {
  const plain = machineArgs('d', 'v');
  assert.deepEqual(plain.slice(plain.indexOf('-cpu'), plain.indexOf('-cpu') + 2), ['-cpu', 'qemu64']);
  assert.ok(!plain.includes('intel-iommu'));
  const a = machineArgs('d', 'v', INSPECTABLE_BOARD.cpu, INSPECTABLE_BOARD.devices, INSPECTABLE_BOARD.cpus);
  assert.deepEqual(a.slice(a.indexOf('-cpu'), a.indexOf('-cpu') + 2), ['-cpu', 'qemu64,vendor=GenuineIntel']);
  assert.deepEqual(a.slice(a.indexOf('-smp'), a.indexOf('-smp') + 2), ['-smp', '2']);
  const iommu = a.indexOf('intel-iommu');
  assert.ok(iommu > 0 && a[iommu - 1] === '-device');
  assert.ok(iommu < a.findIndex((x) => x.startsWith('file=d')) && iommu < a.indexOf('virtio-net-pci,netdev=n0'), 'the IOMMU comes before the PCI devices');
  // The added PCI devices at fixed slots of their own: the disk and the NIC keep the slots the
  // firmware's boot entry names (QEMU creates the if=virtio disk after every -device).
  for (const d of ['VGA,addr=0x10', 'qemu-xhci,addr=0x11']) assert.equal(a[a.indexOf(d) - 1], '-device', d);
  // The saved image is the default machine's: options change no cache key.
  assert.deepEqual(machineArgs('X', 'X'), machineArgs('X', 'X', 'qemu64', [], 1));
  // Bad values are refused before anything starts.
  const vm = new BoardVm(mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-bvm-')));
  await assert.rejects(vm.start({ cpu: 'qemu64 -drive file=/etc/shadow' }), (e: BoardVmError) => e.code === 'bad-option' && /bad CPU "qemu64 -drive/.test(e.message));
  await assert.rejects(vm.start({ cpu: 'qemu64,,help' }), (e: BoardVmError) => e.code === 'bad-option');
  await assert.rejects(vm.start({ cpus: 0 }), (e: BoardVmError) => e.code === 'bad-option' && /1 to 8/.test(e.message));
  await assert.rejects(vm.start({ devices: ['e1000' as BoardDevice] }), (e: BoardVmError) => e.code === 'bad-option' && /unknown device e1000 \(intel-iommu, VGA, qemu-xhci\)/.test(e.message));
  const err: string[] = [];
  assert.equal(await runCli(['board-vm', 'start', '--dir', 'x', '--cpus', 'two'], { out: () => undefined, err: (l: string) => err.push(l), cwd: os.tmpdir(), env: process.env }), 2);
  assert.match(err.join('\n'), /--cpus must be a whole number from 1 to 8, not 'two'/);
});
