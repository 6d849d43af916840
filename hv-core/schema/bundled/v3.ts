/**
 * The bundled v3 (ACRN v3.3) scenario model, written by hand from the facts in
 * shared/notes/acrn-facts.md, used when no ACRN tree is known. It describes hv (BUILD_TYPE,
 * FEATURES, DEBUG_OPTIONS, vuart_connections) and every child of `vm` (with load_order choosing
 * the VM kind, as ACRN's xs:alternative does, and acrn:applicable-vms slicing), in detail where
 * the nested-virtualization recipe needs it; other sections are left open (any content accepted).
 * test/unit/schema-bundled.test.ts keeps it in agreement with the real v3.3 schema.
 */
import type { Alternative, SchemaModel, TypeDef } from '../model.js';
import { BOOLEAN, HEX, NONE, all, attribute, complex, el, enumType, opaque, patternType, rangeType, seq, unionType } from './build.js';

const PRE = 'pre-launched';
const POST = 'post-launched';
const SOS = 'service-vm';

const CPU_OPTIONS = '//processors//thread/cpu_id/text()';

const types: TypeDef[] = [
  BOOLEAN,
  HEX,
  NONE,
  enumType('BuildType', [['release', 'An optimized hypervisor without the debug shell, prints and logs.', { title: 'Release' }], ['debug', 'A hypervisor with the debug shell, prints and logs.', { title: 'Debug' }]], 'The hypervisor build type: ``debug`` or ``release``.'),
  enumType(
    'LogLevelType',
    [
      ['0', 'No log.', { title: '0: None' }],
      ['1', 'Critical errors only.', { title: '1: Critical' }],
      ['2', 'Errors.', { title: '2: Error' }],
      ['3', 'Warnings.', { title: '3: Warning' }],
      ['4', 'Information.', { title: '4: Information' }],
      ['5', 'Debug messages.', { title: '5: Debug' }],
    ],
    'Log level from ``0`` (nothing) to ``5`` (debug); messages above the level are dropped.',
  ),
  enumType(
    'SchedulerType',
    [
      ['SCHED_NOOP', 'No-operation scheduler: each vCPU has a pCPU of its own. Nested virtualization needs it.', { title: 'No-Operation (NOOP)' }],
      ['SCHED_IORR', 'I/O-sensitive round robin.', { views: [] }],
      ['SCHED_BVT', 'Borrowed virtual time: runs the thread with the earliest effective virtual time.', { title: 'Borrowed Virtual Time' }],
      ['SCHED_PRIO', 'Priority-based scheduling.', { title: 'Priority Based Scheduling' }],
    ],
    'The hypervisor\'s vCPU scheduler.',
  ),
  enumType('policyType', [['Performance', 'Maximum frequency.'], ['Nominal', 'Guaranteed frequency.']], 'CPU frequency policy.'),
  enumType('PriorityType', [['PRIO_LOW', 'Low priority.'], ['PRIO_HIGH', 'High priority.']], 'vCPU priority for the priority scheduler.'),
  patternType('SerialConsoleType', ['(.*ttyS[\\d]+)|None'], 'A serial device such as ``/dev/ttyS0``, or ``None``.'),
  patternType('VMNameType', ['([a-zA-Z0-9_\\-]){1,15}'], 'Up to 15 letters, digits, ``_`` or ``-``.'),
  patternType('VBDFType', ['[0-9A-Fa-f]{1,2}:[0-1][0-9A-Fa-f]\\.[0-7]'], 'A virtual PCI address ``bus:device.function``, e.g. ``00:10.0``.'),
  unionType('KernLoadAddr', ['None', 'HexFormat'], 'Empty, or a hexadecimal address.'),
  unionType('KernEntryAddr', ['None', 'HexFormat'], 'Empty, or a hexadecimal address.'),
  enumType(
    'LoadOrderType',
    [
      ['SERVICE_VM', 'The Service VM: launched by the hypervisor, runs the device model (and KVM, for nested virtualization).'],
      ['PRE_LAUNCHED_VM', 'A VM the hypervisor launches before the Service VM.'],
      ['POST_LAUNCHED_VM', 'A VM the Service VM launches.'],
    ],
    'When and by whom the VM is launched.',
  ),
  enumType(
    'VMType',
    [
      ['RTVM', 'A real-time VM.', { title: 'Real-time', applicableVms: [PRE, POST] }],
      ['STANDARD_VM', 'A general-purpose VM.', { title: 'Standard' }],
      ['TEE_VM', 'A trusted execution environment VM.', { views: [] }],
      ['REE_VM', 'A rich execution environment VM.', { views: [] }],
    ],
    'The VM\'s purpose: ``RTVM`` (real-time) or ``STANDARD_VM``.',
  ),
  enumType(
    'ConsoleVuartConfiguration',
    [['None', 'No console vUART.'], ['COM Port 1', 'Legacy COM1 (ttyS0 in the VM).'], ['COM Port 2', 'Legacy COM2.'], ['COM Port 3', 'Legacy COM3.'], ['COM Port 4', 'Legacy COM4.'], ['PCI', 'A PCI vUART.', { views: [] }]],
    'The VM\'s console vUART: ``None``, ``COM Port 1`` … ``COM Port 4`` or ``PCI``.',
  ),
  enumType('VuartType', [['legacy', 'Port I/O vUART.', { title: 'Legacy' }], ['pci', 'PCI vUART.', { title: 'PCI' }]], 'The vUART kind: ``legacy`` or ``pci``.'),
  enumType('VMKernelType', ['KERNEL_BZIMAGE', ['KERNEL_RAWIMAGE', undefined, { views: [] }], 'KERNEL_ELF'], 'How the hypervisor loads the kernel.'),
  enumType('OSType', ['Non-Windows OS', 'Windows OS'], 'The guest OS family (Windows needs extra device model options).'),
  complex(
    'DebugOptionsType',
    all(
      el('SERIAL_CONSOLE', 'SerialConsoleType', { default: 'None', doc: 'The host serial port of the hypervisor console, e.g. ``/dev/ttyS0``, or ``None``.', acrn: { title: 'Serial console port', options: "//ttys/serial[type != '0']/dev_path/text(), 'None' " } }),
      el('MEM_LOGLEVEL', 'LogLevelType', { default: '5', doc: 'Log level of the in-memory log.' }),
      el('NPK_LOGLEVEL', 'LogLevelType', { default: '5', doc: 'Log level of the Intel Trace Hub log.' }),
      el('CONSOLE_LOGLEVEL', 'LogLevelType', { default: '5', doc: 'Log level of the serial console.' }),
      el('CONSOLE_VM', 'xs:integer', { default: '65535', doc: 'The VM whose console the hypervisor console shows first (65535: the hypervisor).' }),
    ),
    [],
    'Hypervisor debug settings.',
  ),
  complex(
    'FeatureOptionsType',
    all(
      el('RELOC_ENABLED', 'Boolean', { default: 'y', doc: 'Let the hypervisor relocate itself at boot.' }),
      el('SCHEDULER', 'SchedulerType', { default: 'SCHED_BVT', doc: 'The vCPU scheduler.' }),
      el('MULTIBOOT2_ENABLED', 'Boolean', { default: 'y', doc: 'Make the image bootable with GRUB\'s multiboot2.' }),
      el('SERVICE_VM_SUPERVISOR_ENABLED', 'Boolean', { default: 'n', doc: 'The Service VM acts as supervisor.' }),
      el('SPLIT_LOCK_DETECTION_ENABLED', 'Boolean', { default: 'n', doc: 'Detect split locks (#AC).' }),
      el('UC_LOCK_DETECTION_ENABLED', 'Boolean', { default: 'n', doc: 'Detect uncacheable-memory locks (#GP).' }),
      el('SECURITY_VM_FIXUP', 'Boolean', { default: 'n', doc: 'TPM2 and SMBIOS fixups for a security VM.' }),
      el('KEEP_IRQ_DISABLED', 'Boolean', { default: 'n', doc: 'Keep interrupts disabled in hypervisor root mode.' }),
      el('HYPERV_ENABLED', 'Boolean', { default: 'y', doc: 'Hyper-V enlightenments for guests.' }),
      el('IOMMU_ENFORCE_SNP', 'Boolean', { default: 'n', doc: 'IOMMU enforces snooping of DMA.' }),
      el('ACPI_PARSE_ENABLED', 'Boolean', { default: 'y', doc: 'Parse ACPI tables at run time.' }),
      el('L1D_VMENTRY_ENABLED', 'Boolean', { default: 'n', doc: 'Flush the L1 data cache on VM entry.' }),
      el('MCE_ON_PSC_ENABLED', 'Boolean', { default: 'y', doc: 'The machine-check-on-page-size-change workaround.' }),
      el('VUART_RX_BUF_SIZE', rangeType(undefined, 256, 2560), { default: '256', doc: 'vUART receive buffer, in bytes.' }),
      el('VUART_TX_BUF_SIZE', rangeType(undefined, 8192, 81920), { default: '8192', doc: 'vUART transmit buffer, in bytes.' }),
      el('VUART_TIMER_PCPU', 'xs:integer', { default: '0', doc: 'The physical CPU of the vUART timer.', acrn: { options: CPU_OPTIONS, optionsSortedBy: 'int' } }),
      el('RDT', opaque('RDTType'), { doc: 'Intel Resource Director Technology settings.' }),
      el('IVSHMEM', opaque('IVSHMEMInfo'), { doc: 'Inter-VM shared memory regions.' }),
      el('SSRAM', complex('SSRAMInfo', seq(el('SSRAM_ENABLED', 'Boolean', { default: 'n', doc: 'Enable PTCM (Platform Tuning Configuration Manager).' }))), { min: 0, doc: 'Software SRAM.' }),
      el('CPU_PERFORMANCE_POLICY', 'policyType', { default: 'Performance', doc: 'CPU frequency policy.' }),
    ),
    [],
    'Hypervisor features. (Nested virtualization is no longer a feature here in v3: it is ``nested_virtualization_support`` on the Service VM.)',
  ),
  complex(
    'VuartEndpointType',
    seq(
      el('vm_name', 'xs:string', { doc: 'The VM at this end (its ``name``).' }),
      el('io_port', 'HexFormat', { doc: 'The vUART\'s I/O base in that VM (legacy vUARTs).' }),
      el('vbdf', 'VBDFType', { doc: 'The vUART\'s virtual PCI address in that VM (PCI vUARTs).' }),
    ),
  ),
  complex(
    'VuartConnectionType',
    seq(
      el('name', 'xs:string', { doc: 'A name for this link.' }),
      el('type', 'VuartType', { default: 'pci', doc: 'The vUART kind: ``legacy`` or ``pci``.' }),
      el('endpoint', 'VuartEndpointType', { min: 2, max: 2, doc: 'One end of the link (there are two).' }),
    ),
  ),
  complex('VuartConnectionsType', seq(el('vuart_connection', 'VuartConnectionType', { min: 0, max: 'unbounded', doc: 'A vUART link between two VMs.' }))),
  complex(
    'HVConfigType',
    all(
      el('BUILD_TYPE', 'BuildType', { default: 'debug', doc: '``debug`` (hypervisor shell, logs) or ``release``.' }),
      el('FEATURES', 'FeatureOptionsType', { doc: 'Hypervisor features.' }),
      el('vuart_connections', 'VuartConnectionsType', { doc: 'vUART links between VMs.' }),
      el('DEBUG_OPTIONS', 'DebugOptionsType', { doc: 'Debug settings.' }),
      el('MEMORY', opaque('MemoryOptionsType'), { doc: 'Hypervisor memory.' }),
      el('CAPACITIES', opaque('CapacitiesOptionsType'), { doc: 'Capacity limits.' }),
      el('MISC_CFG', opaque('MiscCfgOptionsType'), { doc: 'Miscellaneous settings.' }),
      el('HIDDEN_PDEV_REGION', opaque('HiddenDevType'), { min: 0, doc: 'Hidden devices.' }),
      el('CACHE_REGION', opaque('CacheRegionType'), { min: 0, doc: 'Cache allocation.' }),
    ),
  ),
  complex(
    'CPUAffinityConfiguration',
    all(
      el('pcpu_id', 'xs:integer', { doc: 'A physical CPU this VM\'s vCPU runs on.', acrn: { title: 'pCPU ID', options: CPU_OPTIONS, optionsSortedBy: 'int' } }),
      el('real_time_vcpu', 'Boolean', { default: 'n', doc: 'This vCPU runs real-time work.' }),
    ),
  ),
  complex('CPUAffinityConfigurations', seq(el('pcpu', 'CPUAffinityConfiguration', { min: 0, max: 'unbounded', doc: 'One vCPU and its physical CPU.' }))),
  complex(
    'OSConfigurations',
    all(
      el('kern_type', 'VMKernelType', { default: 'KERNEL_BZIMAGE', doc: 'Kernel image format.' }),
      el('kern_mod', 'xs:string', { default: 'Linux_bzImage', doc: 'The GRUB module tag of the kernel (``module2 ... <tag>``); must match GRUB exactly.' }),
      el('ramdisk_mod', 'xs:string', { min: 0, doc: 'The GRUB module tag of the ramdisk.' }),
      el('bootargs', 'xs:string', { default: 'rw rootwait root=/dev/nvme0n1p2 console=tty0 console=ttyS0 consoleblank=0 no_timer_check quiet loglevel=3 i915.nuclear_pageflip=1 swiotlb=131072', doc: 'Kernel command line.' }),
      el('kern_load_addr', 'KernLoadAddr', { min: 0, doc: 'Kernel load address.' }),
      el('kern_entry_addr', 'KernEntryAddr', { min: 0, doc: 'Kernel entry address.' }),
    ),
  ),
  complex(
    'VMConfigType',
    all(
      el('load_order', 'LoadOrderType', { doc: 'Who launches the VM: the hypervisor (``PRE_LAUNCHED_VM``, ``SERVICE_VM``) or the Service VM (``POST_LAUNCHED_VM``).' }),
      el('name', 'VMNameType', { doc: 'The VM\'s name (unique; the hypervisor shell\'s ``vm_list`` shows it).' }),
      el('vm_type', 'VMType', { default: 'STANDARD_VM', doc: 'Standard or real-time VM.' }),
      el('console_vuart', 'ConsoleVuartConfiguration', { default: 'None', doc: 'The VM\'s console vUART.' }),
      el('os_type', 'OSType', { default: 'Non-Windows OS', doc: 'The guest OS family.', acrn: { applicableVms: [POST] } }),
      el('vuart0', 'Boolean', { default: 'n', doc: 'Device model emulates COM1 as stdio.', acrn: { applicableVms: [POST] } }),
      el('vbootloader', 'Boolean', { default: 'y', doc: 'Boot through the virtual firmware (OVMF).', acrn: { applicableVms: [POST] } }),
      el('memory', opaque('MemoryInfo'), { min: 0, doc: 'Memory of the VM.', acrn: { applicableVms: [PRE, POST] } }),
      el('own_pcpu', 'Boolean', { default: 'n', doc: 'The VM owns its physical CPUs exclusively.' }),
      el('cpu_affinity', 'CPUAffinityConfigurations', { min: 0, doc: 'The physical CPUs the VM runs on.', acrn: { applicableVms: [PRE, POST] } }),
      el('usb_xhci', opaque('USBDevsConfiguration'), { min: 0, doc: 'USB devices emulated for the VM.', acrn: { applicableVms: [POST] } }),
      el('lapic_passthrough', 'Boolean', { default: 'n', min: 0, doc: 'Pass the local APIC through to the VM.', acrn: { applicableVms: [PRE, POST, SOS] } }),
      el('io_completion_polling', 'Boolean', { default: 'n', min: 0, doc: 'Poll for I/O completion.', acrn: { applicableVms: [PRE, POST] } }),
      el('nested_virtualization_support', 'Boolean', { default: 'n', min: 0, doc: 'Nested virtualization: KVM can run inside the Service VM.', acrn: { applicableVms: [SOS] } }),
      el('virtual_cat_support', 'Boolean', { default: 'n', min: 0, doc: 'Virtual cache allocation (vCAT).', acrn: { applicableVms: [PRE, POST] } }),
      el('virtual_thermal_monitor', 'Boolean', { default: 'n', min: 0, doc: 'Virtual thermal monitor.', acrn: { applicableVms: [PRE, POST, SOS] } }),
      el('virtual_cat_number', rangeType(undefined, 0, undefined), { default: '0', min: 0, doc: 'Number of virtual CLOS masks.', acrn: { applicableVms: [PRE, POST] } }),
      el('secure_world_support', 'Boolean', { default: 'n', doc: 'Secure world (Trusty) for the VM.', acrn: { applicableVms: [POST] } }),
      el('hide_mtrr_support', 'Boolean', { default: 'n', min: 0, doc: 'Hide MTRRs from the VM.' }),
      el('security_vm', 'Boolean', { default: 'n', min: 0, doc: 'Security VM fixups.' }),
      el('epc_section', opaque('EPCSection'), { min: 0, doc: 'SGX enclave page cache.', acrn: { applicableVms: [PRE] } }),
      el('priority', 'PriorityType', { default: 'PRIO_LOW', doc: 'vCPU priority (priority scheduler).' }),
      el('bvt_weight', rangeType(undefined, 1, 128), { default: '1', doc: 'vCPU weight (BVT scheduler).' }),
      el('bvt_warp_value', rangeType(undefined, -8192, 8192), { default: '0', doc: 'vCPU warp (BVT scheduler).' }),
      el('bvt_warp_limit', rangeType(undefined, 0, 10), { default: '0', doc: 'vCPU warp limit (BVT scheduler).' }),
      el('bvt_unwarp_period', rangeType(undefined, 0, 10), { default: '0', doc: 'vCPU unwarp period (BVT scheduler).' }),
      el('companion_vmid', 'xs:integer', { default: '65535', doc: 'The companion VM\'s id.' }),
      el('os_config', 'OSConfigurations', { doc: 'The kernel the hypervisor boots for this VM.', acrn: { applicableVms: [PRE, SOS] } }),
      el('mmio_resources', opaque('MMIOResourcesConfiguration'), { min: 0, doc: 'MMIO resources passed through.', acrn: { applicableVms: [PRE] } }),
      el('pt_intx', 'xs:string', { min: 0, doc: 'Passthrough INTx mapping.', acrn: { applicableVms: [PRE] } }),
      el('pci_devs', opaque('PCIDevsConfiguration'), { min: 0, doc: 'PCI devices passed through.', acrn: { applicableVms: [PRE, POST] } }),
      el('PTM', 'Boolean', { default: 'y', min: 0, doc: 'PCIe Precision Time Measurement.', acrn: { applicableVms: [PRE, POST] } }),
      el('customized_parameters', 'xs:string', { min: 0, doc: 'Extra device model parameters.' }),
      el('virtio_devices', opaque('VirtioDevices'), { doc: 'virtio devices of a post-launched VM.', acrn: { applicableVms: [POST] } }),
    ),
    [attribute('id', 'xs:integer')],
    'One VM.',
  ),
];

const alternatives: Alternative[] = [
  { test: ".//load_order = 'PRE_LAUNCHED_VM'", type: 'VMConfigType', loadOrder: 'PRE_LAUNCHED_VM', vmKind: PRE },
  { test: ".//load_order = 'SERVICE_VM'", type: 'VMConfigType', loadOrder: 'SERVICE_VM', vmKind: SOS },
  { test: ".//load_order = 'POST_LAUNCHED_VM'", type: 'VMConfigType', loadOrder: 'POST_LAUNCHED_VM', vmKind: POST },
];

const vm = el('vm', 'VMConfigType', { max: 'unbounded', doc: 'A VM; its ``load_order`` decides which settings apply.' });
vm.alternatives = alternatives;

types.push(complex('ACRNConfigType', all(el('hv', 'HVConfigType', { doc: 'Hypervisor settings.' }), vm), [attribute('board', 'xs:string'), attribute('scenario', 'xs:string')]));

const byName: Record<string, TypeDef> = {};
for (const t of types) if (t.name) byName[t.name] = t;

const root = el('acrn-config', 'ACRNConfigType', { doc: 'An ACRN v3 scenario: hypervisor settings (``hv``) and VMs (``vm``).' });
root.identity = [{ kind: 'unique', name: 'vmNameUnique', selector: 'vm', fields: ['name'], documentation: 'VM names are unique.' }];

export const BUNDLED_V33: SchemaModel = {
  origin: 'bundled:v3.3',
  family: 'v3',
  label: 'v3.3 (bundled)',
  elements: { 'acrn-config': root },
  types: byName,
  asserts: [],
  datachecks: [],
  files: [],
};

