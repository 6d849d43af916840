/**
 * The VSIX holds the bundles only: `npm run package` is run (or reused when up to date, see
 * packageVsix) and the zip's central directory is listed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { packageVsix, REPO, zipEntries } from '../e2e/harness';

test('the VSIX holds the four bundles, the manifest and the icon, nothing else of the tree', { timeout: 180_000 }, () => {
  const vsix = packageVsix();
  const entries = zipEntries(readFileSync(vsix));
  const files = entries.filter((e) => e.startsWith('extension/')).map((e) => e.slice('extension/'.length));

  for (const required of ['package.json', 'dist/extension.js', 'dist/server.js', 'dist/analysis-worker.js', 'dist/cli.js', 'dist/cli/lint.js', 'dist/cli/lint-startup.js', 'dist/cli/lint-startup-build.js', 'dist/cli/analyze.js', 'dist/cli/upgrade.js', 'dist/cli/boardvm.js', 'dist/boardvm/image.sh', 'dist/cli/lab.js', 'dist/lab/acrn-board.jinja2', 'dist/lab/acrn-board-device.jinja2', 'dist/webview/wizard.js', 'dist/native/serialport/prebuilds/linux-x64/@serialport+bindings-cpp.glibc.node']) {
    assert.ok(files.includes(required), `${required} is in the VSIX; entries:\n${entries.join('\n')}`);
  }
  assert.ok(entries.includes('extension.vsixmanifest'), 'the VSIX has its manifest');

  // The extension icon (package.json "icon", drawn by scripts/make-icon.mjs): a PNG of at least 128x128.
  const icon = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { icon?: string }).icon;
  assert.equal(icon, 'media/icon.png');
  assert.ok(files.includes(icon), `the icon ${icon} is in the VSIX`);
  const png = readFileSync(path.join(REPO, icon));
  assert.equal(png.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'the icon is a PNG');
  assert.equal(png.toString('ascii', 12, 16), 'IHDR');
  assert.ok(png.readUInt32BE(16) >= 128 && png.readUInt32BE(20) >= 128, `the icon is at least 128x128 (${png.readUInt32BE(16)}x${png.readUInt32BE(20)})`);

  const offenders = files.filter(
    (f) =>
      f.startsWith('node_modules/') ||
      f.includes('/node_modules/') ||
      /\.(ts|mts|cts|map)$/.test(f) ||
      f.startsWith('test/') ||
      f.startsWith('hv-core/') ||
      f.startsWith('extension/') ||
      f.startsWith('language-server/') ||
      f.startsWith('webview/') ||
      f.startsWith('scripts/') ||
      f.startsWith('demo/') ||
      f.startsWith('.e2e/') ||
      f.endsWith('.vsix'),
  );
  assert.deepEqual(offenders, [], `only bundles belong in the VSIX; found:\n${offenders.join('\n')}`);

  // Everything under dist/ is a bundle, a webview asset or nothing: no stray build output.
  const dist = files.filter((f) => f.startsWith('dist/'));
  for (const f of dist) assert.match(f, /^dist\/(extension|server|analysis-worker|cli)\.js$|^dist\/cli\/[\w-]+\.js$|^dist\/webview\/|^dist\/native\/serialport\/prebuilds\/[^/]+\/[^/]+\.node$|^dist\/boardvm\/image\.sh$|^dist\/lab\/[\w-]+\.jinja2$/, `unexpected file in dist: ${f}`);
});

test('zipEntries reads a central directory and rejects a non-zip', () => {
  // A one-entry zip ("a.txt", stored, empty), built by hand.
  const name = Buffer.from('a.txt');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(name.length, 28);
  const cdOffset = local.length + name.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(cdOffset, 16);
  assert.deepEqual(zipEntries(Buffer.concat([local, name, central, name, end])), ['a.txt']);
  assert.throws(() => zipEntries(Buffer.from('not a zip at all, just some text to fill 22 bytes')), /not a zip/);
});
