/**
 * The bundled v2 (ACRN v2.6) scenario model, written by hand from the facts in
 * shared/notes/acrn-facts.md, used when no ACRN tree is known. It describes what the nested
 * virtualization recipe touches in full (DEBUG_OPTIONS, FEATURES, vm_type, guest_flags,
 * cpu_affinity, os_config, legacy_vuart, console_vuart, communication_vuart) and leaves the other
 * sections open (any content accepted). test/unit/schema-bundled.test.ts keeps it in agreement
 * with the real v2.6 schema.
 */
import type { Assertion, SchemaModel, TypeDef } from '../model.js';
import { BOOLEAN, HEX, NONE, all, attribute, complex, el, enumType, opaque, patternType, rangeType, seq, unionType } from './build.js';

function assertion(owner: string, n: number, test: string, documentation: string): Assertion {
  return { test, owner, origin: 'config', id: `bundled-v2.6#${n}`, documentation };
}

const A_NVMX_NOOP = assertion('FeatureOptionsType', 0, "not (NVMX_ENABLED = 'y' and not (SCHEDULER = 'SCHED_NOOP'))", 'Nested virtualization (NVMX_ENABLED = y) needs the NOOP scheduler (SCHEDULER = SCHED_NOOP).');
const A_FLAG_NEEDS_NVMX = assertion('ACRNConfigType', 1, "count(//guest_flag[text() = 'GUEST_FLAG_NVMX_ENABLED']) = 0 or //NVMX_ENABLED = 'y'", 'A VM may carry GUEST_FLAG_NVMX_ENABLED only when hv/FEATURES/NVMX_ENABLED is y.');
const A_SOS_LAPIC_NVMX = assertion('VMConfigType', 2, "vm_type != 'SOS_VM' or count(guest_flags[guest_flag = 'GUEST_FLAG_LAPIC_PASSTHROUGH']) = 0 or count(guest_flags[guest_flag = 'GUEST_FLAG_NVMX_ENABLED']) > 0", 'The Service VM may pass the LAPIC through only together with GUEST_FLAG_NVMX_ENABLED.');
const A_NVMX_LAPIC = assertion('GuestFlagsInfo', 3, "count(guest_flag[text() = 'GUEST_FLAG_NVMX_ENABLED']) = 0 or count(guest_flag[text() = 'GUEST_FLAG_LAPIC_PASSTHROUGH']) > 0", 'GUEST_FLAG_NVMX_ENABLED needs GUEST_FLAG_LAPIC_PASSTHROUGH on the same VM.');

const logLevel = rangeType('LogLevelType', 0, 7, 'Log level, 0 (nothing) to 7; messages above the level are dropped.');

const types: TypeDef[] = [
  BOOLEAN,
  HEX,
  NONE,
  logLevel,
  patternType('SerialConsoleType', ['.*ttyS[0-3]'], 'A serial device such as ``/dev/ttyS0``.'),
  unionType('SerialConsoleOptions', ['None', 'SerialConsoleType'], 'Empty (no console) or a serial device such as ``/dev/ttyS0``.'),
  enumType(
    'SchedulerType',
    [
      ['SCHED_NOOP', 'No-operation scheduler: each vCPU has a pCPU of its own. Nested virtualization needs it.'],
      ['SCHED_IORR', 'I/O-sensitive round robin: several vCPUs share a pCPU.'],
      ['SCHED_BVT', 'Borrowed virtual time: runs the thread with the earliest effective virtual time.'],
    ],
    'The hypervisor\'s vCPU scheduler.',
  ),
  enumType(
    'VMOptionsType',
    [
      ['SOS_VM', 'The Service VM (called SOS in v2.6). Nested virtualization runs KVM here.'],
      ['SAFETY_VM', 'A pre-launched safety VM.'],
      ['PRE_RT_VM', 'A pre-launched real-time VM.'],
      ['PRE_STD_VM', 'A pre-launched standard VM.'],
      ['POST_STD_VM', 'A post-launched standard VM (started by the device model in the Service VM).'],
      ['POST_RT_VM', 'A post-launched real-time VM.'],
      ['KATA_VM', 'A post-launched Kata Containers VM.'],
    ],
    'What kind of VM this is: pre-launched (``PRE_*``, ``SAFETY_VM``), the Service VM (``SOS_VM``) or post-launched (``POST_*``, ``KATA_VM``).',
  ),
  enumType(
    'GuestFlagsOptionsType',
    [
      ['', 'No flag.'],
      ['0', 'No flag.'],
      ['0UL', 'No flag.'],
      ['GUEST_FLAG_SECURE_WORLD_ENABLED', 'Secure world (Trusty) for this VM.'],
      ['GUEST_FLAG_LAPIC_PASSTHROUGH', 'The local APIC is passed through to the VM. The nested-virtualization recipe sets it on the Service VM together with GUEST_FLAG_NVMX_ENABLED.'],
      ['GUEST_FLAG_IO_COMPLETION_POLLING', 'The hypervisor polls for I/O completion.'],
      ['GUEST_FLAG_HIDE_MTRR', 'MTRRs are hidden from the VM.'],
      ['GUEST_FLAG_RT', 'A real-time VM.'],
      ['GUEST_FLAG_NVMX_ENABLED', 'Nested virtualization (VMX) for this VM: KVM can run inside it. Needs FEATURES/NVMX_ENABLED = y and GUEST_FLAG_LAPIC_PASSTHROUGH.'],
      ['GUEST_FLAG_SECURITY_VM', 'Security VM fixups (TPM2 and SMBIOS passthrough).'],
    ],
    'A guest flag: ``0``, ``0UL`` or empty for none, or one ``GUEST_FLAG_*`` per element.',
  ),
  enumType('VMKernelType', ['KERNEL_BZIMAGE', 'KERNEL_RAWIMAGE', 'KERNEL_ELF'], 'How the hypervisor loads the kernel: ``KERNEL_BZIMAGE``, ``KERNEL_RAWIMAGE`` or ``KERNEL_ELF``.'),
  unionType('KernLoadAddr', ['None', 'HexFormat'], 'Empty, or a hexadecimal address.'),
  unionType('KernEntryAddr', ['None', 'HexFormat'], 'Empty, or a hexadecimal address.'),
  enumType('LegacyVuartType', ['VUART_LEGACY_PIO', 'VUART_PCI'], 'The vUART kind; legacy port I/O is what v2.6 uses.'),
  enumType(
    'LegacyVuartBase',
    [
      ['SOS_COM1_BASE', 'The Service VM\'s COM1 (its console).'],
      ['SOS_COM2_BASE', 'The Service VM\'s COM2 (inter-VM link).'],
      ['COM1_BASE', 'COM1 (0x3F8).'],
      ['COM2_BASE', 'COM2 (0x2F8).'],
      ['COM3_BASE', 'COM3 (0x3E8).'],
      ['COM4_BASE', 'COM4 (0x2E8).'],
      ['INVALID_COM_BASE', 'Disabled. (The recipe\'s prose says INVALID_LEGACY_PIO, which no schema accepts; this is the value.)'],
    ],
    'The vUART\'s I/O base, or ``INVALID_COM_BASE`` to disable it.',
  ),
  enumType('LegacyVuartIrq', ['SOS_COM1_IRQ', 'SOS_COM2_IRQ', 'COM1_IRQ', 'COM2_IRQ', 'COM3_IRQ', 'COM4_IRQ', 'CONFIG_COM_IRQ', '3', '4', '6', '7'], 'The vUART\'s IRQ: a symbolic COM IRQ or 3, 4, 6, 7.'),
  enumType('PCIVuartBase', [['PCI_VUART', 'Enabled (a PCI vUART).'], ['INVALID_PCI_BASE', 'Disabled.']], '``PCI_VUART`` to enable this PCI vUART, ``INVALID_PCI_BASE`` to disable it.'),
  complex(
    'DebugOptionsType',
    all(
      el('RELEASE', 'Boolean', { default: 'n', doc: '``y`` builds a release hypervisor (no console, no logs, no shell); ``n`` a debug one.' }),
      el('SERIAL_CONSOLE', 'SerialConsoleOptions', { default: '/dev/ttyS0', doc: 'The host serial port of the hypervisor console (debug builds only), e.g. ``/dev/ttyS0``.' }),
      el('MEM_LOGLEVEL', 'LogLevelType', { default: '5', doc: 'Log level of the in-memory log.' }),
      el('NPK_LOGLEVEL', 'LogLevelType', { default: '5', doc: 'Log level of the North Peak (NPK) trace log.' }),
      el('CONSOLE_LOGLEVEL', 'LogLevelType', { default: '3', doc: 'Log level of the serial console.' }),
      el('LOG_DESTINATION', rangeType(undefined, 0, 7), { default: '7', doc: 'Where logs go, as a bit mask: 1 serial console, 2 Service VM, 4 NPK.' }),
      el('LOG_BUF_SIZE', 'HexFormat', { default: '0x40000', doc: 'Log buffer size per physical CPU, in bytes.' }),
    ),
    [],
    'Hypervisor debug settings.',
  ),
  complex(
    'FeatureOptionsType',
    all(
      el('RELOC', 'Boolean', { default: 'y', doc: 'Let the hypervisor relocate itself at boot.' }),
      el('SCHEDULER', 'SchedulerType', { default: 'SCHED_BVT', doc: 'The vCPU scheduler. Nested virtualization needs ``SCHED_NOOP``.' }),
      el('MULTIBOOT2', 'Boolean', { default: 'y', doc: 'Make the image bootable with GRUB\'s multiboot2.' }),
      el('ENFORCE_TURNOFF_AC', 'Boolean', { default: 'y', doc: 'Turn off #AC on split-locked accesses.' }),
      el('ENFORCE_TURNOFF_GP', 'Boolean', { default: 'n', doc: 'Turn off #GP on UC locks.' }),
      el('SECURITY_VM_FIXUP', 'Boolean', { default: 'n', doc: 'TPM2 and SMBIOS fixups for a security VM.' }),
      el('RDT', opaque('RDTType'), { doc: 'Intel Resource Director Technology settings.' }),
      el('HYPERV_ENABLED', 'Boolean', { default: 'y', doc: 'Hyper-V enlightenments for guests.' }),
      el('NVMX_ENABLED', 'Boolean', { default: 'n', doc: 'Nested virtualization: lets a VM (the Service VM, with ``GUEST_FLAG_NVMX_ENABLED``) run KVM. Needs ``SCHEDULER`` = ``SCHED_NOOP``.' }),
      el('IOMMU_ENFORCE_SNP', 'Boolean', { default: 'n', doc: 'IOMMU enforces snooping of DMA.' }),
      el('ACPI_PARSE_ENABLED', 'Boolean', { default: 'y', doc: 'Parse ACPI tables at run time.' }),
      el('L1D_VMENTRY_ENABLED', 'Boolean', { default: 'n', doc: 'Flush the L1 data cache on VM entry.' }),
      el('MCE_ON_PSC_DISABLED', 'Boolean', { default: 'n', doc: 'Disable the machine-check-on-page-size-change workaround.' }),
      el('IVSHMEM', opaque('IVSHMEMInfo'), { doc: 'Inter-VM shared memory.' }),
      el('SSRAM', complex('SSRAMInfo', seq(el('SSRAM_ENABLED', 'Boolean', { default: 'n', doc: 'Enable PTCM (Platform Tuning Configuration Manager).' }))), { min: 0, doc: 'Software SRAM.' }),
    ),
    [],
    'Hypervisor features.',
  ),
  opaque('MemoryOptionsType', 'Hypervisor memory layout.'),
  opaque('CapacitiesOptionsType', 'Hypervisor capacity limits.'),
  opaque('MiscCfgOptionsType', 'Miscellaneous settings.'),
  complex('HVConfigType', all(el('DEBUG_OPTIONS', 'DebugOptionsType'), el('FEATURES', 'FeatureOptionsType'), el('MEMORY', 'MemoryOptionsType'), el('CAPACITIES', 'CapacitiesOptionsType'), el('MISC_CFG', 'MiscCfgOptionsType'))),
  complex('GuestFlagsInfo', seq(el('guest_flag', 'GuestFlagsOptionsType', { max: 'unbounded', doc: 'One guest flag.' }))),
  complex('CPUAffinityConfiguration', seq(el('pcpu_id', 'xs:integer', { default: '2', max: 'unbounded', doc: 'A physical CPU this VM\'s vCPUs may run on (one vCPU per pcpu_id).' }))),
  complex(
    'OSConfigurations',
    seq(
      el('name', patternLength(1, 32), { doc: 'The OS name (for humans).' }),
      el('kern_type', 'VMKernelType', { doc: 'Kernel image format.' }),
      el('kern_mod', 'xs:string', { doc: 'The GRUB module tag of the kernel (``module2 ... <tag>``); must match GRUB exactly.' }),
      el('ramdisk_mod', 'xs:string', { doc: 'The GRUB module tag of the ramdisk.' }),
      el('bootargs', 'xs:string', { doc: 'Kernel command line.' }),
      el('kern_load_addr', 'KernLoadAddr', { min: 0, doc: 'Kernel load address.' }),
      el('kern_entry_addr', 'KernEntryAddr', { min: 0, doc: 'Kernel entry address.' }),
    ),
  ),
  complex(
    'LegacyVuartConfiguration',
    seq(
      el('type', 'LegacyVuartType', { default: 'VUART_LEGACY_PIO', doc: 'The vUART kind.' }),
      el('base', 'LegacyVuartBase', { doc: 'I/O base, or ``INVALID_COM_BASE`` to disable.' }),
      el('irq', 'LegacyVuartIrq', { doc: 'IRQ of the vUART.' }),
      el('target_vm_id', 'xs:integer', { default: '1', min: 0, doc: 'For vUART 1: the VM at the other end.' }),
      el('target_uart_id', 'xs:integer', { default: '1', min: 0, doc: 'For vUART 1: the vUART id at the other end.' }),
    ),
    [attribute('id', 'xs:integer', 'required')],
    'A legacy (port I/O) vUART: ``id="0"`` is the console, ``id="1"`` the inter-VM link.',
  ),
  complex('ConsoleVuartConfiguration', seq(el('base', 'PCIVuartBase', { default: 'INVALID_PCI_BASE', doc: 'Enable (``PCI_VUART``) or disable the console PCI vUART.' })), [attribute('id', 'xs:integer', 'required')]),
  complex(
    'CommunicationVuartConfiguration',
    seq(
      el('base', 'PCIVuartBase', { default: 'INVALID_PCI_BASE', doc: 'Enable (``PCI_VUART``) or disable this inter-VM PCI vUART.' }),
      el('target_vm_id', 'xs:integer', { doc: 'The VM at the other end.' }),
      el('target_uart_id', 'xs:integer', { doc: 'The vUART id at the other end.' }),
    ),
    [attribute('id', 'xs:integer', 'required')],
  ),
  complex(
    'VMConfigType',
    all(
      el('vm_type', 'VMOptionsType', { doc: 'What kind of VM this is.' }),
      el('name', patternLength(1, 32), { min: 0, doc: 'The VM name shown by the hypervisor shell\'s ``vm_list``.' }),
      el('guest_flags', 'GuestFlagsInfo', { min: 0, doc: 'Guest flags of the VM. Nested virtualization: ``GUEST_FLAG_NVMX_ENABLED`` and ``GUEST_FLAG_LAPIC_PASSTHROUGH`` on the Service VM.' }),
      el('cpu_affinity', 'CPUAffinityConfiguration', { min: 0, doc: 'The physical CPUs this VM runs on.' }),
      el('clos', opaque('CLOSConfiguration'), { doc: 'Cache allocation class of service per vCPU.' }),
      el('epc_section', opaque('EPCSection'), { min: 0, doc: 'SGX enclave page cache.' }),
      el('memory', opaque('MemoryInfo'), { min: 0, doc: 'Memory of the VM.' }),
      el('os_config', 'OSConfigurations', { min: 0, doc: 'The kernel the hypervisor boots for this VM (pre-launched VMs and the Service VM).' }),
      el('legacy_vuart', 'LegacyVuartConfiguration', { min: 2, max: 2, doc: 'The two legacy vUARTs, ``id="0"`` and ``id="1"``.' }),
      el('console_vuart', 'ConsoleVuartConfiguration', { doc: 'The PCI console vUART.' }),
      el('communication_vuart', 'CommunicationVuartConfiguration', { max: 'unbounded', doc: 'PCI vUARTs linking this VM to others.' }),
      el('mmio_resources', opaque('MMIOResourcesConfiguration'), { min: 0, doc: 'MMIO resources passed through.' }),
      el('pci_dev_num', 'xs:string', { min: 0, doc: 'Number of PCI devices.' }),
      el('pt_intx', 'xs:string', { min: 0, doc: 'Passthrough INTx mapping.' }),
      el('pci_devs', opaque('PCIDevsConfiguration'), { min: 0, doc: 'PCI devices passed through.' }),
      el('board_private', opaque('BoardPrivateConfiguration'), { min: 0, doc: 'Board-specific settings.' }),
      el('PTM', 'Boolean', { default: 'n', min: 0, doc: 'PCIe Precision Time Measurement.' }),
    ),
    [attribute('id', 'xs:integer')],
    'One VM.',
  ),
  complex('ACRNConfigType', all(el('hv', 'HVConfigType', { doc: 'Hypervisor settings.' }), el('vm', 'VMConfigType', { max: 'unbounded', doc: 'A VM.' })), [attribute('board', 'xs:string', 'required'), attribute('scenario', 'xs:string', 'required')]),
];

function patternLength(min: number, max: number): TypeDef {
  return { kind: 'simple', variety: 'atomic', base: 'xs:string', minLength: min, maxLength: max, documentation: `${min} to ${max} characters.` };
}

const byName: Record<string, TypeDef> = {};
for (const t of types) if (t.name) byName[t.name] = t;
for (const [owner, a] of [['FeatureOptionsType', A_NVMX_NOOP], ['ACRNConfigType', A_FLAG_NEEDS_NVMX], ['VMConfigType', A_SOS_LAPIC_NVMX], ['GuestFlagsInfo', A_NVMX_LAPIC]] as const) {
  const t = byName[owner];
  if (t?.kind === 'complex') t.asserts.push(a);
}

export const BUNDLED_V26: SchemaModel = {
  origin: 'bundled:v2.6',
  family: 'v2',
  label: 'v2.6 (bundled)',
  // As the loader says of a v2.6 tree: ACRN v2.6 does not fill in schema defaults (lint with and
  // without a tree then report the same missing child).
  populatesDefaults: false,
  elements: { 'acrn-config': el('acrn-config', 'ACRNConfigType', { doc: 'An ACRN v2 scenario: hypervisor settings (``hv``) and VMs (``vm id=N``).' }) },
  types: byName,
  asserts: [A_NVMX_NOOP, A_FLAG_NEEDS_NVMX, A_SOS_LAPIC_NVMX, A_NVMX_LAPIC],
  datachecks: [],
  files: [],
};
