// @vscode/test-cli configuration: `npm run test:vscode` (builds, then `vscode-test`) downloads VS Code
// and runs test/vscode/*.test.ts inside it with the extension loaded from this folder. Machines
// that cannot reach Microsoft's update service (like the CI here) run the code-server e2e tests
// instead (test/e2e, `npm run test:e2e`).
// The tests are TypeScript, loaded by mocha through tsx's CommonJS hook: no separate compile step.
import { defineConfig } from '@vscode/test-cli';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  label: 'activation',
  files: 'test/vscode/**/*.test.ts',
  version: '1.100.3',
  workspaceFolder: path.join(root, 'test', 'vscode', 'workspace'),
  extensionDevelopmentPath: root,
  launchArgs: ['--disable-extensions', '--disable-workspace-trust'],
  mocha: {
    ui: 'tdd',
    timeout: 60_000,
    require: [require.resolve('tsx/cjs')],
  },
});
