/**
 * The extension as a user gets it: the VSIX's size, and its activation and first answer in a real
 * VS Code workbench (code-server 4.100.3 + Chromium, the e2e harness). Figures:
 *  - VSIX size (and each bundle's size inside it);
 *  - activation as VS Code measures it (Developer: Show Running Extensions = code loading +
 *    activate() call), side by side with built-in extensions activated in the same session;
 *  - activate()'s own duration, from the acrn-nest log line "activated in N ms";
 *  - from opening the first ACRN file (cold: extension activation, language server start,
 *    analysis) and a second one (warm: server running) until the status bar names the dialect
 *    and the Problems panel shows the diagnostic, as seen in the UI.
 * One code-server session, no sleeps: every figure is read when its event is visible.
 */
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Report } from '../bench';
import { packageVsix, REPO, startCodeServer, writeWorkspace, zipEntries } from '../../test/e2e/harness';

export const title = 'Extension: VSIX size, activation in code-server, first diagnostics';

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;

/** "Name\nversion\nhost\n(Startup )?Activation: Nms" blocks of the Running Extensions editor. */
function activationTimes(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const lines = text.split('\n').map((l) => l.trim());
  for (let i = 0; i < lines.length; i++) {
    const m = /^(?:Startup )?Activation: (\d+)ms$/.exec(lines[i]!);
    if (m && i >= 3) out.set(lines[i - 3]!, Number(m[1]));
  }
  return out;
}

export async function run(report: Report): Promise<void> {
  const vsix = packageVsix();
  const size = statSync(vsix).size;
  report({ figure: 'VSIX size (dist/acrn-nest.vsix)', value: `${size} B = ${kb(size)}` });
  const zip = readFileSync(vsix);
  const names = zipEntries(zip).filter((n) => /^extension\/dist\/.*\.js$/.test(n));
  for (const n of names) {
    const onDisk = path.join(REPO, n.slice('extension/'.length));
    report({ figure: `  ${n.slice('extension/'.length)} (uncompressed)`, value: kb(statSync(onDisk).size) });
  }

  const demo = (f: string): string => readFileSync(path.join(REPO, 'demo', 'workspace', f), 'utf8');
  const v26 = demo('nuc-v26-nested.xml').replace('<name>ACRN SOS VM</name>', '<name>ACRN SOS VM</nmae>');
  const v33 = demo('nuc11-v33-shared.xml');
  const workspace = writeWorkspace('bench', { 'first-v26.xml': v26, 'second-v33.xml': v33.slice(0, v33.indexOf('<os_type>')) });
  const cs = await startCodeServer({ workspace, name: 'bench-extension', vsix });
  try {
    // Cold: the first ACRN file activates the extension (onLanguage:xml) and starts the server.
    await cs.filterProblems('</nmae>');
    let t0 = performance.now();
    await cs.openFile('first-v26.xml');
    await cs.waitForStatusBar(/ACRN v2\.6 scenario/, 60_000);
    const coldStatus = performance.now() - t0;
    await cs.waitForProblems(/first-v26\.xml[\s\S]*Unexpected end tag/, 60_000);
    const coldProblems = performance.now() - t0;

    // Warm: the server is running.
    await cs.filterProblems('Unexpected end of file');
    t0 = performance.now();
    await cs.openFile('second-v33.xml');
    await cs.waitForStatusBar(/ACRN v3\.x scenario/);
    const warmStatus = performance.now() - t0;
    await cs.waitForProblems(/second-v33\.xml[\s\S]*Unexpected end of file/);
    const warmProblems = performance.now() - t0;

    await cs.runCommand('Developer: Show Running Extensions');
    const text = await cs.waitForText('.runtime-extensions-editor', /acrn-nest[^\n]*\n[^\n]*\n[^\n]*\n\s*(Startup )?Activation: \d+ms/);
    const times = activationTimes(text);
    const ours = [...times].find(([name]) => name.startsWith('acrn-nest'));
    const others = [...times].filter(([name]) => !name.startsWith('acrn-nest') && name !== '');
    report({
      figure: 'activation, as VS Code measures it (code loading + activate())',
      value: ours ? `${ours[1]} ms` : 'not shown',
      baseline: others.length ? others.map(([n, ms]) => `${n} ${ms} ms`).join(', ') : undefined,
    });

    const log = cs.readLog(/acrn-nest\.log$/) ?? '';
    const own = /activated in ([\d.]+) ms/.exec(log);
    report({ figure: 'activate() body (acrn-nest log)', value: own ? `${own[1]} ms` : 'no log line' });
    report({ figure: 'cold: open first scenario -> dialect in status bar', value: `${coldStatus.toFixed(0)} ms` });
    report({ figure: 'cold: open first scenario -> diagnostic in Problems', value: `${coldProblems.toFixed(0)} ms` });
    report({ figure: 'warm: open second scenario -> dialect in status bar', value: `${warmStatus.toFixed(0)} ms` });
    report({ figure: 'warm: open second scenario -> diagnostic in Problems', value: `${warmProblems.toFixed(0)} ms` });
    // UI timings scale with machine load (code-server, Chromium and the extension host share the CPUs).
    report({ figure: 'machine load during the run (1-min load average / CPUs)', value: `${os.loadavg()[0]!.toFixed(1)} / ${os.cpus().length}` });
  } finally {
    await cs.stop();
  }
}
