/**
 * Issue 11 defect 1: the demo gives each of its scenarios an ACRN tree of its own version
 * (scripts/demo-workspace.sh: a multi-root workspace, acrnNest.acrnTree per folder), so no
 * scenario meets "is a v2 scenario but the ACRN tree is v3.3". The v3.3 scenario builds with its
 * tree; the v2.6 one builds too, except that a machine with GCC >= 12 is refused at preflight
 * with the reason (ACRN v2 needs GCC <= 11), which the demo says up front.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBuild } from '../../hv-core/acrn-build/build';
import { detectDialect } from '../../hv-core/scenario/dialect';
import { parseXml } from '../../hv-core/xml/parser';

const REPO = path.join(__dirname, '..', '..');

test('demo workspace: every scenario sits in a folder whose ACRN tree is of the scenario\'s version, and builds', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-demo-ws-'));
  try {
    const ws = path.join(dir, 'ws');
    const out = execFileSync('bash', [path.join(REPO, 'scripts', 'demo-workspace.sh'), ws, path.join(dir, 'demo')], { encoding: 'utf8' });
    const folders = (JSON.parse(readFileSync(path.join(ws, 'acrn-nest-demo.code-workspace'), 'utf8')) as { folders: { path: string }[] }).folders.map((f) => path.join(ws, f.path));
    const scenarios: { file: string; tree: string; family: string }[] = [];
    for (const folder of folders) {
      const tree = (JSON.parse(readFileSync(path.join(folder, '.vscode', 'settings.json'), 'utf8')) as Record<string, string>)['acrnNest.acrnTree']!;
      assert.ok(existsSync(path.join(tree, 'VERSION')), `${folder}: tree ${tree}`);
      const v = readFileSync(path.join(tree, 'VERSION'), 'utf8');
      const treeFamily = Number(/MAJOR_VERSION=(\d+)/.exec(v)?.[1]) >= 3 ? 'v3' : 'v2';
      for (const f of readdirSync(folder).filter((n) => n.endsWith('.xml'))) {
        const d = detectDialect(parseXml(readFileSync(path.join(folder, f), 'utf8')));
        if (d?.kind !== 'scenario') continue;
        assert.equal(d.family, treeFamily, `${f} (${d.label}) in ${folder} has a ${treeFamily} tree`);
        scenarios.push({ file: path.join(folder, f), tree, family: d.family });
      }
    }
    assert.deepEqual(scenarios.map((s) => path.basename(s.file)).sort(), readdirSync(path.join(REPO, 'demo', 'workspace')).filter((n) => !n.includes('board')).sort(), 'every demo scenario is placed');
    const gccMajor = Number(execFileSync('cc', ['-dumpversion'], { encoding: 'utf8' }).split('.')[0]);
    for (const s of scenarios) {
      const r = await runBuild({ acrnTree: s.tree, scenario: s.file, board: path.join(path.dirname(s.file), 'nuc11tnbi5-board.xml'), jobs: 1 });
      if (s.family === 'v2' && gccMajor >= 12) {
        assert.equal(r.error?.code, 'preflight/gcc-too-new', r.error?.message);
        assert.match(out, /ACRN v2\.x needs GCC <= 11/, 'the demo says so up front');
      } else {
        assert.equal(r.ok, true, `${s.file}: ${r.error?.code} ${r.error?.message}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('demo workspace: a warm restart keeps the fake ACRN trees and their build output while their inputs are unchanged', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-demo-warm-'));
  try {
    const ws = path.join(dir, 'ws');
    const demo = path.join(dir, 'demo');
    const run = (): void => void execFileSync('bash', [path.join(REPO, 'scripts', 'demo-workspace.sh'), ws, demo], { encoding: 'utf8', env: { ...process.env, ACRN_TREE: '' } });
    run();
    const tree = (JSON.parse(readFileSync(path.join(ws, 'v3.3', '.vscode', 'settings.json'), 'utf8')) as Record<string, string>)['acrnNest.acrnTree']!;
    assert.ok(tree.startsWith(demo), `a fake tree of the demo: ${tree}`);
    const built = path.join(tree, 'build', 'hypervisor', 'acrn.bin');
    mkdirSync(path.dirname(built), { recursive: true });
    writeFileSync(built, 'built before the restart');
    run();
    assert.equal(readFileSync(built, 'utf8'), 'built before the restart', 'the warm restart kept the build output');
    // Inputs that differ (here: no record of them) make a fresh tree.
    rmSync(path.join(tree, '.demo-inputs'));
    run();
    assert.equal(existsSync(built), false, 'a changed input rebuilds the tree from scratch');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
