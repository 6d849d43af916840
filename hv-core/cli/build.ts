/**
 * `acrn-nest build`: builds the hypervisor for a scenario and a board in an ACRN tree, here or on
 * a build host over SSH. make's output streams to stderr; findings print to stdout as
 * `FILE:LINE:COL: severity: MESSAGE` (1-based, like gcc); on success the image path is the last
 * line of stdout. Exit 0 built (or up to date), 1 failed, 2 usage, 130 cancelled.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { BuildFinding, BuildHost } from '../engine.js';
import { RemoteBuildHost as RemoteHost, SshConnection, buildOptionsFrom, cleanBuild, formatBuildFinding, runBuild } from '../engine.js';
import type { CliIO, CliRun } from './io.js';
import { UsageError } from './io.js';
import { cliBuildHost, cliSettings, jobsFlag, loadCliTarget, sharedOptions } from './settings.js';

function display(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

export const buildCommand: CliRun = {
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...sharedOptions('acrn-tree', 'board', 'scenario'),
        'build-host': { type: 'string' },
        'trust-host-key': { type: 'string' },
        'accept-new-host-key': { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        clean: { type: 'boolean', default: false },
        python: { type: 'string' },
        jobs: { type: 'string' },
        'make-var': { type: 'string', multiple: true },
        'no-preflight': { type: 'boolean', default: false },
        quiet: { type: 'boolean', short: 'q', default: false },
      },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    for (const k of ['acrn-tree', 'board', 'scenario'] as const) if (!values[k]) throw new UsageError(`--${k} is required`);
    const jobs = jobsFlag(values.jobs);
    const remote = values['build-host'];
    if ((values['trust-host-key'] || values['accept-new-host-key']) && !remote) throw new UsageError('--trust-host-key / --accept-new-host-key only apply with --build-host');
    if (values.python && remote) throw new UsageError('--python applies to local builds only (the build host uses its own python3)');
    // Flags and the build host's target file -> the engine's settings (the tree a remote path if remote).
    const settings = cliSettings({ ...values, jobs }, io, { remoteTree: Boolean(remote), loadTarget: loadCliTarget });

    let host: BuildHost | undefined;
    const target = cliBuildHost(settings);
    if (target) {
      const trust = values['trust-host-key'];
      io.err(`acrn-nest build: connecting to build host ${target.name}`);
      const conn = await SshConnection.connect(target, {
        signal: io.signal,
        onUnknownHostKey: (info) => {
          if ((trust && trust === info.fingerprint) || (!trust && values['accept-new-host-key'])) {
            io.err(`acrn-nest build: trusting ${info.host}:${info.port} ${info.keyType} ${info.fingerprint} (${trust ? '--trust-host-key' : '--accept-new-host-key'}); recorded in ${info.knownHostsFile}`);
            return true;
          }
          io.err(`acrn-nest build: the host key of ${info.host}:${info.port} is unknown: ${info.keyType} ${info.fingerprint}`);
          io.err(`  compare it with the build host's own (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then run again with --trust-host-key ${info.fingerprint} (or --accept-new-host-key)`);
          return false;
        },
      });
      host = new RemoteHost(conn);
    }
    try {
      const acrnTree = (remote ? settings.build.hostAcrnTree : settings.acrnTree)!;
      if (values.clean) {
        io.err(`acrn-nest build: make clean in ${acrnTree}`);
        await cleanBuild({ acrnTree, host, signal: io.signal, onLine: (l) => io.err(l) });
      }
      const printFinding = (f: BuildFinding): void => io.out(formatBuildFinding({ ...f, file: display(f.file, io.cwd) }));
      const result = await runBuild({
        acrnTree,
        board: settings.boardFile!,
        scenario: path.resolve(io.cwd, values.scenario!),
        host,
        force: values.force || values.clean,
        ...buildOptionsFrom(settings, { remote: Boolean(remote) }),
        skipPreflight: values['no-preflight'],
        signal: io.signal,
        onLine: values.quiet ? undefined : (l) => io.err(l),
        onStep: (_s, m) => io.err(`acrn-nest build: ${m}`),
        onFinding: printFinding,
      });
      if (result.error) {
        const e = result.error;
        io.err(`acrn-nest build: failed at ${e.step}: ${e.message}`);
        if (e.hint) io.err(`  ${e.hint}`);
        return e.code === 'build/cancelled' ? 130 : 1;
      }
      const nvmx = result.config?.CONFIG_NVMX_ENABLED !== undefined ? ', CONFIG_NVMX_ENABLED=y' : '';
      io.err(`acrn-nest build: ${result.upToDate ? 'up to date' : `built in ${(result.durationMs / 1000).toFixed(1)} s`} (ACRN ${result.tree?.label}${result.config?.CONFIG_SCENARIO ? `, scenario ${result.config.CONFIG_SCENARIO}` : ''}${nvmx})`);
      io.out(result.image!);
      return 0;
    } finally {
      host?.dispose();
    }
  },
};
