// One eslint config for the whole tree. Type-aware rules (no-floating-promises) need the project.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.e2e/**', '.vscode-test/**', 'out/**', '**/*.mjs', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
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
        patterns: [
          { group: ['vscode', 'vscode/*', '../extension/*', '../../extension/*', '../language-server/*', '../../language-server/*', '../webview/*', '../../webview/*'], message: 'Imports flow one way: hv-core imports nothing from the layers above it.' },
        ],
      }],
    },
  },
  {
    files: ['language-server/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'The language server runs outside VS Code: no vscode import.' }],
        patterns: [{ group: ['../extension/*', '../webview/*'], message: 'Imports flow one way.' }],
      }],
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'Webviews cannot import vscode; talk to the host by messages.' }],
        patterns: [{ group: ['../hv-core/*', '../extension/*', '../language-server/*'], message: 'The webview imports only the shared message types (webview/protocol.ts).' }],
      }],
    },
  },
);
