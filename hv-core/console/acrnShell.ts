/**
 * Facts about ACRN's hypervisor shell (debug builds, on the UART named by SERIAL_CONSOLE), checked
 * against ACRN's hypervisor/debug/shell.c, shell_priv.h and console.c for v2.5 … v3.3.
 */

export const ACRN_PROMPT = 'ACRN:\\>';

/** The shell's commands (shell_priv.h), with their parameters. */
export const ACRN_SHELL_COMMANDS: ReadonlyArray<{ name: string; params?: string; what: string }> = [
  { name: 'help', what: 'list the shell commands' },
  { name: 'version', what: 'hypervisor version and build' },
  { name: 'vm_list', what: 'the VMs ACRN runs (L1 only: L2 guests under KVM do not appear)' },
  { name: 'vcpu_list', what: 'every vCPU: VM, pCPU, role, state' },
  { name: 'vm_console', params: '<vm id>', what: "switch the UART to a VM's console" },
  { name: 'vcpu_dumpreg', params: '<vm id> <vcpu id>', what: "a vCPU's registers" },
  { name: 'dump_host_mem', params: '<addr> <length>', what: 'host memory' },
  { name: 'dump_guest_mem', params: '<vm id> <addr> <length>', what: 'guest memory' },
  { name: 'int', what: 'interrupts per CPU' },
  { name: 'pt', what: 'passthrough devices' },
  { name: 'vioapic', params: '<vm id>', what: "a VM's virtual IOAPIC" },
  { name: 'dump_ioapic', what: 'the native IOAPIC' },
  { name: 'loglevel', params: '[console [mem [npk]]]', what: 'get or set log levels' },
  { name: 'cpuid', params: '<leaf> [subleaf]', what: 'a CPUID leaf' },
  { name: 'rdmsr', params: '[-p<pcpu>] <msr>', what: 'read an MSR' },
  { name: 'wrmsr', params: '[-p<pcpu>] <msr> <value>', what: 'write an MSR' },
  { name: 'reboot', what: 'reboot the whole board, immediately' },
];

/**
 * How to get from a VM's console (after `vm_console N`) back to the ACRN shell. Both start with a
 * NUL byte (what Ctrl+Space or Ctrl+@ sends; a serial BREAK also reads as NUL):
 * - v2.5 … v3.2: the NUL alone (console.c GUEST_CONSOLE_TO_HV_SWITCH_KEY 0, "CTRL + SPACE").
 * - v3.3 and later: NUL then `e` ("BREAK + e"); NUL twice passes one NUL/break to the guest.
 */
export const VM_CONSOLE_ESCAPE = {
  upToV32: Buffer.from([0x00]),
  fromV33: Buffer.from([0x00, 0x65]),
} as const;

/** The escape for an ACRN version string like "3.3", "v2.7", "3.4-unstable"; unknown: the v3.3+ one. */
export function vmConsoleEscape(version?: string): Buffer {
  const m = /(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return VM_CONSOLE_ESCAPE.fromV33;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major < 3 || (major === 3 && minor <= 2) ? VM_CONSOLE_ESCAPE.upToV32 : VM_CONSOLE_ESCAPE.fromV33;
}

export const VM_CONSOLE_ESCAPE_HELP =
  'To leave vm_console and return to ACRN:\\>: ACRN v2.5–v3.2: press Ctrl+Space (a NUL byte); ' +
  'ACRN v3.3+: Ctrl+Space then e ("BREAK + e"; Ctrl+Space twice sends a break to the VM).';

/** The banner a hypervisor console tab starts with. Lines without line ends. */
export function hypervisorBanner(target: string, sourceLabel: string, readOnly: boolean): string[] {
  if (readOnly) {
    return [
      `ACRN hypervisor LOG — ${target} (${sourceLabel})`,
      'This is the hypervisor log read from the Service VM (acrnlog), not the hypervisor shell: input is not sent.',
      'For the ACRN:\\> shell, connect the board\'s debug UART (console type serial, ssh-serial or tcp).',
    ];
  }
  return [
    `ACRN hypervisor console — ${target} (${sourceLabel})`,
    `Shell prompt ${ACRN_PROMPT} (debug builds only). Commands: ${ACRN_SHELL_COMMANDS.slice(0, 5).map((c) => c.name + (c.params ? ' ' + c.params : '')).join(', ')}, … (help lists all).`,
    VM_CONSOLE_ESCAPE_HELP,
  ];
}

export interface AcrnVm {
  id: number;
  name: string;
  state: string;
  uuid?: string;
}

/**
 * Parses `vm_list` output. v2.x prints `UUID VM_ID VM_NAME VM_STATE`, v3.x `VM_ID VM_NAME VM_STATE`;
 * names may contain spaces, the state is the last word.
 */
export function parseVmList(text: string): AcrnVm[] {
  const out: AcrnVm[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const m = /^(?:([0-9a-fA-F]{32})\s+)?(\d+)\s+(.+?)\s+(Created|Running|Paused|Off|Unknown|\S+)$/.exec(line);
    if (!m || line.startsWith('=')) continue;
    const vm: AcrnVm = { id: Number(m[2]), name: m[3]!, state: m[4]! };
    if (m[1]) vm.uuid = m[1].toLowerCase();
    out.push(vm);
  }
  return out;
}
