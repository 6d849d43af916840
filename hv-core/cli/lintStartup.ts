/**
 * The entry of lint's start-up snapshot (startup.ts), run by `node --build-snapshot`: loads lint
 * with the checkers, warms it with one lint of the files it was asked for (output dropped, no
 * cache), and leaves as the snapshot's main a lint of the child's arguments.
 */
import v8 from 'node:v8';
import type { CliIO } from './io.js';
import { processIO } from './io.js';
import { lintCommand } from './lint.js';
import type { WarmUp } from './startup.js';
import { markInSnapshot } from './startup.js';

markInSnapshot();

async function warmUp(): Promise<void> {
  let warm: WarmUp = { files: [] };
  try {
    warm = JSON.parse(process.env.ACRN_NEST_STARTUP_WARMUP ?? '{"files":[]}') as WarmUp;
  } catch {
    /* nothing to warm with */
  }
  const args = ['--no-cache', ...(warm.acrnTree ? ['--acrn-tree', warm.acrnTree] : []), ...(warm.board ? ['--board', warm.board] : []), ...warm.files];
  if (!warm.files.length) return;
  const io: CliIO = { out: () => undefined, err: () => undefined, cwd: process.cwd(), env: process.env };
  try {
    await lintCommand.run(args, io);
  } catch {
    /* a warm-up that fails warms less */
  }
}

function main(): void {
  if (process.env.ACRN_NEST_STARTUP_PROBE) {
    process.stdout.write('acrn-nest startup snapshot ok\n');
    return;
  }
  const io = processIO();
  // The parent (dist/cli.js) parsed and checked these same arguments before it handed over, so
  // a usage error cannot arise here (argv: node, 'lint', then lint's own arguments); any other error is reported as runCli reports it.
  lintCommand.run(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      io.err(`acrn-nest lint: ${(e as Error).message}`);
      process.exitCode = (e as { code?: unknown }).code === 'ERR_ACRN_NEST_USAGE' ? 2 : 1;
    },
  );
}

// The warm-up is asynchronous (lint is): the snapshot is taken once the event loop is empty,
// which is after it has finished.
void warmUp().then(() => v8.startupSnapshot.setDeserializeMainFunction(main));
