/**
 * Deploy speed: acrn-nest's deploy of a 416 KB image (upload to a temp name, sha256 verified on the
 * board, the GRUB step with update-grub, plus its checks and grub-reboot) to a loopback OpenSSH
 * sshd, against a hand-written OpenSSH `scp` + `ssh` sequence doing the same work with the same keys
 * (scp to a temp name; ssh sha256sum; ssh mv + write the GRUB file + update-grub + grub-reboot).
 * Side by side in one run, alternating, median of several iterations. Target: ratio <= 1.0.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Report } from '../bench';
import { median } from '../bench';
import { haveSshd, removeDir, startSshd } from '../../test/integration/sshd';
import { makeFakeBoard } from '../../test/integration/fake-board';
import { deploy, grubScript } from '../../hv-core/deploy';
import { parseTarget, resolveTarget, shq } from '../../hv-core/ssh-target';
import { writeMultiboot2Header } from '../../hv-core/deploy/grub';

export const title = 'Deploy (loopback OpenSSH sshd)';

const ITERATIONS = 7;

export async function run(report: Report): Promise<void> {
  if (!haveSshd()) throw new Error('no /usr/sbin/sshd (apt install openssh-server)');
  const work = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-bench-deploy-'));
  const sshd = await startSshd({ dir: mkdtempSync(path.join(work, 'sshd-')) });
  try {
    const img = randomBytes(416 * 1024);
    writeMultiboot2Header(img);
    const imgFile = path.join(work, 'acrn.bin');
    writeFileSync(imgFile, img);
    const sha = createHash('sha256').update(img).digest('hex');
    const kh = path.join(work, 'known_hosts');
    writeFileSync(kh, sshd.knownHostsLine + '\n');

    const ours = makeFakeBoard(path.join(work, 'ours'));
    const c = ours.commands;
    const target = resolveTarget(
      parseTarget({ host: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKey, knownHostsFile: kh, sudo: false, bootDir: ours.bootDir, grubScriptDir: ours.grubDir, grubCfg: ours.grubCfg, kernel: ours.kernel, commands: { updateGrub: [c.updateGrub], grubReboot: [c.grubReboot], grubSetDefault: [c.grubSetDefault], grubEditenv: [c.grubEditenv], reboot: [c.reboot] } }),
      { sshConfigText: '', homeDir: work },
    );
    const acrnNest = async (): Promise<void> => {
      await deploy({ target, image: imgFile, noReboot: true, connect: { agent: false } });
    };

    const theirs = makeFakeBoard(path.join(work, 'theirs'));
    const sshOpts = ['-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${kh}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'LogLevel=ERROR', '-i', sshd.clientKey];
    const dest = `${sshd.user}@127.0.0.1`;
    const script = grubScript([{ id: 'acrn-nest', title: 'ACRN hypervisor', image: path.join(theirs.bootDir, 'acrn.bin'), cmdline: undefined, modules: [{ grubPath: theirs.kernel, tag: 'Linux_bzImage' }] }], []);
    const tmp = path.join(theirs.bootDir, '.acrn.bin.tmp');
    const grubFile = path.join(theirs.grubDir, '41_acrn_nest');
    const handWritten = async (): Promise<void> => {
      execFileSync('scp', ['-q', '-P', String(sshd.port), ...sshOpts, imgFile, `${dest}:${tmp}`]);
      const got = execFileSync('ssh', ['-p', String(sshd.port), ...sshOpts, dest, `sha256sum ${shq(tmp)}`], { encoding: 'utf8' }).split(' ')[0];
      if (got !== sha) throw new Error('scp baseline: sha256 mismatch');
      const cmd = [`mv -f ${shq(tmp)} ${shq(path.join(theirs.bootDir, 'acrn.bin'))}`, `cat > ${shq(grubFile + '.tmp')}`, `chmod 0755 ${shq(grubFile + '.tmp')}`, `mv -f ${shq(grubFile + '.tmp')} ${shq(grubFile)}`, shq(theirs.commands.updateGrub), `${shq(theirs.commands.grubReboot)} acrn-nest`].join(' && ');
      const r = spawnSync('ssh', ['-p', String(sshd.port), ...sshOpts, dest, cmd], { input: script, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ssh baseline failed: ${r.stderr}`);
    };

    // Warm up both (page cache, sshd's first fork), then alternate.
    await acrnNest();
    await handWritten();
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      let t0 = performance.now();
      await acrnNest();
      a.push(performance.now() - t0);
      t0 = performance.now();
      await handWritten();
      b.push(performance.now() - t0);
    }
    if (createHash('sha256').update(readFileSync(path.join(ours.bootDir, 'acrn.bin'))).digest('hex') !== sha) throw new Error('acrn-nest: wrong bytes');
    if (createHash('sha256').update(readFileSync(path.join(theirs.bootDir, 'acrn.bin'))).digest('hex') !== sha) throw new Error('baseline: wrong bytes');
    const ma = median(a);
    const mb = median(b);
    report({ figure: `acrn-nest deploy, 416 KB, sha256 + GRUB step (median of ${ITERATIONS})`, value: `${ma.toFixed(0)} ms`, baseline: `scp + ssh by hand ${mb.toFixed(0)} ms`, ratio: (ma / mb).toFixed(2), target: '<= 1.0', ok: ma / mb <= 1.0 });
    report({ figure: '  acrn-nest min / max', value: `${Math.min(...a).toFixed(0)} / ${Math.max(...a).toFixed(0)} ms` });
    report({ figure: '  scp + ssh min / max', value: `${Math.min(...b).toFixed(0)} / ${Math.max(...b).toFixed(0)} ms` });
  } finally {
    await sshd.stop();
    removeDir(work);
  }
}
