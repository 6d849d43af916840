/**
 * `acrn-nest deploy`: the safe deploy (hv-core/deploy) from the command line, one line per step.
 * Host keys: an unknown key is refused with its fingerprint unless --accept-new-host-key; a
 * changed key is always refused. A sudo password, if the board needs one, is read from stdin
 * (--sudo-password-stdin), never from an argument or the environment.
 */
import { parseArgs } from 'node:util';
import type { CliIO, CliRun } from './io.js';
import { UsageError } from './io.js';
import type { DeployEvent } from '../engine.js';
import { ChangedHostKeyError, DeployError, UnknownHostKeyError, deploy } from '../engine.js';
import { cliPath, cliSettings, cliTarget, connectFlags, loadCliTarget, secondsFlag, settingsOrExit, sharedOptions, sudoPasswordFlag } from './settings.js';

export const deployCommand: CliRun = {
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        ...sharedOptions('target-file', 'scenario', 'no-reboot', 'accept-new-host-key', 'timeout', 'sudo-password-stdin'),
        image: { type: 'string' },
        'acpi-dir': { type: 'string' },
      },
    });
    void positionals;
    if (!values['target-file']) throw new UsageError('--target-file FILE is required');
    if (!values.image) throw new UsageError('--image FILE is required');
    const timeoutMs = secondsFlag(values.timeout);
    const abs = (p: string): string => cliPath(io, p);
    const settings = settingsOrExit('deploy', io, () => cliSettings(values, io, { loadTarget: loadCliTarget }));
    if (typeof settings === 'number') return settings;
    const target = cliTarget(settings)!.target;
    const sudoPassword = await sudoPasswordFlag(values['sudo-password-stdin'], io);
    const accept = values['accept-new-host-key'];
    let lastPct = -1;
    const onEvent = (e: DeployEvent): void => {
      const head = `[${e.index}/5] ${e.step}`;
      if (e.status === 'progress') {
        if (e.step === 'upload' && e.progress !== undefined) {
          const pct = Math.floor(e.progress * 4) * 25;
          if (pct === lastPct) return;
          lastPct = pct;
        }
        io.out(`${head}: ${e.message}`);
        return;
      }
      lastPct = -1;
      const tag = e.status === 'running' ? '' : ` ${e.status}`;
      (e.status === 'failed' ? io.err : io.out)(`${head}${tag}: ${e.message}`);
    };
    try {
      const r = await deploy({
        target,
        image: abs(values.image),
        ...(values.scenario ? { scenario: abs(values.scenario) } : {}),
        ...(values['acpi-dir'] ? { acpiDir: abs(values['acpi-dir']) } : {}),
        noReboot: values['no-reboot'],
        // --timeout bounds the reboot wait, and each remote command too when it is longer than
        // their default 120 s (update-grub on a slow or loaded board).
        ...(timeoutMs ? { rebootTimeoutMs: timeoutMs, commandTimeoutMs: Math.max(120_000, timeoutMs) } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
        connect: connectFlags(io, accept, sudoPassword),
        onEvent,
      });
      io.out(r.rebooted ? `deployed ${r.imagePath} (sha256 ${r.sha256}) to ${r.target}: the new image runs (${r.target}), "${r.entryId}" is what a plain reboot boots` : `deployed ${r.imagePath} (sha256 ${r.sha256}) to ${r.target}: the next boot tries "${r.entryId}" once`);
      return 0;
    } catch (e) {
      if (e instanceof DeployError) {
        io.err(`acrn-nest deploy: ${e.message}`);
        if (e.cause instanceof UnknownHostKeyError) io.err(`acrn-nest deploy: if ${e.cause.info.fingerprint} is the board's key, run again with --accept-new-host-key to record it in ${e.cause.info.knownHostsFile}`);
        if (e.cause instanceof ChangedHostKeyError) io.err('acrn-nest deploy: refusing a changed host key (there is no flag to override this)');
        return 1;
      }
      throw e;
    }
  },
};
