// One eslint config for the whole tree. Type-aware rules (no-floating-promises) need the project.
import path from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers as zones of the tree: an import is resolved against the importing file and the
 * folder it lands in is checked, so no relative path of any depth (`../../hv-core/x`,
 * `../wizard/../../extension/y`) escapes. Imports flow one way: extension -> language-server,
 * hv-core, webview/protocol; language-server -> hv-core; webview -> webview only.
 * The front ends (extension/, language-server/, hv-core/cli/) reach hv-core through its one entry
 * point, hv-core/engine.ts, types included; the engine's own modules never import it.
 */
const ROOT = import.meta.dirname;
const ZONES = {
  'hv-core': { forbidden: ['extension', 'language-server', 'webview'], message: 'Imports flow one way: hv-core imports nothing from the layers above it (extension/, language-server/, webview/).' },
  'language-server': { forbidden: ['extension', 'webview'], message: 'Imports flow one way: the language server imports hv-core only, never extension/ or webview/.' },
  webview: { forbidden: ['hv-core', 'extension', 'language-server'], message: 'The webview imports only the shared message types (webview/protocol.ts), nothing from hv-core/, extension/ or language-server/.' },
};
const zoneOf = (file) => path.relative(ROOT, file).split(path.sep)[0];
const ENGINE_ENTRY = 'hv-core/engine';
const posix = (p) => p.split(path.sep).join('/');
const isFrontEnd = (rel) => rel.startsWith('extension/') || rel.startsWith('language-server/') || rel.startsWith('hv-core/cli/');
/** What is wrong with an import from `fromRel` of `targetRel` (both repository-relative) as to the entry point, if anything. */
function entryProblem(fromRel, targetRel) {
  const target = targetRel.replace(/\.(js|ts)$/, '');
  if (!target.startsWith('hv-core/')) return undefined;
  if (isFrontEnd(fromRel)) {
    if (fromRel.startsWith('hv-core/cli/') && target.startsWith('hv-core/cli/')) return undefined;
    if (target !== ENGINE_ENTRY) return 'Front ends (extension/, language-server/, hv-core/cli/) import the engine only through its entry point, hv-core/engine.ts (types too): export what you need from there.';
  } else if (fromRel.startsWith('hv-core/') && target === ENGINE_ENTRY) {
    return 'hv-core/engine.ts is the entry point for the front ends: the engine\'s own modules import the module itself, not the entry point (no circle through it).';
  }
  return undefined;
}
const layers = {
  rules: {
    zones: {
      meta: { type: 'problem', schema: [], messages: { crossed: '{{message}} ({{spec}} resolves into {{zone}}/)', entry: '{{message}} ({{spec}})' } },
      create(context) {
        const from = zoneOf(context.filename);
        const fromRel = posix(path.relative(ROOT, context.filename));
        const zone = ZONES[from];
        if (!zone && !isFrontEnd(fromRel)) return {};
        const check = (node, source) => {
          const spec = source?.value;
          if (typeof spec !== 'string' || !spec.startsWith('.')) return;
          const target = path.relative(ROOT, path.resolve(path.dirname(context.filename), spec));
          const to = target.split(path.sep)[0];
          if (zone && (target.startsWith('..') || zone.forbidden.includes(to))) {
            context.report({ node: source, messageId: 'crossed', data: { message: zone.message, spec, zone: target.startsWith('..') ? 'outside the repository' : to } });
            return;
          }
          const problem = entryProblem(fromRel, posix(target));
          if (problem) context.report({ node: source, messageId: 'entry', data: { message: problem, spec } });
        };
        return {
          ImportDeclaration: (n) => check(n, n.source),
          ExportNamedDeclaration: (n) => n.source && check(n, n.source),
          ExportAllDeclaration: (n) => check(n, n.source),
          ImportExpression: (n) => n.source.type === 'Literal' && check(n, n.source),
        };
      },
    },
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.e2e/**', '.vscode-test/**', 'out/**', '**/*.mjs', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { layers },
    rules: {
      'layers/zones': 'error',
      '@typescript-eslint/no-floating-promises': ['error', {
        // node:test's test()/describe() return promises the runner itself awaits.
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }],
      }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // Typed protocol declarations follow vscode-eslint's `namespace X { method; type }` pattern.
    files: ['**/protocol.ts'],
    rules: { '@typescript-eslint/no-namespace': 'off' },
  },
  {
    // hv-core is the ACRN engine: it must run in the CLI and in the server, never inside VS Code.
    files: ['hv-core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'vscode', message: 'hv-core must not depend on VS Code; put VS Code wiring in extension/.' },
          { name: 'vscode-languageserver', message: 'hv-core must not depend on the LSP; put adapters in language-server/.' },
          { name: 'vscode-languageclient', message: 'hv-core must not depend on the LSP client.' },
        ],
        // The layers themselves: the layers/zones rule above (any depth of relative path).
        patterns: [{ group: ['vscode/*'], message: 'hv-core must not depend on VS Code; put VS Code wiring in extension/.' }],
      }],
    },
  },
  {
    files: ['language-server/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'The language server runs outside VS Code: no vscode import.' }],
      }],
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'Webviews cannot import vscode; talk to the host by messages.' }],
      }],
    },
  },
);
