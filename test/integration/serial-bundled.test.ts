/**
 * The shipped bundle opens a local serial port with no node_modules beside it: the VSIX has only
 * dist/, so serialport's native binding must come from dist/native (scripts/build.mjs). A socat
 * pseudo-terminal pair stands in for the USB-serial cable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, openSync, writeSync, closeSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from '../unit/helpers';

function waitFor(stream: NodeJS.ReadableStream, re: RegExp, ms: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got: ${buf}`)), ms);
    stream.on('data', (d: Buffer) => {
      buf += d.toString();
      if (re.test(buf)) {
        clearTimeout(t);
        resolve(buf);
      }
    });
  });
}

test('the bundled CLI, copied away from node_modules, reads a serial console', { timeout: 60_000 }, async (t) => {
  execFileSync(process.execPath, [path.join(REPO, 'scripts', 'build.mjs')], { cwd: REPO, stdio: 'inherit' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-serial-'));
  cpSync(path.join(REPO, 'dist'), path.join(dir, 'dist'), { recursive: true, filter: (s) => !s.endsWith('.vsix') });
  const a = path.join(dir, 'ttyA');
  const b = path.join(dir, 'ttyB');
  const socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.after(() => socat.kill());
  await waitFor(socat.stderr!, /starting data transfer loop/, 10_000, 'socat');
  assert.ok(existsSync(a) && existsSync(b));
  const target = path.join(dir, 'target.json');
  writeFileSync(target, JSON.stringify({ name: 'nuc', host: '127.0.0.1', user: 'acrn', console: { type: 'serial', path: a, baud: 115200 } }));
  // cwd outside the repo: no node_modules anywhere up the tree of the copied bundle.
  const cli = spawn(process.execPath, [path.join(dir, 'dist', 'cli.js'), 'console', '--target-file', target, '--until', 'hello from the UART', '--timeout', '20'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => cli.kill());
  let out = '';
  let err = '';
  cli.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  cli.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  // Status lines go to stderr, the board's bytes to stdout.
  await waitFor(cli.stderr!, /connected to serial/, 20_000, 'the CLI to open the port');
  const fd = openSync(b, 'w');
  writeSync(fd, 'ACRN:\\>hello from the UART\r\n');
  closeSync(fd);
  const code = await new Promise<number | null>((resolve) => cli.on('exit', resolve));
  assert.equal(code, 0, out + err);
  assert.match(out, /hello from the UART/);
  assert.doesNotMatch(err, /native binding/);
});
