/**
 * The virtual board (hv-core/boardvm), under QEMU TCG here: boot to SSH (start = resume of the
 * cached booted guest; target 60 s), acrn-nest's deploy + reboot + verify of the Xen stand-in
 * against the same job done by hand with OpenSSH (scp the image, ssh: install it, write a GRUB
 * entry, update-grub, grub-reboot, reboot, wait for SSH; no verification), alternating, and a
 * power cycle (QMP system_reset) to SSH into the deployed entry.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Report } from '../bench';
import { median } from '../bench';
import { BoardVm, missingHostTools, STANDIN_CMDLINE } from '../../hv-core/boardvm/vm';
import { deploy } from '../../hv-core/deploy';
import { loadTargetFile, resolveTarget } from '../../hv-core/ssh-target';

export const title = 'Virtual board (QEMU TCG, real GRUB)';

// Each round is two real reboots under TCG (minutes): one round, alternating order would not change much.
const ROUNDS = 1;

function ssh(port: number, key: string, kh: string, cmd: string): void {
  const r = spawnSync('ssh', ['-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${kh}`, '-o', 'ConnectTimeout=5', '-i', key, '-p', String(port), 'acrn@127.0.0.1', cmd], { encoding: 'utf8' });
  if (r.status !== 0 && !/closed by remote host|Connection reset/.test(r.stderr)) throw new Error(`ssh ${cmd}: ${r.stderr}`);
}

function bootId(port: number, key: string, kh: string): string | undefined {
  const r = spawnSync('ssh', ['-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${kh}`, '-o', 'ConnectTimeout=3', '-i', key, '-p', String(port), 'acrn@127.0.0.1', 'cat /proc/sys/kernel/random/boot_id'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Polls (as a user's script would) until SSH answers with another boot id. */
async function waitRebooted(port: number, key: string, kh: string, before: string, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const id = bootId(port, key, kh);
    if (id && id !== before) return;
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error('SSH did not come back');
}

export async function run(report: Report): Promise<void> {
  const miss = missingHostTools('xen-standin');
  if (miss.length) throw new Error(`the virtual board needs: ${miss.join(', ')}`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-bench-vm-'));
  const vm = new BoardVm(path.join(work, 'vm'));
  await vm.ensureImage();
  const t0 = Date.now();
  const targetFile = await vm.start({ layout: 'ubuntu', hypervisor: 'xen-standin' });
  const boot = (Date.now() - t0) / 1000;
  report({ figure: 'boot to SSH: start (resume the cached booted guest), layout applied', value: `${boot.toFixed(1)} s`, target: '<= 60 s', ok: boot <= 60 });
  try {
    const target = resolveTarget(loadTargetFile(targetFile), { sshConfigText: '' });
    const st = vm.state()!;
    const kh = path.join(vm.dir, 'known_hosts');
    const ours: number[] = [];
    const hand: number[] = [];
    const image = readFileSync(vm.file.standin);
    for (let i = 0; i < ROUNDS; i++) {
      let t = Date.now();
      await deploy({ target, image: vm.file.standin, connect: { agent: false }, rebootTimeoutMs: 400_000 });
      ours.push((Date.now() - t) / 1000);
      // By hand: what the recipe's user types, without any check.
      t = Date.now();
      const entry = `#!/bin/sh\ncat <<'EOF'\nmenuentry 'manual' --id manual {\n\tsearch --no-floppy --file --set=root /boot/manual.bin\n\tmultiboot2 /boot/manual.bin ${STANDIN_CMDLINE}\n\tmodule2 /boot/vmlinuz Linux_bzImage\n\tmodule2 /boot/initrd.img Linux_initrd\n}\nEOF\n`;
      writeFileSync(path.join(work, '42_manual'), entry);
      writeFileSync(path.join(work, 'manual.bin'), image);
      const scp = spawnSync('scp', ['-q', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${kh}`, '-i', vm.file.key, '-P', String(st.sshPort), path.join(work, 'manual.bin'), path.join(work, '42_manual'), 'acrn@127.0.0.1:/tmp/'], { encoding: 'utf8' });
      if (scp.status !== 0) throw new Error(`scp: ${scp.stderr}`);
      const before = bootId(st.sshPort, vm.file.key, kh) ?? '';
      ssh(st.sshPort, vm.file.key, kh, 'sudo cp /tmp/manual.bin /boot/manual.bin && sudo install -m 755 /tmp/42_manual /etc/grub.d/42_manual && sudo update-grub >/dev/null 2>&1 && sudo grub-reboot manual && (sudo reboot >/dev/null 2>&1 &)');
      await waitRebooted(st.sshPort, vm.file.key, kh, before, 400_000);
      hand.push((Date.now() - t) / 1000);
    }
    const a = median(ours);
    const b = median(hand);
    report({ figure: 'deploy + reboot + verify of the stand-in (acrn-nest)', value: `${a.toFixed(1)} s`, baseline: `by hand (scp, ssh, update-grub, grub-reboot, reboot, wait) ${b.toFixed(1)} s`, ratio: (a / b).toFixed(2), target: '<= 1.1', ok: a / b <= 1.1 });
    const t = Date.now();
    await vm.powerCycle();
    report({ figure: 'power cycle (QMP system_reset) to SSH, into the deployed entry', value: `${((Date.now() - t) / 1000).toFixed(1)} s` });
  } finally {
    await vm.stop();
    spawnSync('rm', ['-rf', work]);
  }
}
