/**
 * `acrn-nest deploy`: the safe deploy (hv-core/deploy) from the command line, one line per step.
 * Host keys: an unknown key is refused with its fingerprint unless --accept-new-host-key; a
 * changed key is always refused. A sudo password, if the board needs one, is read from stdin
 * (--sudo-password-stdin), never from an argument or the environment.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CliIO, CliRun } from './io.js';
import { UsageError } from './io.js';
import type { DeployEvent } from '../engine.js';
import { ChangedHostKeyError, DeployError, TargetError, UnknownHostKeyError, deploy, loadTargetFile, resolveTarget } from '../engine.js';

async function readFirstLine(stream: NodeJS.ReadableStream): Promise<string> {
  return await new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer | string): void => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) {
        done();
        resolve(buf.slice(0, i).replace(/\r$/, ''));
      }
    };
    const onEnd = (): void => {
      done();
      resolve(buf.replace(/\r?\n$/, ''));
    };
    const done = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', reject);
      (stream as NodeJS.ReadStream).pause?.();
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', reject);
  });
}

export const deployCommand: CliRun = {
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        'target-file': { type: 'string' },
        image: { type: 'string' },
        scenario: { type: 'string' },
        'acpi-dir': { type: 'string' },
        'no-reboot': { type: 'boolean', default: false },
        'accept-new-host-key': { type: 'boolean', default: false },
        timeout: { type: 'string' },
        'sudo-password-stdin': { type: 'boolean', default: false },
      },
    });
    void positionals;
    if (!values['target-file']) throw new UsageError('--target-file FILE is required');
    if (!values.image) throw new UsageError('--image FILE is required');
    let timeoutMs: number | undefined;
    if (values.timeout !== undefined) {
      const s = Number(values.timeout);
      if (!Number.isFinite(s) || s <= 0) throw new UsageError(`--timeout must be a number of seconds, not '${values.timeout}'`);
      timeoutMs = s * 1000;
    }
    const abs = (p: string): string => path.resolve(io.cwd, p);
    let target;
    try {
      target = resolveTarget(loadTargetFile(abs(values['target-file'])));
    } catch (e) {
      if (e instanceof TargetError) {
        io.err(`acrn-nest deploy: ${e.message}`);
        return 2;
      }
      throw e;
    }
    let sudoPassword: string | undefined;
    if (values['sudo-password-stdin']) {
      if (!io.stdin) throw new UsageError('--sudo-password-stdin needs a standard input');
      sudoPassword = await readFirstLine(io.stdin);
    }
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
        ...(timeoutMs ? { rebootTimeoutMs: timeoutMs } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
        connect: {
          ...(sudoPassword !== undefined ? { sudoPassword } : {}),
          onUnknownHostKey: (info) => {
            if (!accept) return false;
            io.out(`accepted the new host key of ${info.target}: ${info.keyType} ${info.fingerprint} (recorded in ${info.knownHostsFile})`);
            return true;
          },
        },
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
