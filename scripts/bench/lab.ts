/**
 * A LAVA lab (Debian's lava-server 2023.01, started as the lab test starts it) with two virtual
 * boards as `acrn-board` devices: submit-to-result time of `lab run` for one board and for two
 * boards at once, next to the same work done directly (acrn-nest deploy + power cycle of one
 * board, no lab). Each figure is one run: every job is two real reboots under TCG (minutes).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Report } from '../bench';
import { BoardVm, missingHostTools } from '../../hv-core/boardvm/vm';
import { deploy } from '../../hv-core/deploy';
import { LavaClient } from '../../hv-core/lab/lava';
import { followJobs, labRun, summarize } from '../../hv-core/lab/run';
import { builtinTemplate } from '../../hv-core/lab/template';
import { loadTargetFile, resolveTarget } from '../../hv-core/ssh-target';
import { installAcrnBoardType, lavaMissing, startLab, virtualBoardDictionary } from '../../test/integration/lava-harness';

export const title = 'LAVA lab (lava-server 2023.01 on 127.0.0.1, virtual boards under TCG)';

const REPO = path.resolve(__dirname, '..', '..');

export async function run(report: Report): Promise<void> {
  const miss = [...lavaMissing(), ...missingHostTools('xen-standin')];
  if (miss.length) throw new Error(`the lab bench needs: ${miss.join(', ')}`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-bench-lab-'));
  const lab = await startLab({ id: `bench${process.pid}` });
  const vms = [0, 1].map((i) => new BoardVm(path.join(work, `board${i}`)));
  try {
    installAcrnBoardType(REPO);
    await Promise.all(vms.map((vm) => vm.start({ hypervisor: 'xen-standin', timeoutMs: 600_000 })));
    const image = vms[0]!.file.standin;
    const sha = createHash('sha256').update(readFileSync(image)).digest('hex');

    // Directly: what the lab job does on the board, without the lab.
    let t = Date.now();
    const target = resolveTarget(loadTargetFile(vms[0]!.file.target), { sshConfigText: '' });
    await deploy({ target, image, connect: { agent: false }, rebootTimeoutMs: 900_000, commandTimeoutMs: 900_000 });
    await vms[0]!.powerCycle({ timeoutMs: 900_000 });
    const direct = (Date.now() - t) / 1000;
    report({ figure: 'directly: acrn-nest deploy + power cycle of one board', value: `${direct.toFixed(1)} s` });

    const client = new LavaClient({ url: lab.url, token: lab.token });
    const names = vms.map((_, i) => `acrn-nest-bench${process.pid}-vb${i}`);
    vms.forEach((vm, i) => lab.addDevice(names[i]!, 'acrn-board', virtualBoardDictionary({ acrnNest: `${process.execPath} ${path.join(REPO, 'dist', 'cli.js')}`, targetFile: vm.file.target, dir: vm.dir, sshPort: vm.state()!.sshPort }), [names[i]!]));
    for (const count of [1, 2]) {
      t = Date.now();
      // By name (tags): the lab's database is shared, another run's idle board must not take a job.
      const jobs = await labRun(client, { deviceType: 'acrn-board', count, devices: names.slice(0, count), imageUrl: `file://${image}`, imageSha256: sha, template: builtinTemplate('acrn-board') });
      const results = await followJobs(client, jobs.map((j) => j.id), { pollMs: 1000 });
      const s = (Date.now() - t) / 1000;
      const ok = results.every((r) => summarize(r.job, r.tests).passed);
      report({ figure: `lab run: submit to results, ${count} board(s)${ok ? '' : ' (a job FAILED)'}`, value: `${s.toFixed(1)} s`, baseline: `directly (one board) ${direct.toFixed(1)} s`, ratio: (s / direct).toFixed(2), ok });
    }
  } finally {
    await Promise.all(vms.map((vm) => vm.stop()));
    await lab.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
