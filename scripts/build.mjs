#!/usr/bin/env node
// The one build script: every bundle acrn-nest ships, with esbuild.
//   node scripts/build.mjs [--production] [--watch]
// Targets: extension (node/cjs, vscode external), language server (node), CLI (node), webview (browser).
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
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

// serialport's native binding: its loader looks for prebuilds next to its own package
// (`join(__dirname, '../')`). Bundled, that would be the extension's root; point it at
// dist/native/serialport instead and copy the prebuilt binaries there (see copyNative()), so the
// VSIX (which ships no node_modules) can open local serial ports.
const NATIVE_PLATFORMS = ['linux-x64', 'linux-arm64', 'darwin-x64+arm64', 'win32-x64'];
const serialportNative = (up = '') => ({
  name: 'serialport-native',
  setup(build) {
    build.onLoad({ filter: /@serialport[\\/]bindings-cpp[\\/]dist[\\/]serialport-bindings\.js$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8');
      const out = src.replace("(0, path_1.join)(__dirname, '../')", `(0, path_1.join)(__dirname, ${up ? `'${up}', ` : ''}'native', 'serialport')`);
      if (out === src) throw new Error('serialport-native: the binding loader changed; update scripts/build.mjs');
      return { contents: out, loader: 'js' };
    });
  },
});

/**
 * Assets read at run time: the virtual board's image recipe (hv-core/boardvm/image.sh), and the
 * ACRN board's LAVA device type and device dictionary example (hv-core/lab/device/), which a lab
 * admin copies to the LAVA server.
 */
function copyAssets() {
  mkdirSync(path.join(root, 'dist', 'boardvm'), { recursive: true });
  cpSync(path.join(root, 'hv-core', 'boardvm', 'image.sh'), path.join(root, 'dist', 'boardvm', 'image.sh'));
  mkdirSync(path.join(root, 'dist', 'lab'), { recursive: true });
  for (const f of ['acrn-board.jinja2', 'acrn-board-device.jinja2']) cpSync(path.join(root, 'hv-core', 'lab', 'device', f), path.join(root, 'dist', 'lab', f));
}

function copyNative() {
  const from = path.join(root, 'node_modules', '@serialport', 'bindings-cpp', 'prebuilds');
  const to = path.join(root, 'dist', 'native', 'serialport', 'prebuilds');
  mkdirSync(to, { recursive: true });
  for (const p of NATIVE_PLATFORMS) if (existsSync(path.join(from, p))) cpSync(path.join(from, p), path.join(to, p), { recursive: true });
}

/**
 * hv-core's modules have no import-time side effects (they declare; nothing runs), so a bundle
 * keeps only what it uses of the engine's entry point (hv-core/engine.ts re-exports every
 * operation): the language server gets no SSH, the CLI's lint no checkers. A module whose import
 * does something that is needed must be kept by a call (schema/bundled/index.ts: useBundledModels())
 * or listed here.
 */
const SIDE_EFFECTS = new Set([]);
const pureEngine = {
  name: 'pure-engine',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\/[\w/.-]+\.js$/ }, (args) => {
      const file = path.resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
      const rel = path.relative(root, file).split(path.sep).join('/');
      if (!rel.startsWith('hv-core/') || SIDE_EFFECTS.has(rel) || !existsSync(file)) return undefined;
      return { path: file, sideEffects: false };
    });
  },
};

const node = { ...common, platform: 'node', format: 'cjs', target: 'node20', plugins: [serialportNative(), pureEngine] };

/**
 * hv-core/scenario/load.ts's loadAnalyzer() loads the checkers on demand: in the CLI that is
 * dist/cli/analyze.js (cliParts below). The bundles that hold the checkers anyway (the extension,
 * the server, its worker) get the same function over a static import: a dynamic import() would
 * make esbuild wrap every module it reaches in a lazy initialiser (about 17 KB in the server).
 */
const staticAnalyzer = {
  name: 'static-analyzer',
  setup(build) {
    build.onLoad({ filter: /[\\/]hv-core[\\/]scenario[\\/]load\.ts$/ }, () => ({
      loader: 'ts',
      contents: "import * as analyzer from './analyze.js';\nexport async function loadAnalyzer(): Promise<typeof analyzer> {\n  return analyzer;\n}\n",
    }));
  },
};
const nodeWithAnalyzer = { ...node, plugins: [...node.plugins, staticAnalyzer] };

// The CLI is split so a command loads only what it runs: dist/cli.js (argument parsing, --help)
// loads one part of dist/cli/ on demand: lint, nvmx, upgrade, or remote (the commands that use SSH or a
// serial port). The checkers and the XPath engine are a part of their own, dist/cli/analyze.js,
// which lint loads only for a file it cannot answer from its cache. The requires between parts
// are left to Node at run time.
const CLI_PARTS = ['lint', 'nvmx', 'remote', 'upgrade', 'boardvm', 'board', 'lab'];
const cliParts = {
  name: 'cli-parts',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\/[\w/.]+\.js$/ }, (args) => {
      const from = path.relative(root, args.importer).split(path.sep).join('/');
      const to = path.posix.join(path.posix.dirname(from), args.path);
      const part = /^hv-core\/cli\/(\w+)\.js$/.exec(to);
      if (from === 'hv-core/cli/main.ts' && part && CLI_PARTS.includes(part[1])) return { path: `./cli/${part[1]}.js`, external: true };
      // Free of side effects like the rest of hv-core (pureEngine): a part that imports the engine
      // but not analyzeText does not load dist/cli/analyze.js.
      if (to === 'hv-core/scenario/analyze.js' && from !== 'hv-core/cli/main.ts') return { path: './analyze.js', external: true, sideEffects: false };
      return undefined;
    });
  },
};
const cliNode = { ...node, supported: { 'dynamic-import': false } };

/** @type {import('esbuild').BuildOptions[]} */
const targets = [
  { ...nodeWithAnalyzer, entryPoints: { extension: 'extension/extension.ts' }, outdir: 'dist', external: [...common.external, 'vscode'] },
  { ...nodeWithAnalyzer, entryPoints: { server: 'language-server/server.ts' }, outdir: 'dist' },
  // The server's analysis worker thread (language-server/documents.ts starts dist/analysis-worker.js).
  { ...nodeWithAnalyzer, entryPoints: { 'analysis-worker': 'language-server/analysis-worker.ts' }, outdir: 'dist' },
  { ...cliNode, plugins: [cliParts, ...node.plugins], entryPoints: { cli: 'hv-core/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  {
    ...cliNode,
    plugins: [cliParts, serialportNative('..'), pureEngine],
    entryPoints: Object.fromEntries([...CLI_PARTS.map((c) => [c, `hv-core/cli/${c}.ts`]), ['analyze', 'hv-core/scenario/analyze.ts']]),
    outdir: 'dist/cli',
  },
  // lint's start-up snapshot (hv-core/cli/startup.ts): its entry holds lint and the checkers in
  // one file (a snapshot can require nothing but Node's own modules), and the builder process.
  {
    ...cliNode,
    plugins: [staticAnalyzer, serialportNative('..'), pureEngine],
    entryPoints: { 'lint-startup': 'hv-core/cli/lintStartup.ts', 'lint-startup-build': 'hv-core/cli/lintStartupBuild.ts' },
    outdir: 'dist/cli',
  },
  { ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: { wizard: 'webview/wizard/main.ts' }, outdir: 'dist/webview' },
];

if (watch) {
  const contexts = await Promise.all(targets.map((t) => esbuild.context(t)));
  copyNative();
  copyAssets();
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('[watch] build started');
} else {
  const t0 = Date.now();
  await Promise.all(targets.map((t) => esbuild.build(t)));
  copyNative();
  copyAssets();
  console.log(`built ${targets.length} bundles in ${Date.now() - t0} ms${production ? ' (production)' : ''}`);
}
