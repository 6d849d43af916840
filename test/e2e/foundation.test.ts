/**
 * The foundation end to end: the packaged VSIX installed into code-server 4.100.3, a workspace of
 * ACRN files and one non-ACRN XML opened in Chromium; the Problems panel and the status bar are
 * read back from the real workbench.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { packageVsix, REPO, startCodeServer, writeWorkspace } from './harness';

const demo = (name: string): string => readFileSync(path.join(REPO, 'demo', 'workspace', name), 'utf8');

/** 1-based line and column (UTF-16 units, as VS Code counts) of an offset. */
function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

// A v2.6 scenario with one typo in an end tag: `</nmae>` where `</name>` belongs.
const v26 = demo('nuc-v26-nested.xml');
const brokenV26 = v26.replace('<name>ACRN SOS VM</name>', '<name>ACRN SOS VM</nmae>');
assert.notEqual(brokenV26, v26, 'the demo scenario has the line this test breaks');
// The diagnostic points at the end tag's name.
const typo = lineCol(brokenV26, brokenV26.indexOf('</nmae>') + 2);

// A v3.3 scenario cut off in the middle of a VM: the parser reports where it breaks.
const v33 = demo('nuc11-v33-shared.xml');
const truncatedV33 = v33.slice(0, v33.indexOf('<os_type>'));
const eof = lineCol(truncatedV33, truncatedV33.length);
assert.ok(truncatedV33.length < v33.length && eof.line > 1);

// Not ACRN: a Maven POM with the same kind of error. acrn-nest must stay silent on it.
const brokenPom = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.example</groupId>
  <artifactId>demo</artifactId>
  <version>1.0</version>
  <dependencies>
</project>
`;

const files = {
  'scenarios/nuc-v26-broken.xml': brokenV26,
  'scenarios/nuc11-v33-shared.xml': v33,
  'scenarios/v33-truncated.xml': truncatedV33,
  'boards/nuc11tnbi5-board.xml': demo('nuc11tnbi5-board.xml'),
  'pom.xml': brokenPom,
};

/** The status bar without an ACRN entry (the entry hides on non-ACRN files). */
const NO_ACRN_ENTRY = /^(?![\s\S]*ACRN v)(?![\s\S]*ACRN board)[\s\S]*$/;

before(() => {
  packageVsix();
});

test('VSIX in code-server: diagnostics at the right place, dialect in the status bar, silent on other XML', { timeout: 240_000 }, async (t) => {
  const workspace = writeWorkspace('foundation', files);
  const cs = await startCodeServer({ workspace, name: 'foundation' });
  t.after(() => cs.stop());

  // 1. The broken v2.6 scenario: our well-formedness diagnostic, at the typo, in the Problems panel.
  // (The Problems list is virtualized, so each check filters it to what it looks at.)
  await cs.openFile('scenarios/nuc-v26-broken.xml');
  // Restart Language Server while the server may still be starting (it starts with the first ACRN
  // file): it waits for the start instead of failing with "Client is not running and can't be stopped".
  await cs.runCommand('acrn-nest: Restart Language Server');
  await cs.waitForText('.notifications-toasts', /acrn-nest: language server restarted/);
  const status26 = await cs.waitForStatusBar(/ACRN v2\.6 scenario/);
  assert.match(status26, /ACRN v2\.6 scenario/);
  await cs.filterProblems('</nmae>');
  const problems = await cs.waitForProblems(new RegExp(`Unexpected end tag </nmae>[\\s\\S]*?\\[Ln ${typo.line}, Col ${typo.col}\\]`));
  assert.match(problems, /nuc-v26-broken\.xml/);
  assert.match(problems, /acrn-nest/, 'the diagnostic comes from acrn-nest');
  assert.match(problems, /xml\/unexpected-end-tag/);
  await cs.screenshot('foundation-v26-broken');

  // 2. A broken non-ACRN XML: the status bar entry goes away, and (checked in 5) no diagnostic.
  await cs.openFile('pom.xml');
  await cs.waitForStatusBar(NO_ACRN_ENTRY);

  // 3. A valid v3.3 scenario and 4. a board file: named in the status bar.
  await cs.openFile('scenarios/nuc11-v33-shared.xml');
  assert.match(await cs.waitForStatusBar(/ACRN v3\.x scenario/), /ACRN v3\.x scenario/);
  await cs.openFile('boards/nuc11tnbi5-board.xml');
  assert.match(await cs.waitForStatusBar(/ACRN board/), /ACRN board/);

  // 5. A truncated v3.3 scenario opened last. The server handles documents in the order they were
  // opened, so once its diagnostic is in the panel, anything it had to say about pom.xml is too.
  await cs.openFile('scenarios/v33-truncated.xml');
  await cs.filterProblems('v33-truncated.xml');
  // The error names the last line (the column is the server's choice: at or just before the end).
  await cs.waitForProblems(new RegExp(`v33-truncated\\.xml[\\s\\S]*Unexpected end of file[\\s\\S]*?\\[Ln ${eof.line}, Col \\d+\\]`));
  // A file-name filter shows that file's problems (positive control), and none for the others.
  await cs.filterProblems('nuc-v26-broken.xml');
  await cs.waitForProblems(/nuc-v26-broken\.xml[\s\S]*Unexpected end tag/);
  for (const quiet of ['pom.xml', 'nuc11-v33-shared.xml', 'nuc11tnbi5-board.xml']) {
    await cs.filterProblems(quiet);
    await cs.waitForProblems(/No results found/);
    const text = await cs.problems();
    assert.doesNotMatch(text, new RegExp(quiet.replace(/\./g, '\\.')), `no problem may be reported for ${quiet}; Problems panel:\n${text}`);
  }
  await cs.filterProblems('');
  await cs.screenshot('foundation');
});

test('restricted mode (untrusted workspace): the language server still reports', { timeout: 180_000 }, async (t) => {
  const workspace = writeWorkspace('foundation-untrusted', { 'nuc-v26-broken.xml': brokenV26 });
  const cs = await startCodeServer({ workspace, name: 'foundation-untrusted', trusted: false });
  t.after(() => cs.stop());
  await cs.waitForStatusBar(/Restricted Mode/);
  await cs.openFile('nuc-v26-broken.xml');
  await cs.filterProblems('</nmae>');
  await cs.waitForProblems(new RegExp(`Unexpected end tag </nmae>[\\s\\S]*?\\[Ln ${typo.line}, Col ${typo.col}\\]`));
  assert.match(await cs.waitForStatusBar(/ACRN v2\.6 scenario/), /Restricted Mode/);
  await cs.screenshot('foundation-untrusted');
});
