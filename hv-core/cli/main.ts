/**
 * `acrn-nest`: the command-line face of hv-core, for scripts and CI. Same engine as the editor.
 */
import type { CliCommand, CliIO } from './io.js';
import { UsageError, processIO } from './io.js';
import { VERSION } from '../engine.js';

/** Every subcommand, with what `--help` shows; each implementation is loaded when it runs. */
export const COMMANDS: CliCommand[] = [
  {
    name: 'lint',
    summary: 'check ACRN scenario and board XML files',
    usage: 'acrn-nest lint [--acrn-tree DIR] [--board FILE] [--format text|json] [--quiet] [--budget-ms N] [--no-cache | --cache-dir DIR] [--jobs N] FILE...',
    load: async () => (await import('./lint.js')).lintCommand,
  },
  {
    name: 'build',
    summary: 'build the ACRN hypervisor (acrn.bin) for a scenario and board',
    usage: 'acrn-nest build --acrn-tree DIR --board FILE --scenario FILE [--build-host TARGET_FILE [--trust-host-key SHA256:...|--accept-new-host-key]] [--force] [--clean] [--python PATH] [--jobs N] [--make-var VAR=VALUE]... [--no-preflight]',
    load: async () => (await import('./remote.js')).buildCommand,
  },
  {
    name: 'deploy',
    summary: 'deploy acrn.bin to a board over SSH, safely (one-shot boot, verify, then default)',
    usage: 'acrn-nest deploy --target-file FILE --image FILE [--scenario FILE] [--acpi-dir DIR] [--no-reboot] [--accept-new-host-key] [--timeout SEC] [--sudo-password-stdin]',
    load: async () => (await import('./remote.js')).deployCommand,
  },
  {
    name: 'console',
    summary: 'the hypervisor console (or an L2 guest\'s with --l2) on stdin/stdout; Ctrl-] quits',
    usage: 'acrn-nest console --target-file FILE [--l2 NAME] [--timestamps] [--log FILE] [--no-reconnect] [--until REGEX] [--timeout SECONDS]',
    load: async () => (await import('./remote.js')).consoleCommand,
  },
  {
    name: 'l2',
    summary: 'launch, list and stop L2 guests (QEMU/KVM in the Service VM)',
    usage: 'acrn-nest l2 launch --target-file FILE --name NAME (--disk IMAGE [--format raw|qcow2] | --kernel FILE [--initrd FILE] [--append ARGS]) [--memory 2G] [--smp 2] [--accel kvm|tcg] [--net tap|user|none]\n' +
  '       acrn-nest l2 list --target-file FILE [--json]\n' +
  '       acrn-nest l2 stop --target-file FILE [--name NAME] [--timeout SECONDS]',
    load: async () => (await import('./remote.js')).l2Command,
  },
  {
    name: 'doctor',
    summary: 'preflight for nested virtualization: Service VM (vmx, /dev/kvm, kernel config, QEMU, ACRN) and scenario',
    usage: 'acrn-nest doctor [--target-file FILE] [--scenario FILE [--board FILE]] [--json]',
    load: async () => (await import('./remote.js')).doctorCommand,
  },
  {
    name: 'board-vm',
    summary: 'a virtual board (Debian VM, real GRUB) to rehearse deploys on: start, power-cycle, stop, status',
    usage: 'acrn-nest board-vm prepare [--cache-dir DIR]\n' +
      '       acrn-nest board-vm start --dir DIR [--layout ubuntu|gsg|saved] [--hypervisor acrn|xen-standin] [--acrn-tree DIR] [--inspectable | --cpu MODEL --cpus N --device NAME...] [--timeout SEC]\n' +
      '       acrn-nest board-vm power-cycle|stop|status|link-up|link-down --dir DIR [--timeout SEC] [--json]',
    load: async () => (await import('./boardvm.js')).boardVmCommand,
  },
  {
    name: 'board',
    summary: 'inspect a board over SSH with the ACRN tree\'s board inspector (one-shot boot with its kernel parameters) and fetch its board XML',
    usage: 'acrn-nest board inspect --target-file FILE --name NAME [--out FILE] [--acrn-tree DIR] [--basic] [--install-missing] [--preflight-only] [--no-reboot] [--accept-new-host-key] [--sudo-password-stdin] [--timeout SEC] [--json]',
    load: async () => (await import('./board.js')).boardCommand,
  },
  {
    name: 'lab',
    summary: 'run an image on the boards of a LAVA lab (one job per board), follow the jobs, read their results',
    usage: 'acrn-nest lab run --lab URL --device-type T [--count N | --device NAME...] --image FILE [--image-url URL] [--scenario FILE [--acpi-dir DIR]] [--job-template FILE] [--wait] [--token-file FILE]\n' +
      '       acrn-nest lab devices|jobs --lab URL [--device-type T] [--state S] [--limit N] [--json]\n' +
      '       acrn-nest lab logs|results|cancel --lab URL JOB... [--follow] [--json]\n' +
      '       acrn-nest lab template [--device-type T]    (token: --token-file FILE or ACRN_NEST_LAB_TOKEN; URL: --lab or ACRN_NEST_LAB_URL)\n' +
      '       acrn-nest lab flash --target-file FILE --image FILE [--scenario FILE] [--acpi TAR] [--power-cycle CMD] [--panic REGEX] [--timeout S]    (on a LAVA worker: the acrn-board flasher)',
    load: async () => (await import('./lab.js')).labCommand,
  },
  {
    name: 'nvmx',
    summary: 'nested virtualization: recipe status, enable or disable it in a scenario',
    usage: 'acrn-nest nvmx status|enable|disable FILE [--board FILE] [--acrn-tree DIR] [--dry-run] [--remove-sharing-vms | --repin-sharing-vms] [--format text|json]',
    load: async () => (await import('./nvmx.js')).nvmxCommand,
  },
  {
    name: 'upgrade',
    summary: 'upgrade a v2 scenario (and its launch XML) to v3, as ACRN\'s upgrader.py does; reports what is dropped or changed',
    usage: 'acrn-nest upgrade FILE --acrn-tree V3TREE [--launch LAUNCH.xml] [--out FILE] [--dry-run] [--no-check] [--format text|json]',
    load: async () => (await import('./upgrade.js')).upgradeCommand,
  },
];

export { VERSION };

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
    return await (await cmd.load()).run(rest, io);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (e instanceof UsageError || code === 'ERR_ACRN_NEST_USAGE' || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`acrn-nest ${cmd.name}: ${(e as Error).message}`);
      io.err(`Usage: ${cmd.usage}`);
      return 2;
    }
    io.err(`acrn-nest ${cmd.name}: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  const io = processIO();
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
