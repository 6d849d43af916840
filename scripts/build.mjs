#!/usr/bin/env node
// The one build script: every bundle acrn-nest ships, with esbuild.
//   node scripts/build.mjs [--production] [--watch]
// Targets: extension (node/cjs, vscode external), language server (node), CLI (node), webview (browser).
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
  // Native/optional modules resolved at run time: ssh2 falls back to pure JS without cpu-features.
  external: ['cpu-features', './crypto/build/Release/sshcrypto.node'],
};

const node = { ...common, platform: 'node', format: 'cjs', target: 'node20' };

/** @type {import('esbuild').BuildOptions[]} */
const targets = [
  { ...node, entryPoints: { extension: 'extension/extension.ts' }, outdir: 'dist', external: [...common.external, 'vscode', '@serialport/bindings-cpp'] },
  { ...node, entryPoints: { server: 'language-server/server.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { cli: 'hv-core/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' }, external: [...common.external, '@serialport/bindings-cpp'] },
  { ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: { wizard: 'webview/wizard/main.ts' }, outdir: 'dist/webview' },
];

if (watch) {
  const contexts = await Promise.all(targets.map((t) => esbuild.context(t)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('[watch] build started');
} else {
  const t0 = Date.now();
  await Promise.all(targets.map((t) => esbuild.build(t)));
  console.log(`built ${targets.length} bundles in ${Date.now() - t0} ms${production ? ' (production)' : ''}`);
}
