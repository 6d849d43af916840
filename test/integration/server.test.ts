/**
 * The language server as an editor drives it (the bundled dist/server.js over stdio): what it says
 * about ACRN files, its silence on other XML, and that bad input never takes it down.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { REPO } from '../unit/helpers';
import { startServer, type TestServer } from './lsp-client';

let server: TestServer;

before(async () => {
  execFileSync(process.execPath, [path.join(REPO, 'scripts', 'build.mjs')], { cwd: REPO, stdio: 'inherit' });
  server = await startServer();
});

after(async () => {
  await server.stop();
});

const V26 = `<?xml version="1.0"?>
<acrn-config board="nuc7i7dnb" scenario="industry">
  <hv>
    <DEBUG_OPTIONS><RELEASE>n</RELEASE></DEBUG_OPTIONS>
    <FEATURES>
      <SCHEDULER>SCHED_BVT</SCHEDULER>
    </FEATURES>
  </hv>
  <vm id="0">
    <vm_type>SOS_VM</vm_type>
    <guest_flags><guest_flag>0</guest_flag></guest_flags>
  </vm>
</acrn-config>
`;

test('an ACRN v2.6-style scenario: dialect named, well-formedness error at the right line and column', async () => {
  const uri = 'file:///ws/scenario.xml';
  const broken = V26.replace('</FEATURES>', '</FEATURE>');
  const info = server.info(uri);
  const diags = server.diagnostics(uri);
  server.open(uri, broken);
  const i = await info;
  assert.equal(i.label, 'ACRN v2.5 scenario');
  assert.equal(i.kind, 'scenario');
  const d = await diags;
  const e = d.find((x) => x.code === 'xml/unexpected-end-tag');
  assert.ok(e, JSON.stringify(d));
  assert.deepEqual(e.range.start, { line: 6, character: 6 });
  assert.equal(e.source, 'acrn-nest');
  assert.equal(e.severity, 1);

  // Fixing it clears the error.
  const fixed = server.diagnostics(uri, (ds) => !ds.some((x) => x.code?.toString().startsWith('xml/')));
  server.change(uri, V26, 2);
  assert.deepEqual((await fixed).filter((x) => x.severity === 1), []);
});

test('other XML files are left alone', async () => {
  const uri = 'file:///ws/pom.xml';
  const diags = server.diagnostics(uri);
  server.open(uri, '<project><modelVersion>4.0.0</modelVersion><broken></project>');
  assert.deepEqual(await diags, []);
  const info = await server.request<{ label?: string } | null>('acrnNest/documentInfo/get', { uri });
  assert.equal(info?.label, undefined);
});

test('a board file is named as one', async () => {
  const uri = 'file:///ws/board.xml';
  const info = server.info(uri);
  server.open(uri, '<acrn-config board="nuc">\n  <BIOS_INFO>x</BIOS_INFO>\n  <CPU_PROCESSOR_INFO>0, 1, 2, 3</CPU_PROCESSOR_INFO>\n</acrn-config>\n');
  assert.equal((await info).label, 'ACRN board');
});

test('bad input: empty, binary, invalid UTF-8, 20 MB, closed while pending — the server stays up', async () => {
  const empty = server.diagnostics('file:///ws/empty.xml');
  server.open('file:///ws/empty.xml', '');
  assert.deepEqual(await empty, []);

  const bin = server.diagnostics('file:///ws/bin.xml');
  server.open('file:///ws/bin.xml', '\u0000\u0001ELF\u0000\u0000<acrn-config');
  assert.deepEqual(await bin, [], 'binary content with no <acrn-config> root is not ours');

  const bad = server.diagnostics('file:///ws/latin1.xml');
  server.open('file:///ws/latin1.xml', '<acrn-config board="a" scenario="b">\n<hv><DEBUG_OPTIONS><RELEASE>n</RELEASE></DEBUG_OPTIONS></hv>\n<!-- caf\uFFFD -->\n</acrn-config>\n');
  const b = (await bad).find((x) => x.code === 'xml/replacement-char');
  assert.ok(b);
  assert.equal(b.range.start.line, 2);

  const vm = '  <vm id="1"><vm_type>POST_STD_VM</vm_type><name>big</name></vm>\n';
  const bigText = '<acrn-config board="a" scenario="b">\n' + vm.repeat(Math.ceil((20 * 1024 * 1024) / vm.length)) + '</acrn-config>\n';
  const big = server.diagnostics('file:///ws/big.xml');
  server.open('file:///ws/big.xml', bigText);
  const bd = await big;
  assert.equal(bd.length, 1);
  assert.equal(bd[0]!.code, 'file-too-large');
  assert.match(bd[0]!.message, /acrnNest\.maxFileSizeMB/);

  // Opened and closed before its analysis ran (like a file deleted while open): diagnostics cleared.
  const gone = server.diagnostics('file:///ws/deleted.xml');
  server.open('file:///ws/deleted.xml', V26.replace('</hv>', ''));
  server.close('file:///ws/deleted.xml');
  assert.deepEqual(await gone, []);

  // Still answering for other documents.
  const after = server.info('file:///ws/after.xml');
  server.open('file:///ws/after.xml', V26);
  assert.equal((await after).label, 'ACRN v2.5 scenario');
  assert.equal(server.proc.exitCode, null);
});
