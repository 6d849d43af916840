/**
 * Build in the real workbench: the VSIX in code-server, a workspace holding the fake ACRN tree
 * (test/fixtures/fake-acrn-tree) and a scenario ACRN's validator rejects. "acrn-nest: Build
 * Hypervisor" runs make; the validator's XPath findings appear in the Problems panel at the
 * scenario lines they concern.
 */
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { packageVsix, REPO, startCodeServer, writeWorkspace } from './harness';

const SCENARIO = `<?xml version="1.0" encoding="utf-8"?>
<acrn-config>
  <hv>
    <BUILD_TYPE>debug</BUILD_TYPE>
    <FEATURES>
      <SCHEDULER>SCHED_FOO</SCHEDULER>
    </FEATURES>
  </hv>
  <vm id="0">
    <load_order>SERVICE_VM</load_order>
    <name>ACRN_Service_VM</name>
    <lapic_passthrough>y</lapic_passthrough>
  </vm>
  <vm id="1">
    <load_order>POST_LAUNCHED_VM</load_order>
    <name>POST_STD_VM1</name>
  </vm>
</acrn-config>
`;

function lineCol(text: string, needle: string, shift = 0): { line: number; col: number } {
  const i = text.indexOf(needle) + shift;
  const before = text.slice(0, i);
  return { line: before.split('\n').length, col: i - before.lastIndexOf('\n') };
}

before(() => {
  packageVsix();
});

test('Build: ACRN validator findings in the Problems panel at the scenario line', { timeout: 150_000 }, async (t) => {
  const workspace = writeWorkspace('build', {
    'scenarios/nested.xml': SCENARIO,
    'boards/fake.xml': '<acrn-config board="fake">\n  <BIOS_INFO>fake</BIOS_INFO>\n  <processors/>\n</acrn-config>\n',
  });
  cpSync(path.join(REPO, 'test', 'fixtures', 'fake-acrn-tree'), path.join(workspace, 'acrn'), { recursive: true });
  // Stand-ins for the prerequisites the fake tree does not use (a CI machine has no iasl).
  const bin = path.join(workspace, '.bin');
  mkdirSync(bin);
  for (const [name, body] of Object.entries({ iasl: 'echo "ASL+ Optimizing Compiler/Disassembler version 20200925"', xsltproc: 'echo xsltproc', xmllint: 'echo xmllint', cc: 'echo 12.2.0' })) {
    writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  }
  const cs = await startCodeServer({
    workspace,
    name: 'build',
    env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` },
    settings: {
      'acrnNest.acrnTree': path.join(workspace, 'acrn'),
      'acrnNest.boardFile': path.join(workspace, 'boards', 'fake.xml'),
      'acrnNest.build.python': '/usr/bin/python3',
      'acrnNest.build.jobs': 1,
    },
  });
  t.after(() => cs.stop());

  await cs.openFile('scenarios/nested.xml');
  // The status-bar buttons appear for a scenario.
  await cs.waitForStatusBar(/Build[\s\S]*Deploy/);
  await cs.runCommand('acrn-nest: Build Hypervisor');
  const sched = lineCol(SCENARIO, 'SCHED_FOO');
  const lapic = lineCol(SCENARIO, '<lapic_passthrough>y', '<lapic_passthrough>'.length);
  const text = await cs.waitForProblems(new RegExp(`ACRN validator: value must be one of[\\s\\S]*?\\[Ln ${sched.line}, Col ${sched.col}\\]`), 60_000);
  assert.match(text, new RegExp(`ACRN validator: The Service VM may not use LAPIC passthrough[\\s\\S]*?\\[Ln ${lapic.line}, Col ${lapic.col}\\]`));
  assert.match(text, /acrn-nest build/);
  await cs.screenshot('build-validator-problems');
  // The failure notification names the step.
  await cs.waitForText('.notifications-toasts', /Build failed at build \(validate\): ACRN's validator rejected the scenario: 2 error\(s\)/, 30_000);
});
