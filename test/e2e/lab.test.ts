/**
 * The Lab view in the real workbench: the VSIX in code-server with `acrnNest.lab.url` set to a real
 * LAVA (lava-server 2023.01 started by test/integration/lava-harness.ts) that has a device of
 * LAVA's qemu type and a finished job on it. The view lists the device and the job; clicking the
 * job opens its log in a terminal tab, which shows the job's own lines and its results.
 *
 * The job boots nothing (no VM): its kernel is a file that does not exist, so the worker ends it
 * at the download, with log lines that name that file. Skips, naming what is missing, without
 * lava-server (scripts/install-deps.sh installs it).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { LavaClient, formatLogLine } from '../../hv-core/lab/lava';
import { followJobs } from '../../hv-core/lab/run';
import { lavaMissing, startLab } from '../integration/lava-harness';
import { packageVsix, startCodeServer, writeWorkspace } from './harness';

const missing = lavaMissing();

before(() => {
  if (!missing.length) packageVsix();
});

test('Lab view: the lab\'s device and job are listed; opening the job shows its log lines and results', { timeout: 300_000, skip: missing.length ? `a local LAVA lab needs: ${missing.join(', ')} (bash scripts/install-deps.sh installs them)` : false }, async (t) => {
  const lab = await startLab({ id: `e2e${process.pid}` });
  t.after(() => lab.stop());
  const device = `acrn-nest-e2e${process.pid}-qemu`;
  lab.addDevice(device, 'qemu', "{% extends 'qemu.jinja2' %}\n{% set no_kvm = True %}\n", [device]);
  const client = new LavaClient({ url: lab.url, token: lab.token });
  const kernel = `/nonexistent-acrn-nest-e2e-${process.pid}/vmlinuz`;
  const [id] = await client.submit(
    [
      `job_name: acrn-nest e2e lab view ${process.pid}`,
      'device_type: qemu',
      'visibility: public',
      'priority: medium',
      `tags: [${device}]`,
      'context:',
      '  arch: amd64',
      'timeouts:',
      '  job:',
      '    minutes: 5',
      'actions:',
      '- deploy:',
      '    to: tmpfs',
      '    images:',
      '      kernel:',
      '        image_arg: -kernel {kernel}',
      `        url: file://${kernel}`,
      '- boot:',
      '    method: qemu',
      '    media: tmpfs',
      '    prompts:',
      "    - '/ # '",
      '',
    ].join('\n'),
  );
  assert.ok(id, 'the job was submitted');
  const [done] = await followJobs(client, [id], { pollMs: 1000 });
  assert.equal(done!.job.state, 'Finished');
  // A line of the job's own log that names the missing kernel: the terminal must show it.
  const lines: string[] = [];
  for (let start = 0; ; ) {
    const r = await client.logs(id, start);
    lines.push(...r.lines.map((l) => formatLogLine(l)));
    if (r.next === start) break;
    start = r.next;
  }
  const own = lines.find((l) => l.includes(kernel));
  assert.ok(own, `the job's log names its kernel:\n${lines.slice(-20).join('\n')}`);

  const workspace = writeWorkspace('lab', { 'README.txt': 'lab e2e\n' });
  const cs = await startCodeServer({
    workspace,
    name: 'lab',
    settings: {
      // The DOM renderer keeps the terminal's text in the page, so the test can read it.
      'terminal.integrated.gpuAcceleration': 'off',
      'acrnNest.lab.url': lab.url,
    },
  });
  t.after(() => cs.stop());

  await cs.page.locator('.activitybar .action-item a[aria-label^="acrn-nest"]').click();
  const header = cs.page.locator('.pane-header', { hasText: 'Lab (LAVA)' });
  await header.waitFor({ state: 'visible' });
  if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
  const tree = await cs.waitForText('.part.sidebar', new RegExp(`${device}[\\s\\S]*#${id} acrn-nest e2e lab view`), 60_000).catch(async (e: unknown) => {
    await cs.screenshot('lab-view-failed');
    throw e;
  });
  assert.match(tree, /Devices[\s\S]*Jobs/);
  await cs.screenshot('lab-view');

  await cs.page.locator('.part.sidebar .monaco-list-row', { hasText: `#${id} ` }).first().click();
  const rows = '.xterm-rows';
  await cs.waitForText(rows, new RegExp(`LAVA job ${id}: `));
  const text = await cs.waitForText(rows, /results: \d+ passed, \d+ failed/, 60_000);
  // xterm wraps long lines: compare without the line breaks it added.
  const flat = text.replace(/\s+/g, '');
  assert.ok(flat.includes(kernel), `the job's log line naming ${kernel} is in the tab:\n${text.slice(-3000)}`);
  await cs.screenshot('lab-job-log');
});
