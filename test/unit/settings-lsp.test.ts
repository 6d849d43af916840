/**
 * Issue 13, bug 1: `acrnNest.boardFile` written relative to the workspace or with
 * `${workspaceFolder}` reaches the language server's checkers (before: passed raw, the board was
 * silently dropped with every board check). The server in-process with a workspace folder; a
 * scenario whose board= names no board, so only the setting can supply one.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { acrnData } from '../acrn-data';
import { inProcessServer } from './lsp-inprocess';

const data = acrnData();
const skip = data.skip('v3.3');
let ws: string;

const SCENARIO = `<acrn-config board="no-such-board" scenario="t">
  <hv>
    <BUILD_TYPE>debug</BUILD_TYPE>
    <FEATURES><SCHEDULER>SCHED_BVT</SCHEDULER></FEATURES>
    <DEBUG_OPTIONS><SERIAL_CONSOLE>/dev/ttyS0</SERIAL_CONSOLE></DEBUG_OPTIONS>
  </hv>
  <vm id="0">
    <load_order>SERVICE_VM</load_order>
    <name>ACRN_Service_VM</name>
    <os_config><kern_type>KERNEL_BZIMAGE</kern_type><kern_mod>Linux_bzImage</kern_mod><bootargs>rw</bootargs></os_config>
  </vm>
  <vm id="1">
    <load_order>POST_LAUNCHED_VM</load_order>
    <name>POST_STD_VM1</name>
    <cpu_affinity><pcpu><pcpu_id>63</pcpu_id></pcpu></cpu_affinity>
  </vm>
</acrn-config>`;

const BOARD_CHECK = 'datacheck/cpu_assignment#1';

before(() => {
  if (skip) return;
  ws = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-settings-'));
  mkdirSync(path.join(ws, 'boards'));
  mkdirSync(path.join(ws, 'scenarios'));
  copyFileSync(path.join(data.tree('v3.3'), 'misc', 'config_tools', 'data', 'qemu', 'qemu.xml'), path.join(ws, 'boards', 'qemu.xml'));
  writeFileSync(path.join(ws, 'scenarios', 's.xml'), SCENARIO);
});
after(() => {
  if (ws) rmSync(ws, { recursive: true, force: true });
});

async function codesWith(boardFile: string): Promise<string[]> {
  const server = await inProcessServer({ acrnTree: data.tree('v3.3'), boardFile, maxFileSizeMB: 10 }, { workspaceFolder: ws });
  try {
    const uri = pathToFileURL(path.join(ws, 'scenarios', 's.xml')).toString();
    const wait = server.diagnostics(uri);
    server.open(uri, SCENARIO);
    const d: Diagnostic[] = await wait;
    return d.map((x) => String(x.code));
  } finally {
    server.stop();
  }
}

describe('acrnNest.boardFile reaches the server resolved', { skip }, () => {
  test('an absolute board path: the board check runs (control)', async () => {
    assert.ok((await codesWith(path.join(ws, 'boards', 'qemu.xml'))).includes(BOARD_CHECK));
  });
  test('no board setting: the board check does not run (control)', async () => {
    assert.ok(!(await codesWith('')).includes(BOARD_CHECK));
  });
  test('${workspaceFolder}/boards/qemu.xml: the board check runs', async () => {
    assert.ok((await codesWith('${workspaceFolder}/boards/qemu.xml')).includes(BOARD_CHECK));
  });
  test('boards/qemu.xml (relative to the workspace folder): the board check runs', async () => {
    assert.ok((await codesWith('boards/qemu.xml')).includes(BOARD_CHECK));
  });
});
