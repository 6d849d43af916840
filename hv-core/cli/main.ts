/**
 * `acrn-nest`: the command-line face of hv-core, for scripts and CI. Same engine as the editor.
 */
import type { CliCommand, CliIO } from './io.js';
import { UsageError } from './io.js';
import { lintCommand } from './lint.js';
import { buildCommand } from './build.js';
import { consoleCommand } from './console.js';
import { doctorCommand } from './doctor.js';
import { l2Command } from './l2.js';
import { nvmxCommand } from './nvmx.js';
import { deployCommand } from './deploy.js';

/** Every subcommand; later layers add theirs here. */
export const COMMANDS: CliCommand[] = [lintCommand, buildCommand, deployCommand, consoleCommand, l2Command, doctorCommand, nvmxCommand];

export const VERSION = '0.1.0';

function help(io: CliIO): void {
  io.out(`acrn-nest ${VERSION}: ACRN scenario tooling for nested virtualization`);
  io.out('');
  io.out('Usage:');
  for (const c of COMMANDS) io.out(`  ${c.usage}`);
  io.out('');
  io.out('Commands:');
  for (const c of COMMANDS) io.out(`  ${c.name.padEnd(10)} ${c.summary}`);
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    help(io);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    io.out(VERSION);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    io.err(`acrn-nest: unknown command '${name}'. Run 'acrn-nest --help'.`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`Usage: ${cmd.usage}`);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`acrn-nest ${cmd.name}: ${(e as Error).message}`);
      io.err(`Usage: ${cmd.usage}`);
      return 2;
    }
    io.err(`acrn-nest ${cmd.name}: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  const ac = new AbortController();
  process.on('SIGINT', () => ac.abort());
  const io: CliIO = {
    out: (l) => process.stdout.write(l + '\n'),
    err: (l) => process.stderr.write(l + '\n'),
    cwd: process.cwd(),
    env: process.env,
    stdin: process.stdin,
    stdout: process.stdout,
    signal: ac.signal,
  };
  runCli(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`acrn-nest: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
