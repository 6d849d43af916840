/**
 * A board XML against its tree's board schema (misc/config_tools/schema/board.xsd, the file ACRN's
 * Configurator checks boards with), through the engine's own XSD model and validator: every official
 * v3.x board passes; a broken one gets each mistake at its FILE:LINE:COL; a v2.x tree has no board
 * schema. Skips without ../shared/acrn-data (ACRN_DATA / ACRN_TREE), which holds the schema and boards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { checkBoardSchema, formatBoardFindings } from '../../hv-core/schema/boardSchema';
import { loadBoardSchema } from '../../hv-core/schema/loader';
import { acrnData } from '../acrn-data';

const data = acrnData();
const NUC = (tag: 'v3.0' | 'v3.3'): string => path.join(data.tree(tag), 'misc/config_tools/data/nuc11tnbi5/nuc11tnbi5.xml');

test('every official board XML of v3.0 and v3.3 matches its own tree\'s board.xsd', { skip: data.skip('v3.3') || data.skip('v3.0') }, () => {
  for (const tag of ['v3.0', 'v3.3'] as const) {
    const boards = data.dataFiles(tag).filter((f) => /<acrn-config\s+board=/.test(readFileSync(f, 'utf8').slice(0, 400)));
    assert.ok(boards.length >= 5, `${tag}: official boards found (${boards.length})`);
    for (const f of boards) {
      const r = checkBoardSchema(readFileSync(f, 'utf8'), data.tree(tag));
      assert.equal(r.schema, path.join(data.tree(tag), 'misc/config_tools/schema/board.xsd'));
      assert.deepEqual(formatBoardFindings(f, readFileSync(f, 'utf8'), r.findings), [], f);
    }
  }
});

test('a broken board: a renamed, a missing, a doubled and an unknown element, each at FILE:LINE:COL', { skip: data.skip('v3.3') }, () => {
  const good = readFileSync(NUC('v3.3'), 'utf8');
  const lines = good.split('\n');
  const at = (tag: string): number => lines.findIndex((l) => l.includes(tag)) + 1;
  const pm = at('<PM_INFO>');
  const tpm = at('<TPM_INFO>');
  assert.ok(pm > 1 && tpm > 1, 'the nuc11 board has PM_INFO and TPM_INFO');
  const broken = lines
    .map((l, i) => (i + 1 === pm ? l.replace('<PM_INFO>', '<PM_INF0>') : l))
    .join('\n')
    .replace('</PM_INFO>', '</PM_INF0>')
    .replace(/<TPM_INFO>[\s\S]*?<\/TPM_INFO>/, '')
    .replace('</acrn-config>', '  <BIOS_INFO>again</BIOS_INFO>\n  <GPU_INFO/>\n</acrn-config>');
  const r = checkBoardSchema(broken, data.tree('v3.3'));
  const out = formatBoardFindings('b.xml', broken, r.findings);
  const blines = broken.split('\n');
  const line = (s: string, from = 0): number => blines.findIndex((l, i) => i >= from && l.includes(s)) + 1;
  const col = (s: string, n: number): number => blines[n - 1]!.indexOf(s) + 2;
  // A missing element is reported at the name of the parent that should hold it.
  const root = line('<acrn-config');
  for (const m of ['PM_INFO', 'TPM_INFO']) assert.ok(out.includes(`b.xml:${root}:${col('<acrn-config', root)}: error: \`acrn-config\` is missing the required element \`${m}\` [schema/missing]`), out.join('\n'));
  const pmLine = line('<PM_INF0>');
  assert.ok(out.includes(`b.xml:${pmLine}:${col('<PM_INF0>', pmLine)}: error: \`PM_INF0\` is not allowed in \`acrn-config\`. Did you mean \`PM_INFO\`? [schema/unknown-element]`), out.join('\n'));
  const again = line('<BIOS_INFO>again');
  assert.ok(out.some((l) => l.startsWith(`b.xml:${again}:${col('<BIOS_INFO>', again)}: error: Too many \`BIOS_INFO\``)), out.join('\n'));
  const gpu = line('<GPU_INFO/>');
  assert.ok(out.some((l) => l.startsWith(`b.xml:${gpu}:${col('<GPU_INFO', gpu)}: error: \`GPU_INFO\` is not allowed in \`acrn-config\``)), out.join('\n'));
  assert.equal(out.length, 5, out.join('\n'));
  // The sections the extractors fill are `arbitrary` (xs:any, processContents="skip"): their content is free.
  const free = good.replace('<processors>', '<processors><anything at="all"><x/></anything>');
  assert.deepEqual(checkBoardSchema(free, data.tree('v3.3')).findings, []);
});

test('not well-formed board text: the parser\'s error, at its place', { skip: data.skip('v3.3') }, () => {
  const text = '<acrn-config board="x">\n  <BIOS_INFO>\n</acrn-config>\n';
  const r = checkBoardSchema(text, data.tree('v3.3'));
  assert.ok(r.findings.length >= 1);
  assert.ok(r.findings.every((f) => f.source === 'xml' && f.code.startsWith('xml/')), JSON.stringify(r.findings));
  assert.match(formatBoardFindings('t.xml', text, r.findings)[0]!, /^t\.xml:\d+:\d+: error: /);
});

test('a v2.x tree has no board schema: nothing to check against, and it says so', { skip: data.skip('v2.6') }, () => {
  assert.equal(loadBoardSchema(data.tree('v2.6')), undefined);
  const r = checkBoardSchema('<acrn-config board="x"><BIOS_INFO/></acrn-config>', data.tree('v2.6'));
  assert.equal(r.schema, undefined);
  assert.deepEqual(r.findings, []);
});
